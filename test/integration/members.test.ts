import { randomUUID } from 'node:crypto';
import { BatchWriteCommand, GetCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '#shared/db/client.ts';
import { keys } from '#shared/db/keys.ts';
import { ConflictError } from '#shared/http/errors.ts';
import type { RouteDefinition } from '#shared/http/route.ts';
import { routes } from '#shared/http/routes.ts';
import { newId, systemClock } from '#shared/ids.ts';
import { memberEmailItem, memberItem } from '#shared/members/members.records.ts';
import { createMemberRepository } from '#shared/members/members.repository.ts';
import type { Member } from '#shared/members/members.schema.ts';
import { createMemberService } from '#shared/members/members.service.ts';
import type { Role } from '#shared/tenancy/permissions.ts';
import { createTenancy } from '#shared/tenancy/tenant-context.ts';
import { mfaStatusOf } from '#shared/users/user-profile.ts';
import { type ApiHandler, type CallOptions, callHandler } from '../support/handler-call.ts';
import { createTestStack, type TestStack } from '../support/harness.ts';
import { auditItemsOf, snapshotOf } from '../support/table-state.ts';

let stack: TestStack;
let db: Db;
let handler: ApiHandler;

beforeAll(async () => {
  stack = await createTestStack();
  db = { client: stack.db, tableName: stack.tableName };
  // The handler reads its environment once, at import; vitest isolates each file's modules.
  Object.assign(process.env, stack.env);
  ({ handler } = await import('#functions/members/handler.ts'));
});

/** Calls the handler in process with the event API Gateway's JWT authorizer would pass on. */
const call = (route: RouteDefinition, options: CallOptions) => callHandler(handler, route, options);

interface SeededTenant {
  readonly tenantId: string;
  /** The members by role, in the order given. */
  readonly users: Record<Role, Member[]>;
}

/** Writes a tenant, its members and their email guards directly, the way tenant creation does. */
async function seedTenant(roles: readonly Role[]): Promise<SeededTenant> {
  const tenantId = newId();
  const now = new Date().toISOString();
  const users: Record<Role, Member[]> = { owner: [], admin: [], manager: [], member: [] };
  const items: Record<string, unknown>[] = [
    {
      ...keys.tenant(tenantId),
      type: 'tenant',
      tenantId,
      name: `Tenant ${tenantId.slice(-6)}`,
      slug: `t-${tenantId.slice(-8)}`,
      status: 'active',
      createdAt: now,
      updatedAt: now,
      createdBy: 'seed',
      ownerCount: roles.filter((r) => r === 'owner').length,
      memberCount: roles.length,
      pendingInvitationCount: 0,
      reservedSeats: roles.length,
      projectCount: 0,
    },
  ];
  for (const role of roles) {
    const userId = randomUUID();
    const member: Member = {
      tenantId,
      userId,
      email: `${role}-${userId.slice(0, 8)}@example.com`,
      role,
      status: 'active',
      joinedAt: now,
      updatedAt: now,
    };
    items.push(memberItem(member), memberEmailItem(member));
    users[role].push(member);
  }
  // One batch (at most 25 items): seeding is set-up, not the behaviour under test.
  await db.client.send(
    new BatchWriteCommand({
      RequestItems: { [db.tableName]: items.map((Item) => ({ PutRequest: { Item } })) },
    }),
  );
  return { tenantId, users };
}

function first(tenant: SeededTenant, role: Role): Member {
  const found = tenant.users[role][0];
  if (!found) throw new Error(`seeded tenant has no ${role}`);
  return found;
}

async function storedMember(tenantId: string, userId: string) {
  const { gsi1pk: _g, gsi1sk: _s, ...key } = keys.member(tenantId, userId);
  const { Item } = await db.client.send(
    new GetCommand({ TableName: db.tableName, Key: key, ConsistentRead: true }),
  );
  return Item;
}

async function ownerCount(tenantId: string): Promise<unknown> {
  const { Item } = await db.client.send(
    new GetCommand({ TableName: db.tableName, Key: keys.tenant(tenantId), ConsistentRead: true }),
  );
  return Item?.ownerCount;
}

const auditEntries = (tenantId: string) => auditItemsOf(db, tenantId);
const snapshot = (...tenantIds: string[]) => snapshotOf(db, ...tenantIds);

describe('GET /v1/tenants/{tenantId}/members', () => {
  it.each<Role>(['member', 'manager', 'admin', 'owner'])('lists the members to a %s', async (role) => {
    // Prepare
    const tenant = await seedTenant(['owner', 'admin', 'manager', 'member']);
    // Act
    const response = await call(routes.listMembers, {
      as: first(tenant, role).userId,
      params: { tenantId: tenant.tenantId },
    });
    // Assess
    expect(response.status).toBe(200);
    expect(response.body.items).toHaveLength(4);
    // Admins and owners also see who has MFA on (nobody here).
    const mfa = role === 'admin' || role === 'owner' ? { mfaEnabled: false } : {};
    expect(response.body.items).toContainEqual({ ...first(tenant, 'owner'), ...mfa });
  });

  it('pages through the members with a cursor', async () => {
    // Prepare
    const tenant = await seedTenant(['owner', 'admin', 'manager', 'member', 'member']);
    const as = first(tenant, 'member').userId;
    const params = { tenantId: tenant.tenantId };
    // Act
    const page1 = await call(routes.listMembers, { as, params, query: { limit: '3' } });
    const page2 = await call(routes.listMembers, {
      as,
      params,
      query: { limit: '3', cursor: String(page1.body.nextCursor) },
    });
    // Assess
    const ids = [...(page1.body.items as Member[]), ...(page2.body.items as Member[])].map((m) => m.userId);
    expect(new Set(ids).size).toBe(5);
    expect(page2.body.nextCursor).toBeUndefined();
  });

  it("refuses another tenant's cursor with a 400", async () => {
    // Prepare
    const a = await seedTenant(['owner', 'member', 'member']);
    const b = await seedTenant(['owner']);
    const page = await call(routes.listMembers, {
      as: first(a, 'owner').userId,
      params: { tenantId: a.tenantId },
      query: { limit: '1' },
    });
    // Act
    const response = await call(routes.listMembers, {
      as: first(b, 'owner').userId,
      params: { tenantId: b.tenantId },
      query: { cursor: String(page.body.nextCursor) },
    });
    // Assess
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([expect.objectContaining({ field: 'query.cursor' })]);
  });
});

describe('PATCH /v1/tenants/{tenantId}/members/{userId}', () => {
  it("lets an admin change a member's role, audited with before and after", async () => {
    // Prepare
    const tenant = await seedTenant(['owner', 'admin', 'member']);
    const admin = first(tenant, 'admin');
    const target = first(tenant, 'member');
    // Act
    const response = await call(routes.updateMember, {
      as: admin.userId,
      params: { tenantId: tenant.tenantId, userId: target.userId },
      body: { role: 'manager' },
    });
    // Assess
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ userId: target.userId, role: 'manager' });
    expect(await storedMember(tenant.tenantId, target.userId)).toMatchObject({ role: 'manager' });
    expect(await auditEntries(tenant.tenantId)).toEqual([
      expect.objectContaining({
        action: 'member.role-changed',
        actor: { userId: admin.userId, email: admin.email },
        target: { type: 'member', id: target.userId },
        before: expect.objectContaining({ role: 'member' }),
        after: expect.objectContaining({ role: 'manager' }),
      }),
    ]);
  });

  it.each<[Role, Role, Role]>([
    ['member', 'member', 'manager'],
    ['manager', 'member', 'manager'],
    ['admin', 'member', 'owner'],
    ['admin', 'owner', 'member'],
  ])(
    'refuses a %s changing a %s to %s with a 403 and writes nothing',
    async (callerRole, targetRole, role) => {
      // Prepare
      const tenant = await seedTenant(['owner', 'owner', 'admin', 'manager', 'member']);
      const target = tenant.users[targetRole].at(-1) as Member;
      const before = await snapshot(tenant.tenantId);
      // Act
      const response = await call(routes.updateMember, {
        as: first(tenant, callerRole).userId,
        params: { tenantId: tenant.tenantId, userId: target.userId },
        body: { role },
      });
      // Assess
      expect(response.status).toBe(403);
      expect(await snapshot(tenant.tenantId)).toEqual(before);
    },
  );

  it('lets an owner make another member an owner and counts the new owner', async () => {
    // Prepare
    const tenant = await seedTenant(['owner', 'admin']);
    // Act
    const response = await call(routes.updateMember, {
      as: first(tenant, 'owner').userId,
      params: { tenantId: tenant.tenantId, userId: first(tenant, 'admin').userId },
      body: { role: 'owner' },
    });
    // Assess
    expect(response.status).toBe(200);
    expect(await ownerCount(tenant.tenantId)).toBe(2);
  });

  it('refuses to demote the last owner with a 409 and keeps the owner', async () => {
    // Prepare
    const tenant = await seedTenant(['owner', 'admin']);
    const owner = first(tenant, 'owner');
    // Act
    const response = await call(routes.updateMember, {
      as: owner.userId,
      params: { tenantId: tenant.tenantId, userId: owner.userId },
      body: { role: 'admin' },
    });
    // Assess
    expect(response.status).toBe(409);
    expect(response.body.detail).toMatch(/at least one owner/);
    expect(await storedMember(tenant.tenantId, owner.userId)).toMatchObject({ role: 'owner' });
    expect(await ownerCount(tenant.tenantId)).toBe(1);
  });

  it('lets an owner step down while another owner remains', async () => {
    // Prepare
    const tenant = await seedTenant(['owner', 'owner']);
    const owner = first(tenant, 'owner');
    // Act
    const response = await call(routes.updateMember, {
      as: owner.userId,
      params: { tenantId: tenant.tenantId, userId: owner.userId },
      body: { role: 'admin' },
    });
    // Assess
    expect(response.status).toBe(200);
    expect(await ownerCount(tenant.tenantId)).toBe(1);
  });

  it('answers 404 for a user who is not a member', async () => {
    // Prepare
    const tenant = await seedTenant(['owner']);
    // Act
    const response = await call(routes.updateMember, {
      as: first(tenant, 'owner').userId,
      params: { tenantId: tenant.tenantId, userId: randomUUID() },
      body: { role: 'admin' },
    });
    // Assess
    expect(response.status).toBe(404);
  });
});

