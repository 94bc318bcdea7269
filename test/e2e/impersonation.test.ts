import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keys } from '#shared/db/keys.ts';
import { routeList } from '#shared/http/routes.ts';
import { newId } from '#shared/ids.ts';
import { createImpersonationRepository } from '#shared/impersonation/impersonation.repository.ts';
import { impersonationPolicy } from '#shared/impersonation/route-policy.ts';
import { mirrorSubscription } from '../support/billing-state.ts';
import {
  api,
  createTestStack,
  type LocalServer,
  signUpOperator,
  signUpUser,
  startTestServer,
  type TestOperator,
  type TestStack,
  type TestUser,
} from '../support/harness.ts';
import { startTestRunner, type TestRunner } from '../support/runner.ts';

/**
 * Impersonation for support over HTTP, through the local server: sessions opened, listed and ended
 * by operators, and the normal API called with the operator's token plus the session header.
 */

let stack: TestStack;
let server: LocalServer;
let runner: TestRunner;
let support: TestOperator;
let finance: TestOperator;
let customer: TestUser;
let stranger: TestUser;
let tenantA: string;
let tenantB: string;
let foreignTenant: string;

const HEADER = 'Plinth-Impersonation';

beforeAll(async () => {
  stack = await createTestStack();
  server = await startTestServer(stack);
  runner = await startTestRunner(stack);
  [support, finance, customer, stranger] = await Promise.all([
    signUpOperator(stack, ['support']),
    signUpOperator(stack, ['finance']),
    signUpUser(stack),
    signUpUser(stack),
  ]);
  const own = api(server, customer.accessToken);
  tenantA = (await own.post('/v1/tenants', { name: 'Alpha', slug: 'alpha' })).body.tenantId;
  tenantB = (await own.post('/v1/tenants', { name: 'Beta', slug: 'beta' })).body.tenantId;
  foreignTenant = (
    await api(server, stranger.accessToken).post('/v1/tenants', { name: 'Gamma', slug: 'gamma' })
  ).body.tenantId;
  await runner.drain();
});
afterAll(async () => {
  await runner.stop();
  await server.close();
});

const ops = () => api(server, support.accessToken);

async function open(body: Record<string, unknown>): Promise<string> {
  const response = await ops().post('/admin/impersonations', {
    reason: 'Ticket 42: cannot see projects',
    minutes: 15,
    ...body,
  });
  expect(response.status).toBe(201);
  return response.body.sessionId;
}

/** The operator's client, acting under `sessionId`. */
function as(sessionId: string) {
  const client = ops();
  const headers = { [HEADER]: sessionId };
  return {
    get: (path: string) => client.get(path, { headers }),
    post: (path: string, body: unknown) => client.post(path, body, { headers }),
    patch: (path: string, body: unknown, extra: Record<string, string> = {}) =>
      client.patch(path, body, { headers: { ...headers, ...extra } }),
    delete: (path: string) => client.delete(path, { headers }),
  };
}

async function auditOf(tenantId: string): Promise<Record<string, unknown>[]> {
  const range = keys.auditRange(tenantId);
  const result = await stack.db.send(
    new QueryCommand({
      TableName: stack.tableName,
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: { ':pk': range.pk, ':from': range.skFrom, ':to': range.skTo },
      ConsistentRead: true,
    }),
  );
  return result.Items ?? [];
}

async function platformAudit(): Promise<Record<string, unknown>[]> {
  const result = await stack.db.send(
    new QueryCommand({
      TableName: stack.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': 'PLATFORM_AUDIT' },
      ConsistentRead: true,
    }),
  );
  return result.Items ?? [];
}

