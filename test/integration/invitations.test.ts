import { randomUUID } from 'node:crypto';
import { AdminUpdateUserAttributesCommand } from '@aws-sdk/client-cognito-identity-provider';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { BatchWriteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { freeBillingState } from '#shared/billing/billing.schema.ts';
import type { Db } from '#shared/db/client.ts';
import { keys } from '#shared/db/keys.ts';
import { ConflictError } from '#shared/http/errors.ts';
import type { RouteDefinition } from '#shared/http/route.ts';
import { routes } from '#shared/http/routes.ts';
import { newId, systemClock } from '#shared/ids.ts';
import { createSesInvitationMailer } from '#shared/invitations/invitation-mailer.ts';
import {
  createInvitationRepository,
  type InvitationRepositoryFactory,
} from '#shared/invitations/invitations.repository.ts';
import type { Invitation } from '#shared/invitations/invitations.schema.ts';
import { createInvitationService } from '#shared/invitations/invitations.service.ts';
import { memberEmailItem, memberItem } from '#shared/members/members.records.ts';
import type { Member } from '#shared/members/members.schema.ts';
import { RateLimitedError } from '#shared/ratelimit/rate-limit-headers.ts';
import { definePolicy, windowAt } from '#shared/ratelimit/rate-limiter.ts';
import { createTableRateLimiter } from '#shared/ratelimit/window-counter.ts';
import type { Role } from '#shared/tenancy/permissions.ts';
import { createTenancy } from '#shared/tenancy/tenant-context.ts';
import { createCognitoDirectory } from '#shared/users/identity-directory.ts';
import { localClientConfig } from '../../scripts/local/aws.ts';
import { type ApiHandler, type CallOptions, callHandler } from '../support/handler-call.ts';
import {
  createTestStack,
  readSentEmails,
  signUpUser,
  TEST_APP_URL,
  type TestStack,
  uniqueEmail,
} from '../support/harness.ts';
import { auditItemsOf, snapshotOf } from '../support/table-state.ts';

let stack: TestStack;
let db: Db;
let handler: ApiHandler;

beforeAll(async () => {
  stack = await createTestStack();
  db = { client: stack.db, tableName: stack.tableName };
  // The handler reads its environment once, at import; vitest isolates each file's modules.
  Object.assign(process.env, stack.env);
  ({ handler } = await import('#functions/invitations/handler.ts'));
});

/** Calls the handler in process with the event API Gateway's JWT authorizer would pass on. */
const call = (route: RouteDefinition, options: CallOptions) => callHandler(handler, route, options);

/** A confirmed user whose email is verified, or not (`verified: false`), as the invitee needs. */
async function signUpInvitee(options: { verified?: boolean } = {}) {
  const user = await signUpUser(stack, uniqueEmail('invitee'));
  if (options.verified === false) {
    await stack.cognito.send(
      new AdminUpdateUserAttributesCommand({
        UserPoolId: stack.userPoolId,
        Username: user.userId,
        UserAttributes: [{ Name: 'email_verified', Value: 'false' }],
      }),
    );
  }
  return user;
}

interface SeededTenant {
  readonly tenantId: string;
  readonly name: string;
  readonly users: Record<Role, Member[]>;
}

/**
 * Writes a tenant, its members and their email guards directly, the way tenant creation does. On
 * a paid plan (`plan: 'team'`, an active subscription mirrored in the billing item) when the test
 * needs more seats than the free plan's three.
 */
async function seedTenant(
  roles: readonly Role[],
  options: { plan?: 'free' | 'team' } = {},
): Promise<SeededTenant> {
  const tenantId = newId();
  const name = `Tenant ${tenantId.slice(-6)}`;
  const now = new Date().toISOString();
  const users: Record<Role, Member[]> = { owner: [], admin: [], manager: [], member: [] };
  const items: Record<string, unknown>[] = [
    {
      ...keys.tenant(tenantId),
      type: 'tenant',
      tenantId,
      name,
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
    const member: Member = {
      tenantId,
      userId: randomUUID(),
      email: uniqueEmail(role),
      role,
      status: 'active',
      joinedAt: now,
      updatedAt: now,
    };
    items.push(memberItem(member), memberEmailItem(member));
    users[role].push(member);
  }
  if (options.plan === 'team') {
    items.push({
      ...keys.billing(tenantId),
      type: 'billing',
      ...freeBillingState(tenantId, now),
      plan: 'team',
      interval: 'month',
      status: 'active',
    });
  }
  // One batch (at most 25 items): seeding is set-up, not the behaviour under test.
  await db.client.send(
    new BatchWriteCommand({
      RequestItems: { [db.tableName]: items.map((Item) => ({ PutRequest: { Item } })) },
    }),
  );
  return { tenantId, name, users };
}

function first(tenant: SeededTenant, role: Role): Member {
  const found = tenant.users[role][0];
  if (!found) throw new Error(`seeded tenant has no ${role}`);
  return found;
}

async function invite(tenant: SeededTenant, email: string, role: Role, by: Role = 'owner') {
  const response = await call(routes.createInvitation, {
    as: first(tenant, by).userId,
    params: { tenantId: tenant.tenantId },
    body: { email, role },
  });
  if (response.status !== 201) throw new Error(`invite failed: ${JSON.stringify(response.body)}`);
  return response.body as unknown as Invitation;
}

/** The mail this stack's sender sent to `to` (moto's SES outbox). */
async function mailTo(to: string) {
  return (await readSentEmails(stack)).filter((m) => m.to.includes(to));
}

const deps = { clock: systemClock, newId: () => newId() };

/** The service wired as the handler wires it, around the given repositories, sending from `from`. */
function serviceWith(invitations: InvitationRepositoryFactory, from = stack.mailFrom) {
  return createInvitationService({
    invitations,
    directory: createCognitoDirectory(stack.cognito, stack.userPoolId),
    mailer: createSesInvitationMailer(new SESv2Client(localClientConfig(stack)), from, { db, ...deps }),
    rateLimiter: createTableRateLimiter(db, systemClock),
    clock: systemClock,
    newId: () => newId(),
    appUrl: TEST_APP_URL,
    ttlDays: 7,
  });
}

/**
 * The real repositories, with the worst interleaving of `readers` racing requests made
 * deterministic: every request reads the invitation before any of them writes, then the writes go
 * one after the other. (A plain Promise.all against moto would test moto, which does not isolate
 * concurrent transactions: a cancelled one restores the table as it was when it began, undoing
 * the other's commit.)
 */
function interleaved(real: InvitationRepositoryFactory, readers: number): InvitationRepositoryFactory {
  let reads = 0;
  let releaseReads: () => void = () => undefined;
  const allRead = new Promise<void>((resolve) => {
    releaseReads = resolve;
  });
  let writes: Promise<unknown> = Promise.resolve();
  return {
    forTenant: (ctx) => real.forTenant(ctx),
    forInvitee: (identity) => {
      const repository = real.forInvitee(identity);
      return {
        ...repository,
        async get(invitationId) {
          const found = await repository.get(invitationId);
          reads += 1;
          if (reads === readers) releaseReads();
          await allRead;
          return found;
        },
        accept(...args) {
          const turn = writes.then(() => repository.accept(...args));
          writes = turn.catch(() => undefined);
          return turn;
        },
      };
    },
  };
}

async function getItem(key: Record<string, string>) {
  const { Item } = await db.client.send(
    new GetCommand({ TableName: db.tableName, Key: key, ConsistentRead: true }),
  );
  return Item;
}

const memberKey = (tenantId: string, userId: string) => {
  const { gsi1pk: _g, gsi1sk: _s, ...key } = keys.member(tenantId, userId);
  return key;
};
const invitationKey = (tenantId: string, invitationId: string) => {
  const { gsi1pk: _g, gsi1sk: _s, ...key } = keys.invitation(tenantId, invitationId, '');
  return key;
};

/** Moves an invitation (and its pending guard) past its expiry, as the passing of time would. */
async function expire(invitation: Invitation) {
  const past = new Date(Date.now() - 60_000).toISOString();
  for (const key of [
    invitationKey(invitation.tenantId, invitation.invitationId),
    keys.pendingInvitation(invitation.tenantId, invitation.email),
  ]) {
    await db.client.send(
      new UpdateCommand({
        TableName: db.tableName,
        Key: key,
        UpdateExpression: 'SET expiresAt = :past',
        ExpressionAttributeValues: { ':past': past },
      }),
    );
  }
}

/** The owner's tenant context, as the handler resolves it. */
async function ownerContextOf(tenant: SeededTenant) {
  const owner = first(tenant, 'owner');
  return createTenancy({ db }).resolve(
    { userId: owner.userId, groups: [], platformAdmin: false },
    tenant.tenantId,
    { requestId: `req-${newId()}`, sourceIp: '203.0.113.9' },
  );
}

const auditActions = (tenantId: string) => auditItemsOf(db, tenantId);
const snapshot = (...tenantIds: string[]) => snapshotOf(db, ...tenantIds);

describe('inviting', () => {
  it('stores a pending invitation and answers with its accept link', async () => {
    // Prepare
    const tenant = await seedTenant(['owner']);
    const email = uniqueEmail('ada');
    // Act
    const response = await call(routes.createInvitation, {
      as: first(tenant, 'owner').userId,
      params: { tenantId: tenant.tenantId },
      body: { email, role: 'manager' },
    });
    // Assess
    expect(response.status).toBe(201);
    const invitation = response.body as unknown as Invitation;
    expect(invitation).toMatchObject({
      tenantId: tenant.tenantId,
      tenantName: tenant.name,
      email,
      role: 'manager',
      status: 'pending',
      invitedBy: first(tenant, 'owner').userId,
      acceptUrl: `${TEST_APP_URL}/invitations/${invitation.invitationId}`,
    });
    expect(Date.parse(invitation.expiresAt) - Date.parse(invitation.createdAt)).toBe(7 * 24 * 60 * 60 * 1000);
    expect(await getItem(keys.pendingInvitation(tenant.tenantId, email))).toMatchObject({
      invitationId: invitation.invitationId,
    });
  });

  it('emails the invitee the accept link, the tenant name and the role', async () => {
    // Prepare
    const tenant = await seedTenant(['owner']);
    const email = uniqueEmail('ada');
    // Act
    const invitation = await invite(tenant, email, 'admin');
    // Assess
    const mails = await mailTo(email);
    expect(mails).toHaveLength(1);
    expect(mails[0]?.subject).toContain(tenant.name);
    expect(mails[0]?.body).toContain(`href="${TEST_APP_URL}/invitations/${invitation.invitationId}"`);
    expect(mails[0]?.body).toContain('as an admin');
  });

  it('audits the invitation as invitation.created', async () => {
    // Prepare
    const tenant = await seedTenant(['owner']);
    // Act
    const invitation = await invite(tenant, uniqueEmail('ada'), 'member');
    // Assess
    expect(await auditActions(tenant.tenantId)).toEqual([
      expect.objectContaining({
        action: 'invitation.created',
        target: { type: 'invitation', id: invitation.invitationId },
        before: null,
        after: expect.objectContaining({ status: 'pending', role: 'member' }),
      }),
    ]);
  });

  it.each<[Role, Role]>([
    ['member', 'member'],
    ['manager', 'admin'],
    ['admin', 'owner'],
  ])('refuses a %s inviting a %s with a 403, writing nothing', async (callerRole, role) => {
    // Prepare
    const tenant = await seedTenant(['owner', 'admin', 'manager', 'member']);
    const email = uniqueEmail('ada');
    const before = await snapshot(tenant.tenantId);
    // Act
    const response = await call(routes.createInvitation, {
      as: first(tenant, callerRole).userId,
      params: { tenantId: tenant.tenantId },
      body: { email, role },
    });
    // Assess
    expect(response.status).toBe(403);
    expect(await snapshot(tenant.tenantId)).toEqual(before);
  });

  it('lets a manager invite a manager', async () => {
    // Prepare
    const tenant = await seedTenant(['owner', 'manager']);
    // Act
    const response = await call(routes.createInvitation, {
      as: first(tenant, 'manager').userId,
      params: { tenantId: tenant.tenantId },
      body: { email: uniqueEmail('ada'), role: 'manager' },
    });
    // Assess
    expect(response.status).toBe(201);
  });

  it('refuses to invite an existing member with a 409', async () => {
    // Prepare
    const tenant = await seedTenant(['owner', 'member']);
    const before = await snapshot(tenant.tenantId);
    // Act
    const response = await call(routes.createInvitation, {
      as: first(tenant, 'owner').userId,
      params: { tenantId: tenant.tenantId },
      body: { email: first(tenant, 'member').email, role: 'admin' },
    });
    // Assess
    expect(response.status).toBe(409);
    expect(response.body.detail).toMatch(/already a member/);
    // The attempt counts against the send limits (their counters live outside the tenant's
    // partition); the tenant's own items are untouched.
    expect((await snapshot(tenant.tenantId)).items).toEqual(before.items);
  });

  it('treats an email in another letter case as the same member', async () => {
    // Prepare
    const tenant = await seedTenant(['owner', 'member']);
    // Act
    const response = await call(routes.createInvitation, {
      as: first(tenant, 'owner').userId,
      params: { tenantId: tenant.tenantId },
      body: { email: first(tenant, 'member').email.toUpperCase(), role: 'member' },
    });
    // Assess
    expect(response.status).toBe(409);
  });

  it('refuses a second pending invitation for the same email with another role with a 409', async () => {
    // Prepare
    const tenant = await seedTenant(['owner']);
    const email = uniqueEmail('ada');
    await invite(tenant, email, 'member');
    const before = await snapshot(tenant.tenantId);
    // Act
    const response = await call(routes.createInvitation, {
      as: first(tenant, 'owner').userId,
      params: { tenantId: tenant.tenantId },
      body: { email, role: 'admin' },
    });
    // Assess
    expect(response.status).toBe(409);
    expect(response.body.detail).toMatch(/already exists with the member role/);
    expect(await snapshot(tenant.tenantId)).toEqual(before);
  });

  it('re-sends the pending invitation when the same email is invited again with the same role', async () => {
    // Prepare
    const tenant = await seedTenant(['owner']);
    const email = uniqueEmail('ada');
    const original = await invite(tenant, email, 'member');
    // Act
    const again = await invite(tenant, email, 'member');
    // Assess
    expect(again.invitationId).toBe(original.invitationId);
    expect(await mailTo(email)).toHaveLength(2);
  });

  it('accepts a new invitation for an email once the previous one expired', async () => {
    // Prepare
    const tenant = await seedTenant(['owner']);
    const email = uniqueEmail('ada');
    const old = await invite(tenant, email, 'member');
    await expire(old);
    // Act
    const fresh = await invite(tenant, email, 'admin');
    // Assess
    expect(fresh.invitationId).not.toBe(old.invitationId);
    expect(await getItem(keys.pendingInvitation(tenant.tenantId, email))).toMatchObject({
      invitationId: fresh.invitationId,
    });
  });
});

describe('when the email cannot be sent', () => {
  async function ownerContext(tenant: SeededTenant) {
    const owner = first(tenant, 'owner');
    return createTenancy({ db }).resolve(
      { userId: owner.userId, groups: [], platformAdmin: false },
      tenant.tenantId,
      { requestId: `req-${newId()}`, sourceIp: '203.0.113.9' },
    );
  }

  it('answers 502 and keeps the invitation pending', async () => {
    // Prepare
    const tenant = await seedTenant(['owner']);
    const ctx = await ownerContext(tenant);
    const email = uniqueEmail('ada');
    // SES refuses a sender that is not a verified identity: a real failure, not a mock.
    const service = serviceWith(createInvitationRepository(db, deps), 'unverified@nowhere.test');
    // Act
    const attempt = service.create(ctx, { email, role: 'member' });
    // Assess
    await expect(attempt).rejects.toMatchObject({ name: 'InvitationEmailError', status: 502 });
    const guard = await getItem(keys.pendingInvitation(tenant.tenantId, email));
    expect(await getItem(invitationKey(tenant.tenantId, String(guard?.invitationId)))).toMatchObject({
      email,
      status: 'pending',
    });
  });

  it('sends the same invitation when the request is retried', async () => {
    // Prepare
    const tenant = await seedTenant(['owner']);
    const ctx = await ownerContext(tenant);
    const email = uniqueEmail('ada');
    await expect(
      serviceWith(createInvitationRepository(db, deps), 'unverified@nowhere.test').create(ctx, {
        email,
        role: 'member',
      }),
    ).rejects.toThrow();
    const guard = await getItem(keys.pendingInvitation(tenant.tenantId, email));
    // Act
    const { invitation: retried } = await serviceWith(createInvitationRepository(db, deps)).create(ctx, {
      email,
      role: 'member',
    });
    // Assess
    expect(retried.invitationId).toBe(guard?.invitationId);
    expect(await mailTo(email)).toHaveLength(1);
  });
});

describe('send limits', () => {
  /** What a refused invitation could have written for the tenant (its partition). */
  const tenantItems = async (tenantId: string) => (await snapshot(tenantId)).items;

  /** Fills the tenant's current hourly window as if it had sent `hits` invitation emails. */
  async function tenantHasSent(tenantId: string, hits: number) {
    const policy = definePolicy({ name: 'invitations-per-tenant', limit: hits, windowSeconds: 3600 });
    const slot = windowAt(policy, tenantId, new Date());
    await db.client.send(
      new PutCommand({
        TableName: db.tableName,
        Item: {
          ...keys.rateLimitWindow(policy.name, tenantId, slot.windowStart),
          type: 'rate-limit-window',
          hits,
          ttl: Math.ceil(slot.windowEnd / 1000) + 3600,
        },
      }),
    );
  }

  it('sends the RateLimit headers with a sent invitation', async () => {
    // Prepare
    const tenant = await seedTenant(['owner']);
    // Act
    const response = await call(routes.createInvitation, {
      as: first(tenant, 'owner').userId,
      params: { tenantId: tenant.tenantId },
      body: { email: uniqueEmail('ada'), role: 'member' },
    });
    // Assess
    expect(response.status).toBe(201);
    // The route's limits, then the tenant's API request limit (shared/tenancy) the request counted in.
    expect(response.headers['ratelimit-policy']).toMatch(
      /^"invitations-per-recipient";q=3;w=3600, "invitations-per-user";q=20;w=3600, "invitations-per-tenant";q=20;w=3600, "api-requests";q=\d+;w=\d+$/,
    );
    expect(response.headers.ratelimit).toMatch(
      /^"invitations-per-recipient";r=2;t=\d+, "invitations-per-user";r=19;t=\d+, "invitations-per-tenant";r=19;t=\d+, "api-requests";r=\d+;t=\d+$/,
    );
  });

  it('answers a burst of re-sends to one address with a 429, Retry-After and the RateLimit headers', async () => {
    // Prepare: an invitation and two re-sends, the most one address gets in an hour.
    const tenant = await seedTenant(['owner']);
    const email = uniqueEmail('ada');
    for (let i = 0; i < 3; i++) await invite(tenant, email, 'member');
    // Act
    const response = await call(routes.createInvitation, {
      as: first(tenant, 'owner').userId,
      params: { tenantId: tenant.tenantId },
      body: { email, role: 'member' },
    });
    // Assess
    expect(response.status).toBe(429);
    expect(response.headers['content-type']).toBe('application/problem+json');
    expect(Number(response.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(response.headers['retry-after'])).toBeLessThanOrEqual(3600);
    // The refused limit first; the tenant's API request limit the request counted in follows.
    expect(response.headers['ratelimit-policy']).toMatch(
      /^"invitations-per-recipient";q=3;w=3600, "api-requests";q=\d+;w=\d+$/,
    );
    expect(response.headers.ratelimit).toMatch(
      new RegExp(`^"invitations-per-recipient";r=0;t=${response.headers['retry-after']}, "api-requests";`),
    );
    expect(response.body).toMatchObject({ status: 429, title: 'Too Many Requests' });
    expect(await mailTo(email)).toHaveLength(3);
  });

  it('answers 429 once the tenant has sent its hourly emails, writing and mailing nothing', async () => {
    // Prepare
    const tenant = await seedTenant(['owner']);
    await tenantHasSent(tenant.tenantId, 20);
    const before = await tenantItems(tenant.tenantId);
    const email = uniqueEmail('ada');
    // Act
    const response = await call(routes.createInvitation, {
      as: first(tenant, 'owner').userId,
      params: { tenantId: tenant.tenantId },
      body: { email, role: 'member' },
    });
    // Assess
    expect(response.status).toBe(429);
    expect(response.body.detail).toMatch(/^This tenant has sent 20 invitation emails this hour/);
    expect(await tenantItems(tenant.tenantId)).toEqual(before);
    expect(await mailTo(email)).toEqual([]);
  });

  it('invites again once the window has passed, on the injected clock', async () => {
    // Prepare
    const tenant = await seedTenant(['owner']);
    const ctx = await ownerContextOf(tenant);
    let now = new Date();
    const service = createInvitationService({
      invitations: createInvitationRepository(db, { clock: () => now, newId: () => newId() }),
      directory: createCognitoDirectory(stack.cognito, stack.userPoolId),
      mailer: createSesInvitationMailer(new SESv2Client(localClientConfig(stack)), stack.mailFrom, {
        db,
        clock: () => now,
        newId: () => newId(),
      }),
      rateLimiter: createTableRateLimiter(db, () => now),
      clock: () => now,
      newId: () => newId(),
      appUrl: TEST_APP_URL,
      ttlDays: 7,
    });
    const email = uniqueEmail('ada');
    for (let i = 0; i < 3; i++) await service.create(ctx, { email, role: 'member' });
    const refused = await service.create(ctx, { email, role: 'member' }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(RateLimitedError);
    // Act
    now = new Date(now.getTime() + Number((refused as RateLimitedError).headers['retry-after']) * 1000);
    const { invitation } = await service.create(ctx, { email, role: 'member' });
    // Assess
    expect(invitation).toMatchObject({ email, status: 'pending' });
    expect(await mailTo(email)).toHaveLength(4);
  });
});

describe('listing a tenant’s invitations', () => {
  it('shows a manager every invitation with its status, expired ones as expired', async () => {
    // Prepare
    const tenant = await seedTenant(['owner', 'manager'], { plan: 'team' });
    const open = await invite(tenant, uniqueEmail('open'), 'member');
    const stale = await invite(tenant, uniqueEmail('stale'), 'member');
    await expire(stale);
    // Act
    const response = await call(routes.listInvitations, {
      as: first(tenant, 'manager').userId,
      params: { tenantId: tenant.tenantId },
    });
    // Assess
    expect(response.status).toBe(200);
    const statuses = Object.fromEntries(
      (response.body.items as Invitation[]).map((i) => [i.invitationId, i.status]),
    );
    expect(statuses).toEqual({ [open.invitationId]: 'pending', [stale.invitationId]: 'expired' });
  });

  it('refuses a plain member the list with a 403', async () => {
    // Prepare
    const tenant = await seedTenant(['owner', 'member']);
    // Act
    const response = await call(routes.listInvitations, {
      as: first(tenant, 'member').userId,
      params: { tenantId: tenant.tenantId },
    });
    // Assess
    expect(response.status).toBe(403);
  });

  it('pages through the invitations with a cursor', async () => {
    // Prepare
    const tenant = await seedTenant(['owner'], { plan: 'team' });
    for (const label of ['a', 'b', 'c']) await invite(tenant, uniqueEmail(label), 'member');
    const as = first(tenant, 'owner').userId;
    const params = { tenantId: tenant.tenantId };
    // Act
    const page1 = await call(routes.listInvitations, { as, params, query: { limit: '2' } });
    const page2 = await call(routes.listInvitations, {
      as,
      params,
      query: { limit: '2', cursor: String(page1.body.nextCursor) },
    });
    // Assess
    const ids = [...(page1.body.items as Invitation[]), ...(page2.body.items as Invitation[])].map(
      (i) => i.invitationId,
    );
    expect(new Set(ids).size).toBe(3);
  });
});

describe('the invitee', () => {
  it('sees a pending invitation at /v1/me/invitations', async () => {
    // Prepare
    const tenant = await seedTenant(['owner']);
    const invitee = await signUpInvitee();
    const invitation = await invite(tenant, invitee.email, 'manager');
    // Act
    const response = await call(routes.listMyInvitations, { as: invitee.userId });
    // Assess
    expect(response.status).toBe(200);
    expect(response.body.items).toEqual([invitation]);
  });

  it('sees no invitations while their email is unverified', async () => {
    // Prepare
    const tenant = await seedTenant(['owner']);
    const invitee = await signUpInvitee({ verified: false });
    await invite(tenant, invitee.email, 'member');
    // Act
    const response = await call(routes.listMyInvitations, { as: invitee.userId });
    // Assess
    expect(response).toMatchObject({ status: 200, body: { items: [] } });
  });

  it('does not see expired, revoked or accepted invitations', async () => {
    // Prepare
    const [a, b, c] = [await seedTenant(['owner']), await seedTenant(['owner']), await seedTenant(['owner'])];
    const invitee = await signUpInvitee();
    await expire(await invite(a, invitee.email, 'member'));
    const revoked = await invite(b, invitee.email, 'member');
    await call(routes.revokeInvitation, {
      as: first(b, 'owner').userId,
      params: { tenantId: b.tenantId, invitationId: revoked.invitationId },
    });
    const accepted = await invite(c, invitee.email, 'member');
    await call(routes.acceptInvitation, {
      as: invitee.userId,
      params: { invitationId: accepted.invitationId },
    });
    // Act
    const response = await call(routes.listMyInvitations, { as: invitee.userId });
    // Assess
    expect(response.body.items).toEqual([]);
  });

  it('accepts and becomes a member with the invitation role', async () => {
    // Prepare
    const tenant = await seedTenant(['owner']);
    const invitee = await signUpInvitee();
    const invitation = await invite(tenant, invitee.email, 'manager');
    // Act
    const response = await call(routes.acceptInvitation, {
      as: invitee.userId,
      params: { invitationId: invitation.invitationId },
    });
    // Assess
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      tenantId: tenant.tenantId,
      userId: invitee.userId,
      email: invitee.email,
      role: 'manager',
      status: 'active',
    });
    expect(await getItem(memberKey(tenant.tenantId, invitee.userId))).toMatchObject({
      type: 'member',
      role: 'manager',
      gsi1pk: `USER#${invitee.userId}`,
    });
    expect(await getItem(keys.memberEmail(tenant.tenantId, invitee.email))).toMatchObject({
      userId: invitee.userId,
    });
  });

  it('marks the invitation accepted, frees its guard and audits both the acceptance and the join', async () => {
    // Prepare
    const tenant = await seedTenant(['owner']);
    const invitee = await signUpInvitee();
    const invitation = await invite(tenant, invitee.email, 'member');
    // Act
    await call(routes.acceptInvitation, {
      as: invitee.userId,
      params: { invitationId: invitation.invitationId },
    });
    // Assess
    expect(await getItem(invitationKey(tenant.tenantId, invitation.invitationId))).toMatchObject({
      status: 'accepted',
      acceptedBy: invitee.userId,
    });
    expect(await getItem(keys.pendingInvitation(tenant.tenantId, invitee.email))).toBeUndefined();
    const entries = await auditActions(tenant.tenantId);
    expect(entries.map((e) => e.action).sort()).toEqual([
      'invitation.accepted',
      'invitation.created',
      'member.joined',
    ]);
    expect(entries.find((e) => e.action === 'member.joined')).toMatchObject({
      actor: { userId: invitee.userId, email: invitee.email },
      before: null,
      after: expect.objectContaining({ role: 'member' }),
    });
  });

  it('counts a new owner when an owner invitation is accepted', async () => {
    // Prepare
    const tenant = await seedTenant(['owner']);
    const invitee = await signUpInvitee();
    const invitation = await invite(tenant, invitee.email, 'owner');
    // Act
    await call(routes.acceptInvitation, {
      as: invitee.userId,
      params: { invitationId: invitation.invitationId },
    });
    // Assess
    expect(await getItem(keys.tenant(tenant.tenantId))).toMatchObject({ ownerCount: 2 });
  });

  it('refuses to accept with an unverified email with a 403', async () => {
    // Prepare
    const tenant = await seedTenant(['owner']);
    const invitee = await signUpInvitee({ verified: false });
    const invitation = await invite(tenant, invitee.email, 'member');
    // Act
    const response = await call(routes.acceptInvitation, {
      as: invitee.userId,
      params: { invitationId: invitation.invitationId },
    });
    // Assess
    expect(response.status).toBe(403);
    expect(response.body.detail).toMatch(/Verify your email/);
  });

  it("answers 404 to someone else accepting another person's invitation", async () => {
    // Prepare
    const tenant = await seedTenant(['owner']);
    const invitation = await invite(tenant, uniqueEmail('ada'), 'member');
    const intruder = await signUpInvitee();
    const before = await snapshot(tenant.tenantId);
    // Act
    const response = await call(routes.acceptInvitation, {
      as: intruder.userId,
      params: { invitationId: invitation.invitationId },
    });
    // Assess
    expect(response.status).toBe(404);
    expect(await snapshot(tenant.tenantId)).toEqual(before);
  });

  it('refuses to accept an expired invitation with a 409', async () => {
    // Prepare
    const tenant = await seedTenant(['owner']);
    const invitee = await signUpInvitee();
    const invitation = await invite(tenant, invitee.email, 'member');
    await expire(invitation);
    // Act
    const response = await call(routes.acceptInvitation, {
      as: invitee.userId,
      params: { invitationId: invitation.invitationId },
    });
    // Assess
    expect(response.status).toBe(409);
    expect(response.body.detail).toMatch(/expired/);
    expect(await getItem(memberKey(tenant.tenantId, invitee.userId))).toBeUndefined();
  });

  it('has the accept transaction refuse an invitation that expired after it was read', async () => {
    // Prepare
    const tenant = await seedTenant(['owner']);
    const invitee = await signUpInvitee();
    const invitation = await invite(tenant, invitee.email, 'member');
    const repository = createInvitationRepository(db, deps).forInvitee({
      userId: invitee.userId,
      email: invitee.email,
      emailVerified: true,
      mfaEnabled: false,
      enabled: true,
    });
    const stored = await repository.get(invitation.invitationId);
    if (!stored) throw new Error('invitation not found through the invitee index');
    const afterExpiry = new Date(Date.parse(invitation.expiresAt) + 1000).toISOString();
    // Act
    const attempt = repository.accept(
      { ...stored, status: 'accepted', acceptedAt: afterExpiry, acceptedBy: invitee.userId },
      {
        tenantId: tenant.tenantId,
        userId: invitee.userId,
        email: invitee.email,
        role: 'member',
        status: 'active',
        joinedAt: afterExpiry,
        updatedAt: afterExpiry,
      },
      [],
      { max: 3, reached: () => new Error('no seat') },
    );
    // Assess
    await expect(attempt).rejects.toBeInstanceOf(ConflictError);
    expect(await getItem(memberKey(tenant.tenantId, invitee.userId))).toBeUndefined();
  });

  it('refuses to accept an invitation twice with a 409', async () => {
    // Prepare
    const tenant = await seedTenant(['owner']);
    const invitee = await signUpInvitee();
    const invitation = await invite(tenant, invitee.email, 'member');
    const params = { invitationId: invitation.invitationId };
    await call(routes.acceptInvitation, { as: invitee.userId, params });
    // Act
    const response = await call(routes.acceptInvitation, { as: invitee.userId, params });
    // Assess
    expect(response.status).toBe(409);
  });

  it('refuses to accept for a tenant that was suspended meanwhile with a 409', async () => {
    // Prepare
    const tenant = await seedTenant(['owner']);
    const invitee = await signUpInvitee();
    const invitation = await invite(tenant, invitee.email, 'member');
    await db.client.send(
      new UpdateCommand({
        TableName: db.tableName,
        Key: keys.tenant(tenant.tenantId),
        UpdateExpression: 'SET #status = :suspended',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':suspended': 'suspended' },
      }),
    );
    // Act
    const response = await call(routes.acceptInvitation, {
      as: invitee.userId,
      params: { invitationId: invitation.invitationId },
    });
    // Assess
    expect(response.status).toBe(409);
    expect(await getItem(memberKey(tenant.tenantId, invitee.userId))).toBeUndefined();
  });

  it('lets exactly one of two accepts that race on the same invitation succeed', async () => {
    // Prepare
    const tenant = await seedTenant(['owner']);
    const invitee = await signUpInvitee();
    const invitation = await invite(tenant, invitee.email, 'owner');
    const service = serviceWith(interleaved(createInvitationRepository(db, deps), 2));
    const caller = { userId: invitee.userId, groups: [], platformAdmin: false };
    const request = { requestId: `req-${newId()}`, sourceIp: '203.0.113.9' };
    // Act
    const results = await Promise.allSettled([
      service.accept(caller, invitation.invitationId, request),
      service.accept(caller, invitation.invitationId, request),
    ]);
    // Assess
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(results.find((r) => r.status === 'rejected')?.reason).toBeInstanceOf(ConflictError);
    expect(await getItem(keys.tenant(tenant.tenantId))).toMatchObject({ ownerCount: 2 });
    const joined = (await auditActions(tenant.tenantId)).filter((e) => e.action === 'member.joined');
    expect(joined).toHaveLength(1);
  });
});

describe('revoking', () => {
  it('revokes a pending invitation, frees its guard and audits it', async () => {
    // Prepare
    const tenant = await seedTenant(['owner', 'admin']);
    const email = uniqueEmail('ada');
    const invitation = await invite(tenant, email, 'member');
    // Act
    const response = await call(routes.revokeInvitation, {
      as: first(tenant, 'admin').userId,
      params: { tenantId: tenant.tenantId, invitationId: invitation.invitationId },
    });
    // Assess
    expect(response.status).toBe(204);
    expect(await getItem(invitationKey(tenant.tenantId, invitation.invitationId))).toMatchObject({
      status: 'revoked',
      revokedBy: first(tenant, 'admin').userId,
    });
    expect(await getItem(keys.pendingInvitation(tenant.tenantId, email))).toBeUndefined();
    expect((await auditActions(tenant.tenantId)).map((e) => e.action)).toContain('invitation.revoked');
  });

  it('stops the invitee accepting a revoked invitation with a 409', async () => {
    // Prepare
    const tenant = await seedTenant(['owner']);
    const invitee = await signUpInvitee();
    const invitation = await invite(tenant, invitee.email, 'member');
    await call(routes.revokeInvitation, {
      as: first(tenant, 'owner').userId,
      params: { tenantId: tenant.tenantId, invitationId: invitation.invitationId },
    });
    // Act
    const response = await call(routes.acceptInvitation, {
      as: invitee.userId,
      params: { invitationId: invitation.invitationId },
    });
    // Assess
    expect(response.status).toBe(409);
    expect(response.body.detail).toMatch(/revoked/);
  });

  it('lets the same email be invited again after a revocation', async () => {
    // Prepare
    const tenant = await seedTenant(['owner']);
    const email = uniqueEmail('ada');
    const revoked = await invite(tenant, email, 'member');
    await call(routes.revokeInvitation, {
      as: first(tenant, 'owner').userId,
      params: { tenantId: tenant.tenantId, invitationId: revoked.invitationId },
    });
    // Act
    const response = await call(routes.createInvitation, {
      as: first(tenant, 'owner').userId,
      params: { tenantId: tenant.tenantId },
      body: { email, role: 'member' },
    });
    // Assess
    expect(response.status).toBe(201);
    expect(response.body.invitationId).not.toBe(revoked.invitationId);
  });

  it.each<[Role, Role]>([
    ['manager', 'member'],
    ['admin', 'owner'],
  ])('refuses a %s revoking a %s invitation with a 403', async (callerRole, role) => {
    // Prepare
    const tenant = await seedTenant(['owner', 'admin', 'manager'], { plan: 'team' });
    const invitation = await invite(tenant, uniqueEmail('ada'), role);
    // Act
    const response = await call(routes.revokeInvitation, {
      as: first(tenant, callerRole).userId,
      params: { tenantId: tenant.tenantId, invitationId: invitation.invitationId },
    });
    // Assess
    expect(response.status).toBe(403);
  });

  it('refuses to revoke an invitation twice with a 409', async () => {
    // Prepare
    const tenant = await seedTenant(['owner']);
    const invitation = await invite(tenant, uniqueEmail('ada'), 'member');
    const params = { tenantId: tenant.tenantId, invitationId: invitation.invitationId };
    await call(routes.revokeInvitation, { as: first(tenant, 'owner').userId, params });
    // Act
    const response = await call(routes.revokeInvitation, { as: first(tenant, 'owner').userId, params });
    // Assess
    expect(response.status).toBe(409);
  });
});

describe('cross-tenant access', () => {
  it.each([
    ['lists invitations', routes.listInvitations, undefined],
    ['invites', routes.createInvitation, { email: 'x@example.com', role: 'member' }],
    ['revokes', routes.revokeInvitation, undefined],
  ] as const)(
    "answers 404 when a member of another tenant %s with tenant A's ids",
    async (_, route, body) => {
      // Prepare
      const a = await seedTenant(['owner']);
      const b = await seedTenant(['owner']);
      const invitation = await invite(a, uniqueEmail('ada'), 'member');
      const before = await snapshot(a.tenantId, b.tenantId);
      // Act
      const response = await call(route, {
        as: first(b, 'owner').userId,
        params: { tenantId: a.tenantId, invitationId: invitation.invitationId },
        body,
      });
      // Assess
      expect(response.status).toBe(404);
      expect(await snapshot(a.tenantId, b.tenantId)).toEqual(before);
    },
  );

  it("answers 404 when an owner revokes another tenant's invitation through their own tenant", async () => {
    // Prepare
    const a = await seedTenant(['owner']);
    const b = await seedTenant(['owner']);
    const invitation = await invite(a, uniqueEmail('ada'), 'member');
    // Act
    const response = await call(routes.revokeInvitation, {
      as: first(b, 'owner').userId,
      params: { tenantId: b.tenantId, invitationId: invitation.invitationId },
    });
    // Assess
    expect(response.status).toBe(404);
    expect(await getItem(invitationKey(a.tenantId, invitation.invitationId))).toMatchObject({
      status: 'pending',
    });
  });
});

describe('bad input', () => {
  it.each([
    ['an unknown field', { email: 'ada@example.com', role: 'member', tenantId: 'x' }, 'body.tenantId'],
    ['a malformed email', { email: 'not-an-email', role: 'member' }, 'body.email'],
    ['an unknown role', { email: 'ada@example.com', role: 'superuser' }, 'body.role'],
    ['a missing email', { role: 'member' }, 'body.email'],
  ])('refuses %s with a 400 naming the field, writing nothing', async (_, body, field) => {
    // Prepare
    const tenant = await seedTenant(['owner']);
    const before = await snapshot(tenant.tenantId);
    // Act
    const response = await call(routes.createInvitation, {
      as: first(tenant, 'owner').userId,
      params: { tenantId: tenant.tenantId },
      body,
    });
    // Assess
    expect(response.status).toBe(400);
    expect(response.body.errors).toContainEqual(expect.objectContaining({ field }));
    expect(await snapshot(tenant.tenantId)).toEqual(before);
  });

  it('refuses a malformed invitation id on accept with a 400', async () => {
    // Prepare
    const invitee = await signUpInvitee();
    // Act
    const response = await call(routes.acceptInvitation, {
      as: invitee.userId,
      params: { invitationId: 'INVITATION#1' },
    });
    // Assess
    expect(response.status).toBe(400);
    expect(response.body.errors).toContainEqual(expect.objectContaining({ field: 'path.invitationId' }));
  });

  it('refuses a malformed invitation id on revoke with a 400 and writes nothing', async () => {
    // Prepare
    const tenant = await seedTenant(['owner']);
    const before = await snapshot(tenant.tenantId);
    // Act
    const response = await call(routes.revokeInvitation, {
      as: first(tenant, 'owner').userId,
      params: { tenantId: tenant.tenantId, invitationId: '../x' },
    });
    // Assess
    expect(response.status).toBe(400);
    expect(response.body.errors).toContainEqual(expect.objectContaining({ field: 'path.invitationId' }));
    expect(await snapshot(tenant.tenantId)).toEqual(before);
  });
});
