import { describe, expect, it } from 'vitest';
import type { AuditEvent } from '#shared/audit/audit.writer.ts';
import { ForbiddenError, NotFoundError } from '#shared/http/errors.ts';
import type { MemberRepository, MemberRepositoryFactory } from '#shared/members/members.repository.ts';
import type { Member } from '#shared/members/members.schema.ts';
import { createMemberService } from '#shared/members/members.service.ts';
import type { Role } from '#shared/tenancy/permissions.ts';
import type { TenantContext } from '#shared/tenancy/tenant-context.ts';
import { fakeTenantContext } from '../support/tenant-context.ts';

const NOW = new Date('2026-03-01T12:00:00.000Z');
const TENANT_ID = '01jf0000000000000000000000';
const CALLER_ID = '11111111-1111-4111-8111-111111111111';
const TARGET_ID = '22222222-2222-4222-8222-222222222222';

function member(userId: string, role: Role): Member {
  return {
    tenantId: TENANT_ID,
    userId,
    email: `${role}-${userId.slice(0, 4)}@example.com`,
    role,
    status: 'active',
    joinedAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
  };
}

/** A context as createTenancy would make it for a caller with `role`. */
function contextWithRole(role: Role): TenantContext {
  return fakeTenantContext({ role, tenantId: TENANT_ID, userId: CALLER_ID, tenant: { ownerCount: 2 } });
}

type Write =
  | { kind: 'changeRole'; before: Member; after: Member; audit: Omit<AuditEvent, 'tenantId'> }
  | { kind: 'remove'; member: Member; audit: Omit<AuditEvent, 'tenantId'> };

/** An in-memory repository holding the given members; records what the service asks it to write. */
function fakeMembers(stored: Member[]) {
  const writes: Write[] = [];
  const repository: MemberRepository = {
    list: async ({ limit }) => ({ items: stored.slice(0, limit) }),
    get: async (userId) => stored.find((m) => m.userId === userId),
    changeRole: async (before, after, audit) => {
      writes.push({ kind: 'changeRole', before, after, audit });
    },
    remove: async (removed, audit) => {
      writes.push({ kind: 'remove', member: removed, audit });
    },
  };
  const factory: MemberRepositoryFactory = { forTenant: () => repository };
  return { factory, writes };
}

function serviceWith(stored: Member[], withMfa: readonly string[] = []) {
  const fake = fakeMembers(stored);
  const mfaLookups: (readonly string[])[] = [];
  return {
    service: createMemberService({
      members: fake.factory,
      clock: () => NOW,
      mfaStatus: async (ids) => {
        mfaLookups.push(ids);
        return new Map(ids.map((id) => [id, withMfa.includes(id)]));
      },
    }),
    writes: fake.writes,
    mfaLookups,
  };
}

describe('member rules: reading', () => {
  it('lets a plain member list the members', async () => {
    // Prepare
    const { service } = serviceWith([member(CALLER_ID, 'member'), member(TARGET_ID, 'owner')]);
    // Act
    const page = await service.list(contextWithRole('member'), { limit: 25 });
    // Assess
    expect(page.items.map((m) => m.userId)).toEqual([CALLER_ID, TARGET_ID]);
  });

  it.each<Role>(['admin', 'owner'])('shows a %s who has MFA on, for the page in one lookup', async (role) => {
    const { service, mfaLookups } = serviceWith(
      [member(CALLER_ID, role), member(TARGET_ID, 'member')],
      [CALLER_ID],
    );

    const page = await service.list(contextWithRole(role), { limit: 25 });

    expect(page.items.map((m) => [m.userId, m.mfaEnabled])).toEqual([
      [CALLER_ID, true],
      [TARGET_ID, false],
    ]);
    expect(mfaLookups).toEqual([[CALLER_ID, TARGET_ID]]);
  });

  it.each<Role>(['member', 'manager'])('shows a %s no MFA status and looks none up', async (role) => {
    const { service, mfaLookups } = serviceWith(
      [member(CALLER_ID, role), member(TARGET_ID, 'owner')],
      [TARGET_ID],
    );

    const page = await service.list(contextWithRole(role), { limit: 25 });

    for (const item of page.items) expect(item).not.toHaveProperty('mfaEnabled');
    expect(mfaLookups).toEqual([]);
  });
});