describe('DELETE /v1/tenants/{tenantId}/members/{userId}', () => {
  it('lets an admin remove a member, with the email guard, audited', async () => {
    // Prepare
    const tenant = await seedTenant(['owner', 'admin', 'member']);
    const target = first(tenant, 'member');
    // Act
    const response = await call(routes.removeMember, {
      as: first(tenant, 'admin').userId,
      params: { tenantId: tenant.tenantId, userId: target.userId },
    });
    // Assess
    expect(response.status).toBe(204);
    expect(await storedMember(tenant.tenantId, target.userId)).toBeUndefined();
    const guard = await db.client.send(
      new GetCommand({ TableName: db.tableName, Key: keys.memberEmail(tenant.tenantId, target.email) }),
    );
    expect(guard.Item).toBeUndefined();
    expect(await auditEntries(tenant.tenantId)).toEqual([
      expect.objectContaining({
        action: 'member.removed',
        before: expect.objectContaining(target),
        after: null,
      }),
    ]);
  });

  it.each<[Role, Role]>([
    ['member', 'member'],
    ['manager', 'member'],
    ['admin', 'owner'],
  ])('refuses a %s removing a %s with a 403 and writes nothing', async (callerRole, targetRole) => {
    // Prepare
    const tenant = await seedTenant(['owner', 'owner', 'admin', 'manager', 'member', 'member']);
    const target = tenant.users[targetRole].at(-1) as Member;
    const before = await snapshot(tenant.tenantId);
    // Act
    const response = await call(routes.removeMember, {
      as: first(tenant, callerRole).userId,
      params: { tenantId: tenant.tenantId, userId: target.userId },
    });
    // Assess
    expect(response.status).toBe(403);
    expect(await snapshot(tenant.tenantId)).toEqual(before);
  });

  it('lets a plain member leave, audited as member.left, and ends their access', async () => {
    // Prepare
    const tenant = await seedTenant(['owner', 'member']);
    const leaver = first(tenant, 'member');
    // Act
    const response = await call(routes.removeMember, {
      as: leaver.userId,
      params: { tenantId: tenant.tenantId, userId: leaver.userId },
    });
    // Assess
    expect(response.status).toBe(204);
    expect(await auditEntries(tenant.tenantId)).toEqual([
      expect.objectContaining({
        action: 'member.left',
        actor: { userId: leaver.userId, email: leaver.email },
      }),
    ]);
    const after = await call(routes.listMembers, {
      as: leaver.userId,
      params: { tenantId: tenant.tenantId },
    });
    expect(after.status).toBe(404);
  });

  it('refuses to let the last owner leave with a 409', async () => {
    // Prepare
    const tenant = await seedTenant(['owner', 'admin']);
    const owner = first(tenant, 'owner');
    // Act
    const response = await call(routes.removeMember, {
      as: owner.userId,
      params: { tenantId: tenant.tenantId, userId: owner.userId },
    });
    // Assess
    expect(response.status).toBe(409);
    expect(response.body.detail).toMatch(/at least one owner/);
    expect(await storedMember(tenant.tenantId, owner.userId)).toBeDefined();
  });

  it('lets an owner remove another owner and counts one owner fewer', async () => {
    // Prepare
    const tenant = await seedTenant(['owner', 'owner']);
    const [remover, removed] = tenant.users.owner as [Member, Member];
    // Act
    const response = await call(routes.removeMember, {
      as: remover.userId,
      params: { tenantId: tenant.tenantId, userId: removed.userId },
    });
    // Assess
    expect(response.status).toBe(204);
    expect(await ownerCount(tenant.tenantId)).toBe(1);
  });
});