describe('POST /admin/impersonations', () => {
  it('opens a session with its expiry and time left', async () => {
    const response = await ops().post('/admin/impersonations', {
      userId: customer.userId,
      reason: 'Ticket 7: login loop',
      minutes: 30,
    });
    expect(response.status).toBe(201);
    expect(response.body).toEqual({
      sessionId: expect.any(String),
      operatorId: support.userId,
      userId: customer.userId,
      reason: 'Ticket 7: login loop',
      openedAt: expect.any(String),
      expiresAt: expect.any(String),
      secondsLeft: expect.any(Number),
    });
    const length = Date.parse(response.body.expiresAt) - Date.parse(response.body.openedAt);
    expect(length).toBe(30 * 60_000);
    expect(response.body.secondsLeft).toBeGreaterThan(29 * 60);
  });

  it('answers 400 with field errors for more than 60 minutes and no reason', async () => {
    const response = await ops().post('/admin/impersonations', { userId: customer.userId, minutes: 61 });
    expect(response.status).toBe(400);
    expect(response.body.errors.map((e: { field: string }) => e.field).sort()).toEqual([
      'body.minutes',
      'body.reason',
    ]);
  });

  it('answers 404 for a user who does not exist', async () => {
    const response = await ops().post('/admin/impersonations', {
      userId: '00000000-0000-0000-0000-000000000000',
      reason: 'Ticket 9',
      minutes: 5,
    });
    expect(response.status).toBe(404);
  });

  it('answers 404 for a tenant the user is not a member of', async () => {
    const response = await ops().post('/admin/impersonations', {
      userId: customer.userId,
      tenantId: foreignTenant,
      reason: 'Ticket 9',
      minutes: 5,
    });
    expect(response.status).toBe(404);
  });

  it('refuses a finance operator with 403', async () => {
    const response = await api(server, finance.accessToken).post('/admin/impersonations', {
      userId: customer.userId,
      reason: 'Curious',
      minutes: 5,
    });
    expect(response.status).toBe(403);
  });

  it('refuses a customer with 403', async () => {
    const response = await api(server, stranger.accessToken).post('/admin/impersonations', {
      userId: customer.userId,
      reason: 'Curious',
      minutes: 5,
    });
    expect(response.status).toBe(403);
  });

  it('writes the opening to the platform audit log and to every tenant of the user', async () => {
    const sessionId = await open({ userId: customer.userId });

    const platform = (await platformAudit()).filter(
      (e) =>
        e.action === 'impersonation.opened' && (e.after as { sessionId?: string }).sessionId === sessionId,
    );
    expect(platform).toEqual([
      expect.objectContaining({
        operatorId: support.userId,
        userId: customer.userId,
        reason: expect.any(String),
      }),
    ]);
    for (const tenantId of [tenantA, tenantB]) {
      const entries = (await auditOf(tenantId)).filter(
        (e) =>
          e.action === 'impersonation.opened' && (e.after as { sessionId?: string }).sessionId === sessionId,
      );
      expect(entries).toEqual([
        expect.objectContaining({
          actor: { userId: support.userId, kind: 'support' },
          target: { type: 'user', id: customer.userId },
        }),
      ]);
    }
    expect((await auditOf(foreignTenant)).some((e) => e.action === 'impersonation.opened')).toBe(false);
  });
});

