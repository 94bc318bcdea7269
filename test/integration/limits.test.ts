import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freeBillingState, type SubscriptionStatus } from '#shared/billing/billing.schema.ts';
import type { PlanId } from '#shared/billing/plans.ts';
import { keys } from '#shared/db/keys.ts';
import {
  type ApiClient,
  api,
  createTestStack,
  type LocalServer,
  signUpUser,
  startTestServer,
  type TestStack,
  type TestUser,
  uniqueEmail,
} from '../support/harness.ts';

/**
 * Plan limits over HTTP: seats and projects enforced by the API from the tenant's effective plan,
 * with the usage counters on the tenant item kept equal to the items they count.
 */

let stack: TestStack;
let server: LocalServer;

beforeAll(async () => {
  stack = await createTestStack();
  server = await startTestServer(stack);
});
afterAll(() => server.close());

let slugs = 0;
const slug = (prefix: string) => `${prefix}-${++slugs}-${Date.now().toString(36)}`;

interface Tenant {
  readonly owner: TestUser;
  readonly client: ApiClient;
  readonly tenantId: string;
  readonly base: string;
}

/** A user and the tenant they own, on the free plan (no billing item). */
async function newTenant(): Promise<Tenant> {
  const owner = await signUpUser(stack);
  const client = api(server, owner.accessToken);
  const created = await client.post('/v1/tenants', { name: 'Limits Co', slug: slug('limits') });
  const tenantId: string = created.body.tenantId;
  return { owner, client, tenantId, base: `/v1/tenants/${tenantId}` };
}

/** Mirrors a subscription in the billing item, as the billing webhooks would. */
async function subscribe(tenantId: string, plan: PlanId, status: SubscriptionStatus): Promise<void> {
  const now = new Date().toISOString();
  await stack.db.send(
    new PutCommand({
      TableName: stack.tableName,
      Item: {
        ...keys.billing(tenantId),
        type: 'billing',
        ...freeBillingState(tenantId, now),
        plan,
        interval: 'month',
        status,
      },
    }),
  );
}

async function createProjects(tenant: Tenant, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const response = await tenant.client.post(`${tenant.base}/projects`, { name: 'P', slug: slug('p') });
    if (response.status !== 201) throw new Error(`project not created: ${JSON.stringify(response.body)}`);
    ids.push(response.body.projectId);
  }
  return ids;
}

async function invite(tenant: Tenant, email: string = uniqueEmail('invitee')) {
  return tenant.client.post(`${tenant.base}/invitations`, { email, role: 'member' });
}

async function inviteOk(tenant: Tenant, email?: string): Promise<string> {
  const response = await invite(tenant, email);
  if (response.status !== 201) throw new Error(`invite failed: ${JSON.stringify(response.body)}`);
  return response.body.invitationId;
}

/** Signs up an invitee, invites them and has them accept. */
async function join(tenant: Tenant): Promise<TestUser> {
  const user = await signUpUser(stack, uniqueEmail('joiner'));
  const invitationId = await inviteOk(tenant, user.email);
  const accepted = await api(server, user.accessToken).post(`/v1/invitations/${invitationId}/accept`);
  if (accepted.status !== 200) throw new Error(`accept failed: ${JSON.stringify(accepted.body)}`);
  return user;
}

async function tenantItem(tenantId: string) {
  const { Item } = await stack.db.send(
    new GetCommand({ TableName: stack.tableName, Key: keys.tenant(tenantId), ConsistentRead: true }),
  );
  return Item ?? {};
}

async function countItems(prefix: { pk: string; skPrefix: string }): Promise<number> {
  let count = 0;
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await stack.db.send(
      new QueryCommand({
        TableName: stack.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': prefix.pk, ':prefix': prefix.skPrefix },
        Select: 'COUNT',
        ConsistentRead: true,
        ExclusiveStartKey: startKey,
      }),
    );
    count += page.Count ?? 0;
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return count;
}

/** The counters on the tenant item next to the items they count. */
async function countersAndItems(tenantId: string) {
  const item = await tenantItem(tenantId);
  const members = await countItems(keys.membersPrefix(tenantId));
  const pending = await countItems(keys.pendingInvitationsPrefix(tenantId));
  return {
    counters: {
      memberCount: item.memberCount,
      pendingInvitationCount: item.pendingInvitationCount,
      reservedSeats: item.reservedSeats,
      projectCount: item.projectCount,
    },
    items: {
      memberCount: members,
      pendingInvitationCount: pending,
      reservedSeats: members + pending,
      projectCount: await countItems(keys.projectsPrefix(tenantId)),
    },
  };
}