describe('cross-tenant access', () => {
  it.each([
    ['lists', routes.listMembers, undefined],
    ['changes a role', routes.updateMember, { role: 'member' }],
    ['removes', routes.removeMember, undefined],
  ] as const)(
    "answers 404 when a member of another tenant %s with tenant A's ids",
    async (_, route, body) => {
      // Prepare
      const a = await seedTenant(['owner', 'member']);
      const b = await seedTenant(['owner']);
      // Act
      const response = await call(route, {
        as: first(b, 'owner').userId,
        params: { tenantId: a.tenantId, userId: first(a, 'member').userId },
        body,
      });
      // Assess
      expect(response.status).toBe(404);
    },
  );

  it.each([
    ['changes the role of', routes.updateMember, { role: 'member' }],
    ['removes', routes.removeMember, undefined],
  ] as const)(
    'answers 404 when an owner %s a member of another tenant through their own tenant',
    async (_, route, body) => {
      // Prepare
      const a = await seedTenant(['owner', 'member']);
      const b = await seedTenant(['owner']);
      const before = await snapshot(a.tenantId, b.tenantId);
      // Act
      const response = await call(route, {
        as: first(b, 'owner').userId,
        params: { tenantId: b.tenantId, userId: first(a, 'member').userId },
        body,
      });
      // Assess
      expect(response.status).toBe(404);
      expect(await snapshot(a.tenantId, b.tenantId)).toEqual(before);
    },
  );
});