describe('the API under impersonation', () => {
  let sessionId: string;
  beforeAll(async () => {
    sessionId = await open({ userId: customer.userId });
  });

  it('reads as the user', async () => {
    const me = await as(sessionId).get('/v1/me');
    expect(me.status).toBe(200);
    expect(me.body.userId).toBe(customer.userId);
    const tenant = await as(sessionId).get(`/v1/tenants/${tenantA}`);
    expect(tenant.status).toBe(200);
    expect(tenant.body.role).toBe('owner');
  });

  it('is served by every function with a read that may run under impersonation', async () => {
    const reads = routeList.filter((r) => r.method === 'GET' && impersonationPolicy(r) === 'allowed');
    expect(new Set(reads.map((r) => r.area)).size).toBeGreaterThan(5);
    for (const route of reads) {
      const path = route.path.replace('{tenantId}', tenantA).replace(/\{\w+\}/g, newId());
      const response = await as(sessionId).get(path);
      // 404 for the made-up ids and 402 for plan features are the user's answers; 403 would be a refusal.
      expect([route.operationId, response.status === 403 || response.status === 401]).toEqual([
        route.operationId,
        false,
      ]);
    }
  });

  it('still cannot reach a tenant the user does not belong to (404)', async () => {
    expect((await as(sessionId).get(`/v1/tenants/${foreignTenant}/projects`)).status).toBe(404);
  });

  it('refuses billing routes, reads included, with 403', async () => {
    const response = await as(sessionId).get(`/v1/tenants/${tenantA}/billing`);
    expect(response.status).toBe(403);
    expect(response.body.detail).toMatch(/not allowed while impersonating/);
  });

  it('refuses admin routes with 403', async () => {
    const response = await as(sessionId).get('/admin/impersonations');
    expect(response.status).toBe(403);
    expect(response.body.detail).toMatch(/not allowed while impersonating/);
  });

  it('refuses deleting the tenant with 403, and the tenant stays', async () => {
    expect((await as(sessionId).delete(`/v1/tenants/${tenantA}`)).status).toBe(403);
    expect((await api(server, customer.accessToken).get(`/v1/tenants/${tenantA}`)).status).toBe(200);
  });

  it('refuses a change whose route does not allow it (inviting) with 403', async () => {
    const response = await as(sessionId).post(`/v1/tenants/${tenantA}/invitations`, {
      email: 'new@example.com',
      role: 'member',
    });
    expect(response.status).toBe(403);
  });

  it('refuses tracking product events with 403', async () => {
    const response = await as(sessionId).post(`/v1/tenants/${tenantA}/events`, {
      events: [{ id: 'imp-1', name: 'clicked' }],
    });
    expect(response.status).toBe(403);
  });

  it("refuses exporting the user's or the tenant's data with 403", async () => {
    const mine = await as(sessionId).post('/v1/me/exports', undefined);
    const tenants = await as(sessionId).post(`/v1/tenants/${tenantA}/exports`, undefined);
    expect([mine.status, tenants.status]).toEqual([403, 403]);
    expect(tenants.body.detail).toMatch(/data exports never are/);
  });

  it('records an allowed change with both the user and the operator in the audit log', async () => {
    const created = await as(sessionId).post(`/v1/tenants/${tenantA}/projects`, {
      name: 'Fixed by support',
      slug: 'fixed',
    });
    expect(created.status).toBe(201);
    expect(created.body.createdBy).toBe(customer.userId);

    const entries = (await auditOf(tenantA)).filter((e) => e.action === 'project.created');
    expect(entries).toEqual([
      expect.objectContaining({
        actor: expect.objectContaining({ userId: customer.userId }),
        impersonatedBy: { operatorId: support.userId, sessionId },
        actorKind: 'impersonation',
      }),
    ]);
  });

  it('counts the change made under impersonation for no product analytics', async () => {
    const created = await as(sessionId).post(`/v1/tenants/${tenantA}/projects`, {
      name: 'Uncounted',
      slug: 'uncounted',
    });
    expect(created.status).toBe(201);
    await runner.drain();
    const day = new Date().toISOString().slice(0, 10);
    const count = async (name: string) =>
      (
        await stack.db.send(
          new GetCommand({
            TableName: stack.tableName,
            Key: keys.productEventCount(tenantA, day, name),
            ConsistentRead: true,
          }),
        )
      ).Item?.count;
    // The user's own action (creating the tenant) counts; the operator's project under their name does not.
    expect(await count('tenant_created')).toBe(1);
    expect(await count('project_created')).toBeUndefined();
    expect(runner.errors).toEqual([]);
  });

  it("shows the session and the change made under it in the tenant's own audit log", async () => {
    await mirrorSubscription(stack, tenantA); // the audit log is a Team feature
    const log = await api(server, customer.accessToken).get(`/v1/tenants/${tenantA}/audit-log?limit=100`);
    expect(log.status).toBe(200);
    const entries = log.body.items as Array<Record<string, unknown>>;
    expect(entries).toContainEqual(
      expect.objectContaining({
        action: 'impersonation.opened',
        actor: { userId: support.userId, kind: 'support' },
        target: { type: 'user', id: customer.userId },
      }),
    );
    expect(entries).toContainEqual(
      expect.objectContaining({
        action: 'project.created',
        actor: expect.objectContaining({ userId: customer.userId }),
        impersonatedBy: { operatorId: support.userId, sessionId },
      }),
    );
  });

  it('is honoured only for the operator who opened the session (401 for another)', async () => {
    const other = await signUpOperator(stack, ['support']);
    const response = await api(server, other.accessToken).get('/v1/me', { headers: { [HEADER]: sessionId } });
    expect(response.status).toBe(401);
  });

  it('is refused to a customer who sends a session header (403)', async () => {
    const response = await api(server, stranger.accessToken).get('/v1/me', {
      headers: { [HEADER]: sessionId },
    });
    expect(response.status).toBe(403);
  });
});