describe('member rules: changing roles', () => {
  it.each<[Role, Role, Role]>([
    ['admin', 'member', 'manager'],
    ['admin', 'manager', 'admin'],
    ['admin', 'admin', 'member'],
    ['owner', 'member', 'owner'],
    ['owner', 'owner', 'admin'],
  ])('lets an %s change a %s to %s', async (callerRole, targetRole, newRole) => {
    // Prepare
    const { service, writes } = serviceWith([member(TARGET_ID, targetRole)]);
    // Act
    const updated = await service.changeRole(contextWithRole(callerRole), TARGET_ID, { role: newRole });
    // Assess
    expect(updated).toMatchObject({ userId: TARGET_ID, role: newRole, updatedAt: NOW.toISOString() });
    expect(writes).toHaveLength(1);
  });

  it.each<[Role, Role, Role]>([
    ['member', 'member', 'manager'],
    ['manager', 'member', 'manager'],
    ['admin', 'member', 'owner'],
    ['admin', 'owner', 'admin'],
  ])(
    'refuses an %s changing a %s to %s with a 403 and writes nothing',
    async (callerRole, targetRole, newRole) => {
      // Prepare
      const { service, writes } = serviceWith([member(TARGET_ID, targetRole)]);
      // Act
      const attempt = service.changeRole(contextWithRole(callerRole), TARGET_ID, { role: newRole });
      // Assess
      await expect(attempt).rejects.toBeInstanceOf(ForbiddenError);
      expect(writes).toEqual([]);
    },
  );

  it('refuses a manager with a 403 before looking the member up', async () => {
    // Prepare
    const { service } = serviceWith([]);
    // Act
    const attempt = service.changeRole(contextWithRole('manager'), TARGET_ID, { role: 'member' });
    // Assess
    await expect(attempt).rejects.toBeInstanceOf(ForbiddenError);
  });

  it('answers 404 for a user who is not a member', async () => {
    // Prepare
    const { service } = serviceWith([]);
    // Act
    const attempt = service.changeRole(contextWithRole('owner'), TARGET_ID, { role: 'member' });
    // Assess
    await expect(attempt).rejects.toBeInstanceOf(NotFoundError);
  });

  it('writes nothing when the role does not change', async () => {
    // Prepare
    const target = member(TARGET_ID, 'manager');
    const { service, writes } = serviceWith([target]);
    // Act
    const result = await service.changeRole(contextWithRole('admin'), TARGET_ID, { role: 'manager' });
    // Assess
    expect(result).toEqual(target);
    expect(writes).toEqual([]);
  });

  it('audits a role change as member.role-changed with before and after', async () => {
    // Prepare
    const target = member(TARGET_ID, 'member');
    const { service, writes } = serviceWith([target]);
    // Act
    await service.changeRole(contextWithRole('admin'), TARGET_ID, { role: 'manager' });
    // Assess
    expect(writes[0]?.audit).toMatchObject({
      action: 'member.role-changed',
      actor: { userId: CALLER_ID },
      target: { type: 'member', id: TARGET_ID },
      before: { role: 'member' },
      after: { role: 'manager' },
    });
  });
});

describe('member rules: removing and leaving', () => {
  it.each<[Role, Role]>([
    ['admin', 'member'],
    ['admin', 'manager'],
    ['admin', 'admin'],
    ['owner', 'owner'],
  ])('lets an %s remove a %s', async (callerRole, targetRole) => {
    // Prepare
    const { service, writes } = serviceWith([member(TARGET_ID, targetRole)]);
    // Act
    await service.remove(contextWithRole(callerRole), TARGET_ID);
    // Assess
    expect(writes).toMatchObject([{ kind: 'remove', audit: { action: 'member.removed', after: null } }]);
  });

  it.each<[Role, Role]>([
    ['member', 'member'],
    ['manager', 'member'],
    ['admin', 'owner'],
  ])('refuses an %s removing a %s with a 403', async (callerRole, targetRole) => {
    // Prepare
    const { service, writes } = serviceWith([member(TARGET_ID, targetRole)]);
    // Act
    const attempt = service.remove(contextWithRole(callerRole), TARGET_ID);
    // Assess
    await expect(attempt).rejects.toBeInstanceOf(ForbiddenError);
    expect(writes).toEqual([]);
  });

  it.each<Role>(['member', 'manager', 'admin', 'owner'])(
    'lets a %s leave, audited as member.left',
    async (role) => {
      // Prepare
      const { service, writes } = serviceWith([]);
      // Act
      await service.remove(contextWithRole(role), CALLER_ID);
      // Assess
      expect(writes).toMatchObject([
        { kind: 'remove', member: { userId: CALLER_ID, role }, audit: { action: 'member.left' } },
      ]);
    },
  );
});