describe('bad input', () => {
  it.each([
    ['an unknown body field', { role: 'admin', owner: true }, 'body.owner'],
    ['an unknown role', { role: 'superuser' }, 'body.role'],
    ['a missing role', {}, 'body.role'],
  ])('refuses %s with a 400 naming the field and writes nothing', async (_, body, field) => {
    // Prepare
    const tenant = await seedTenant(['owner', 'member']);
    const before = await snapshot(tenant.tenantId);
    // Act
    const response = await call(routes.updateMember, {
      as: first(tenant, 'owner').userId,
      params: { tenantId: tenant.tenantId, userId: first(tenant, 'member').userId },
      body,
    });
    // Assess
    expect(response.status).toBe(400);
    expect(response.body.errors).toContainEqual(expect.objectContaining({ field }));
    expect(await snapshot(tenant.tenantId)).toEqual(before);
  });

  it.each([
    ['a malformed user id', { userId: 'not-a-uuid' }, 'path.userId'],
    ['a malformed tenant id', { tenantId: 'TENANT#x' }, 'path.tenantId'],
  ])('refuses %s in the path with a 400 and writes nothing', async (_, override, field) => {
    // Prepare
    const tenant = await seedTenant(['owner', 'member']);
    const before = await snapshot(tenant.tenantId);
    // Act
    const response = await call(routes.removeMember, {
      as: first(tenant, 'owner').userId,
      params: { tenantId: tenant.tenantId, userId: first(tenant, 'member').userId, ...override },
    });
    // Assess
    expect(response.status).toBe(400);
    expect(response.body.errors).toContainEqual(expect.objectContaining({ field }));
    expect(await snapshot(tenant.tenantId)).toEqual(before);
  });

  it('refuses a page size above the limit with a 400', async () => {
    // Prepare
    const tenant = await seedTenant(['owner']);
    // Act
    const response = await call(routes.listMembers, {
      as: first(tenant, 'owner').userId,
      params: { tenantId: tenant.tenantId },
      query: { limit: '1000' },
    });
    // Assess
    expect(response.status).toBe(400);
    expect(response.body.errors).toContainEqual(expect.objectContaining({ field: 'query.limit' }));
  });
});