describe('a session limited to one tenant', () => {
  let sessionId: string;
  beforeAll(async () => {
    sessionId = await open({ userId: customer.userId, tenantId: tenantA });
  });

  it('reaches that tenant', async () => {
    expect((await as(sessionId).get(`/v1/tenants/${tenantA}/projects`)).status).toBe(200);
  });

  it("cannot reach the user's other tenant (404)", async () => {
    expect((await as(sessionId).get(`/v1/tenants/${tenantB}/projects`)).status).toBe(404);
    expect((await as(sessionId).get(`/v1/tenants/${tenantB}`)).status).toBe(404);
  });

  it('cannot call routes of no tenant, which would list the others (403)', async () => {
    expect((await as(sessionId).get('/v1/tenants')).status).toBe(403);
    expect((await as(sessionId).get('/v1/me')).status).toBe(403);
  });

  it('is audited in that tenant only', async () => {
    const opened = (tenantId: string) =>
      auditOf(tenantId).then((entries) =>
        entries.filter(
          (e) =>
            e.action === 'impersonation.opened' &&
            (e.after as { sessionId?: string }).sessionId === sessionId,
        ),
      );
    expect(await opened(tenantA)).toHaveLength(1);
    expect(await opened(tenantB)).toHaveLength(0);
  });
});

describe('ending and expiry', () => {
  it('lists open sessions with their time left, and not once ended', async () => {
    const sessionId = await open({ userId: customer.userId, minutes: 10 });
    const listed = await ops().get('/admin/impersonations?limit=100');
    expect(listed.status).toBe(200);
    const mine = listed.body.items.find((s: { sessionId: string }) => s.sessionId === sessionId);
    expect(mine).toMatchObject({ userId: customer.userId, operatorId: support.userId });
    expect(mine.secondsLeft).toBeGreaterThan(9 * 60);
    expect(mine.secondsLeft).toBeLessThanOrEqual(10 * 60);

    expect((await ops().delete(`/admin/impersonations/${sessionId}`)).status).toBe(204);
    const after = await ops().get('/admin/impersonations?limit=100');
    expect(after.body.items.map((s: { sessionId: string }) => s.sessionId)).not.toContain(sessionId);
  });

  it('answers 401 for an ended session, and audits the ending in the tenants', async () => {
    const sessionId = await open({ userId: customer.userId });
    expect((await as(sessionId).get('/v1/me')).status).toBe(200);
    expect((await ops().delete(`/admin/impersonations/${sessionId}`)).status).toBe(204);

    const response = await as(sessionId).get('/v1/me');
    expect(response.status).toBe(401);
    expect(response.body.detail).toMatch(/ended/);
    const ended = (await auditOf(tenantB)).filter(
      (e) =>
        e.action === 'impersonation.ended' && (e.after as { sessionId?: string }).sessionId === sessionId,
    );
    expect(ended).toEqual([expect.objectContaining({ actor: { userId: support.userId, kind: 'support' } })]);
  });

  it('answers 409 for ending a session twice and 404 for an unknown one', async () => {
    const sessionId = await open({ userId: customer.userId });
    expect((await ops().delete(`/admin/impersonations/${sessionId}`)).status).toBe(204);
    expect((await ops().delete(`/admin/impersonations/${sessionId}`)).status).toBe(409);
    expect((await ops().delete(`/admin/impersonations/${newId()}`)).status).toBe(404);
  });

  it('refuses a finance operator ending a session with 403', async () => {
    const sessionId = await open({ userId: customer.userId });
    expect((await api(server, finance.accessToken).delete(`/admin/impersonations/${sessionId}`)).status).toBe(
      403,
    );
  });

  it('answers 401 once the session is past its minutes', async () => {
    // Opened 20 minutes ago for 5 minutes, through the repository with the clock of then.
    const then = new Date(Date.now() - 20 * 60_000);
    const sessions = createImpersonationRepository(
      { client: stack.db, tableName: stack.tableName },
      { clock: () => then, newId: () => newId(then) },
    );
    const sessionId = newId(then);
    await sessions.open(
      {
        sessionId,
        operatorId: support.userId,
        userId: customer.userId,
        reason: 'Ticket 11',
        openedAt: then.toISOString(),
        expiresAt: new Date(then.getTime() + 5 * 60_000).toISOString(),
        status: 'open',
        auditTenantIds: [],
      },
      {
        operatorId: support.userId,
        action: 'impersonation.opened',
        before: null,
        after: { sessionId },
        reason: 'Ticket 11',
        request: { requestId: 'req-test', sourceIp: '127.0.0.1' },
      },
    );

    const response = await as(sessionId).get('/v1/me');
    expect(response.status).toBe(401);
    expect(response.body.detail).toMatch(/expired/);
    const listed = await ops().get('/admin/impersonations?limit=100');
    expect(listed.body.items.map((s: { sessionId: string }) => s.sessionId)).not.toContain(sessionId);
  });
});