/** Moves an invitation and its pending guard past their expiry, as the passing of time would. */
async function expire(tenantId: string, invitationId: string, email: string): Promise<void> {
  const { gsi1pk: _g, gsi1sk: _s, ...invitationKey } = keys.invitation(tenantId, invitationId, email);
  const past = new Date(Date.now() - 60_000).toISOString();
  for (const key of [invitationKey, keys.pendingInvitation(tenantId, email)]) {
    await stack.db.send(
      new UpdateCommand({
        TableName: stack.tableName,
        Key: key,
        UpdateExpression: 'SET expiresAt = :past',
        ExpressionAttributeValues: { ':past': past },
      }),
    );
  }
}

describe('project limit', () => {
  it('refuses the fourth project on the Free plan with a 402 naming the limit and the plan, writing nothing', async () => {
    // Prepare
    const tenant = await newTenant();
    await createProjects(tenant, 3);
    const before = await countersAndItems(tenant.tenantId);
    // Act
    const response = await tenant.client.post(`${tenant.base}/projects`, { name: 'Four', slug: 'four' });
    // Assess
    expect(response.status).toBe(402);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(response.body.detail).toBe('The Free plan allows 3 projects; upgrade to Team for up to 25.');
    expect(await countersAndItems(tenant.tenantId)).toEqual(before);
    expect(before.items.projectCount).toBe(3);
    const slugGuard = await stack.db.send(
      new GetCommand({ TableName: stack.tableName, Key: keys.projectSlug(tenant.tenantId, 'four') }),
    );
    expect(slugGuard.Item).toBeUndefined();
  });

  it('frees a slot when a project is deleted', async () => {
    // Prepare
    const tenant = await newTenant();
    const [first] = await createProjects(tenant, 3);
    await tenant.client.delete(`${tenant.base}/projects/${first}`);
    // Act
    const response = await tenant.client.post(`${tenant.base}/projects`, { name: 'Again', slug: slug('a') });
    // Assess
    expect(response.status).toBe(201);
    expect((await tenantItem(tenant.tenantId)).projectCount).toBe(3);
  });

  it('lets exactly one of two requests racing for the last project slot create it', async () => {
    // Prepare
    const tenant = await newTenant();
    await createProjects(tenant, 2);
    // Act
    const responses = await Promise.all(
      ['race-a', 'race-b'].map((s) => tenant.client.post(`${tenant.base}/projects`, { name: s, slug: s })),
    );
    // Assess
    expect(responses.map((r) => r.status).sort()).toEqual([201, 402]);
    expect((await countersAndItems(tenant.tenantId)).items.projectCount).toBe(3);
  });
});

describe('seat limit', () => {
  it('refuses an invitation past the seat limit with a 402, counting pending invitations, writing nothing', async () => {
    // Prepare
    const tenant = await newTenant();
    await inviteOk(tenant);
    await inviteOk(tenant);
    const before = await countersAndItems(tenant.tenantId);
    // Act
    const response = await invite(tenant);
    // Assess
    expect(response.status).toBe(402);
    expect(response.body.detail).toBe(
      'The Free plan allows 3 seats (members and pending invitations); upgrade to Team for up to 10.',
    );
    expect(await countersAndItems(tenant.tenantId)).toEqual(before);
  });

  it('gives a seat back when a pending invitation is revoked', async () => {
    // Prepare
    const tenant = await newTenant();
    const revoked = await inviteOk(tenant);
    await inviteOk(tenant);
    await tenant.client.delete(`${tenant.base}/invitations/${revoked}`);
    // Act
    const response = await invite(tenant);
    // Assess
    expect(response.status).toBe(201);
  });

  it("reclaims an expired invitation's seat for a new invitation", async () => {
    // Prepare
    const tenant = await newTenant();
    const staleEmail = uniqueEmail('stale');
    const stale = await inviteOk(tenant, staleEmail);
    await inviteOk(tenant);
    await expire(tenant.tenantId, stale, staleEmail);
    // Act
    const response = await invite(tenant);
    // Assess
    expect(response.status).toBe(201);
    const { counters, items } = await countersAndItems(tenant.tenantId);
    expect(counters).toEqual(items);
    expect(counters.pendingInvitationCount).toBe(2);
  });

  it('gives a seat back when a member leaves', async () => {
    // Prepare
    const tenant = await newTenant();
    const member = await join(tenant);
    await inviteOk(tenant);
    await api(server, member.accessToken).delete(`${tenant.base}/members/${member.userId}`);
    // Act
    const response = await invite(tenant);
    // Assess
    expect(response.status).toBe(201);
  });

  it('lets exactly one of two invitees racing for the last seat join', async () => {
    // Prepare: two members and two invitations sent on Team, then the plan falls back to Free (3 seats).
    const tenant = await newTenant();
    await join(tenant);
    await subscribe(tenant.tenantId, 'team', 'active');
    const racers = [await signUpUser(stack), await signUpUser(stack)];
    const invitations = [await inviteOk(tenant, racers[0]?.email), await inviteOk(tenant, racers[1]?.email)];
    await subscribe(tenant.tenantId, 'team', 'canceled');
    // Act
    const responses = await Promise.all(
      racers.map((user, i) => api(server, user.accessToken).post(`/v1/invitations/${invitations[i]}/accept`)),
    );
    // Assess
    expect(responses.map((r) => r.status).sort()).toEqual([200, 402]);
    expect(responses.find((r) => r.status === 402)?.body.detail).toBe(
      'Limits Co has no seat left: the Free plan allows 3 seats; an admin of Limits Co can upgrade to Team for up to 10.',
    );
    const { counters, items } = await countersAndItems(tenant.tenantId);
    expect(counters).toEqual(items);
    expect(counters.memberCount).toBe(3);
  });
});