describe('racing requests', () => {
  // Two requests that both resolved their tenant context (and so both saw two owners) before either
  // wrote: the worst interleaving, made deterministic. The writes go one after the other because
  // moto does not isolate concurrent transactions (a cancelled one restores the whole table as it
  // was when it began, undoing the other's commit), so a Promise.all here would test moto, not us.
  const deps = { clock: systemClock, newId: () => newId() };
  const service = () =>
    createMemberService({
      members: createMemberRepository(db, deps),
      clock: systemClock,
      mfaStatus: (userIds) => mfaStatusOf(db, userIds),
    });
  const contextOf = (tenant: SeededTenant, member: Member) =>
    createTenancy({ db }).resolve(
      { userId: member.userId, groups: [], platformAdmin: false },
      tenant.tenantId,
      {
        requestId: `req-${newId()}`,
        sourceIp: '203.0.113.9',
      },
    );

  it('lets only one of two owners who leave at the same time go', async () => {
    // Prepare
    const tenant = await seedTenant(['owner', 'owner']);
    const [a, b] = tenant.users.owner as [Member, Member];
    const [ctxA, ctxB] = [await contextOf(tenant, a), await contextOf(tenant, b)];
    const members = service();
    // Act
    await members.remove(ctxA, a.userId);
    const second = members.remove(ctxB, b.userId);
    // Assess
    await expect(second).rejects.toThrowError(/at least one owner/);
    expect(await storedMember(tenant.tenantId, b.userId)).toMatchObject({ role: 'owner' });
    expect(await ownerCount(tenant.tenantId)).toBe(1);
  });

  it('lets only one of two owners who demote each other at the same time succeed', async () => {
    // Prepare
    const tenant = await seedTenant(['owner', 'owner']);
    const [a, b] = tenant.users.owner as [Member, Member];
    const [ctxA, ctxB] = [await contextOf(tenant, a), await contextOf(tenant, b)];
    const members = service();
    // Act
    await members.changeRole(ctxA, b.userId, { role: 'admin' });
    const second = members.changeRole(ctxB, a.userId, { role: 'admin' });
    // Assess
    await expect(second).rejects.toBeInstanceOf(ConflictError);
    expect(await storedMember(tenant.tenantId, a.userId)).toMatchObject({ role: 'owner' });
    expect(await ownerCount(tenant.tenantId)).toBe(1);
  });

  it('refuses a role change based on a stale read of the member with a 409', async () => {
    // Prepare
    const tenant = await seedTenant(['owner', 'admin', 'member']);
    const target = first(tenant, 'member');
    const repository = createMemberRepository(db, deps).forTenant(
      await contextOf(tenant, first(tenant, 'owner')),
    );
    const stale = (await repository.get(target.userId)) as Member;
    await repository.changeRole(stale, { ...stale, role: 'manager' }, auditOf(target));
    // Act
    const attempt = repository.changeRole(stale, { ...stale, role: 'admin' }, auditOf(target));
    // Assess
    await expect(attempt).rejects.toThrowError(/changed or removed meanwhile/);
    expect(await storedMember(tenant.tenantId, target.userId)).toMatchObject({ role: 'manager' });
  });
});

function auditOf(target: Member) {
  return {
    actor: { userId: 'test' },
    request: { requestId: `req-${newId()}`, sourceIp: '203.0.113.9' },
    action: 'member.role-changed',
    target: { type: 'member', id: target.userId },
    before: null,
    after: null,
  };
}