describe('support access turned off by an owner', () => {
  let owner: TestUser;
  let member: TestUser;
  let tenantId: string;
  beforeAll(async () => {
    [owner, member] = await Promise.all([signUpUser(stack), signUpUser(stack)]);
    tenantId = (
      await api(server, owner.accessToken).post('/v1/tenants', { name: 'Private', slug: 'private' })
    ).body.tenantId;
  });

  it('stops a session opened before the change, and refuses new ones', async () => {
    const sessionId = await open({ userId: owner.userId, tenantId });
    expect((await as(sessionId).get(`/v1/tenants/${tenantId}`)).status).toBe(200);

    const changed = await api(server, owner.accessToken).patch(`/v1/tenants/${tenantId}`, {
      supportAccess: false,
    });
    expect(changed.status).toBe(200);
    expect(changed.body.supportAccess).toBe(false);

    const refused = await as(sessionId).get(`/v1/tenants/${tenantId}`);
    expect(refused.status).toBe(403);
    expect(refused.body.detail).toMatch(/support access off/);
    const opening = await ops().post('/admin/impersonations', {
      userId: owner.userId,
      tenantId,
      reason: 'Ticket 12',
      minutes: 5,
    });
    expect(opening.status).toBe(403);

    const restored = await api(server, owner.accessToken).patch(`/v1/tenants/${tenantId}`, {
      supportAccess: true,
    });
    expect(restored.body.supportAccess).toBe(true);
    expect((await as(sessionId).get(`/v1/tenants/${tenantId}`)).status).toBe(200);
  });

  it('leaves the tenant out of the user’s tenants listed under a session over all of them', async () => {
    await api(server, owner.accessToken).patch(`/v1/tenants/${tenantId}`, { supportAccess: false });
    const sessionId = await open({ userId: owner.userId });

    const listed = await as(sessionId).get('/v1/tenants');
    const me = await as(sessionId).get('/v1/me');
    const own = await api(server, owner.accessToken).get('/v1/tenants');

    expect(listed.body.items.map((t: { tenantId: string }) => t.tenantId)).not.toContain(tenantId);
    expect(me.body.memberships.map((m: { tenantId: string }) => m.tenantId)).not.toContain(tenantId);
    expect(own.body.items.map((t: { tenantId: string }) => t.tenantId)).toContain(tenantId);
    await api(server, owner.accessToken).patch(`/v1/tenants/${tenantId}`, { supportAccess: true });
  });

  it('cannot be changed by someone outside the tenant (404)', async () => {
    const response = await api(server, member.accessToken).patch(`/v1/tenants/${tenantId}`, {
      supportAccess: false,
    });
    expect(response.status).toBe(404);
  });

  it('cannot be changed under impersonation (403)', async () => {
    const sessionId = await open({ userId: owner.userId, tenantId });
    const response = await as(sessionId).patch(`/v1/tenants/${tenantId}`, { supportAccess: true });
    expect(response.status).toBe(403);
  });

  it('is audited as a tenant update with before and after', async () => {
    const entries = (await auditOf(tenantId)).filter((e) => e.action === 'tenant.updated');
    expect(entries[0]).toMatchObject({
      actor: expect.objectContaining({ userId: owner.userId }),
      before: expect.objectContaining({ supportAccess: true }),
      after: expect.objectContaining({ supportAccess: false }),
    });
  });

  it('shows as on for a tenant that never changed it', async () => {
    const tenant = await api(server, customer.accessToken).get(`/v1/tenants/${tenantA}`);
    expect(tenant.body.supportAccess).toBe(true);
  });
});