describe('plans', () => {
  it('lifts both limits on an active Team subscription', async () => {
    // Prepare
    const tenant = await newTenant();
    await subscribe(tenant.tenantId, 'team', 'active');
    await createProjects(tenant, 3);
    await inviteOk(tenant);
    await inviteOk(tenant);
    // Act
    const project = await tenant.client.post(`${tenant.base}/projects`, { name: 'Four', slug: slug('p') });
    const invitation = await invite(tenant);
    // Assess
    expect([project.status, invitation.status]).toEqual([201, 201]);
  });

  it.each<SubscriptionStatus>(['canceled', 'unpaid'])(
    'falls back to the Free limits when the subscription is %s, keeping what exists',
    async (status) => {
      // Prepare
      const tenant = await newTenant();
      await subscribe(tenant.tenantId, 'team', 'active');
      await createProjects(tenant, 4);
      for (let i = 0; i < 3; i++) await inviteOk(tenant);
      await subscribe(tenant.tenantId, 'team', status);
      // Act
      const project = await tenant.client.post(`${tenant.base}/projects`, { name: 'Five', slug: slug('p') });
      const invitation = await invite(tenant);
      // Assess
      expect(project.status).toBe(402);
      expect(project.body.detail).toBe(
        'The Free plan allows 3 projects and this tenant has 4; upgrade to Team for up to 25.',
      );
      expect(invitation.status).toBe(402);
      expect(invitation.body.detail).toMatch(
        /^The Free plan allows 3 seats \(members and pending invitations\) and this tenant has 4;/,
      );
      const listed = await tenant.client.get(`${tenant.base}/projects`);
      expect(listed.body.items).toHaveLength(4);
    },
  );
});

describe('usage counters', () => {
  it('start a new tenant at one member, no invitation and no project', async () => {
    // Prepare
    const tenant = await newTenant();
    // Act
    const item = await tenantItem(tenant.tenantId);
    // Assess
    expect(item).toMatchObject({
      memberCount: 1,
      pendingInvitationCount: 0,
      reservedSeats: 1,
      projectCount: 0,
    });
  });

  it('stay equal to the items after creates, deletes, invites, revokes, accepts and removals', async () => {
    // Prepare
    const tenant = await newTenant();
    await subscribe(tenant.tenantId, 'team', 'active');
    // Act
    const projects = await createProjects(tenant, 4);
    await tenant.client.delete(`${tenant.base}/projects/${projects[1]}`);
    const removed = await join(tenant);
    const promoted = await join(tenant);
    await tenant.client.delete(`${tenant.base}/members/${removed.userId}`);
    await tenant.client.patch(`${tenant.base}/members/${promoted.userId}`, { role: 'owner' });
    await api(server, promoted.accessToken).delete(`${tenant.base}/members/${promoted.userId}`);
    const revoked = await inviteOk(tenant);
    await tenant.client.delete(`${tenant.base}/invitations/${revoked}`);
    await inviteOk(tenant);
    await createProjects(tenant, 1);
    // Assess
    const { counters, items } = await countersAndItems(tenant.tenantId);
    expect(counters).toEqual(items);
    expect(counters).toEqual({
      memberCount: 1,
      pendingInvitationCount: 1,
      reservedSeats: 2,
      projectCount: 4,
    });
    expect((await tenantItem(tenant.tenantId)).ownerCount).toBe(1);
  });

  it('never show in the tenant as the API returns it', async () => {
    // Prepare
    const tenant = await newTenant();
    // Act
    const response = await tenant.client.get(tenant.base);
    // Assess
    expect(response.status).toBe(200);
    expect(Object.keys(response.body).filter((k) => k.endsWith('Count') || k === 'reservedSeats')).toEqual(
      [],
    );
  });
});
