import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  api,
  createTestStack,
  type LocalServer,
  signUpOperator,
  signUpUser,
  startTestServer,
  type TestOperator,
  type TestStack,
} from '../support/harness.ts';
import { startTestRunner, type TestRunner } from '../support/runner.ts';

/**
 * Erasure over HTTP through the local server: a user deletes their account and their token stops
 * working once the erasure-run schedule ran; the last owner of a tenant is refused, naming it; a
 * platform admin erases a user on request (platform-audited), and other operators may not.
 */

let stack: TestStack;
let server: LocalServer;
let runner: TestRunner;
let admin: TestOperator;
let support: TestOperator;

beforeAll(async () => {
  stack = await createTestStack();
  server = await startTestServer(stack);
  runner = await startTestRunner(stack);
  [admin, support] = await Promise.all([
    signUpOperator(stack, ['platform-admin']),
    signUpOperator(stack, ['support']),
  ]);
}, 60_000);
afterAll(async () => {
  await runner?.stop();
  await server?.close();
});

describe('DELETE /v1/me', () => {
  it('accepts the erasure, after which the token no longer works', async () => {
    const user = await signUpUser(stack);
    expect((await api(server, user.accessToken).get('/v1/me')).status).toBe(200);

    const deleted = await api(server, user.accessToken).delete('/v1/me');
    expect(deleted.status).toBe(202);
    expect(deleted.body).toMatchObject({ erasureId: expect.stringMatching(/^user-/), status: 'pending' });
    await runner.triggerSchedule('erasure-run');

    expect((await api(server, user.accessToken).get('/v1/me')).status).toBe(401);
    const report = await api(server, admin.accessToken).get(`/admin/erasures/${deleted.body.erasureId}`);
    expect(report.body).toMatchObject({ status: 'completed', requestedBy: { kind: 'self' } });
  });

  it('answers 409 naming the tenant while the caller is its last owner, and erases nothing', async () => {
    const owner = await signUpUser(stack);
    const created = await api(server, owner.accessToken).post('/v1/tenants', {
      name: 'Solo Works',
      slug: `solo-${randomUUID().slice(0, 8)}`,
    });
    const response = await api(server, owner.accessToken).delete('/v1/me');
    expect(response.status).toBe(409);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    expect(response.body.detail).toContain('Solo Works');
    expect(response.body.detail).toContain(created.body.tenantId);
    expect((await api(server, owner.accessToken).get('/v1/me')).status).toBe(200);
  });
});

describe('POST /admin/users/{userId}/erasure', () => {
  it("erases the user on an operator's request and records it in the platform audit log", async () => {
    const user = await signUpUser(stack);
    const accepted = await api(server, admin.accessToken).post(`/admin/users/${user.userId}/erasure`, {
      reason: 'Erasure request by email, ticket 4711',
    });
    expect(accepted.status).toBe(202);
    await runner.triggerSchedule('erasure-run');

    expect((await api(server, user.accessToken).get('/v1/me')).status).toBe(401);
    const report = await api(server, admin.accessToken).get(`/admin/erasures/${accepted.body.erasureId}`);
    expect(report.body).toMatchObject({
      status: 'completed',
      requestedBy: { kind: 'operator', operatorId: admin.userId },
    });
    const log = await api(server, admin.accessToken).get(`/admin/audit-log?operator=${admin.userId}`);
    const entry = log.body.items.find((item: { action: string }) => item.action === 'user.erasure-requested');
    expect(entry).toMatchObject({
      reason: 'Erasure request by email, ticket 4711',
      target: { id: report.body.subject },
    });
    expect(JSON.stringify(entry)).not.toContain(user.userId);
  });

  it('answers 404 for a user Plinth does not know', async () => {
    const response = await api(server, admin.accessToken).post(`/admin/users/${randomUUID()}/erasure`, {
      reason: 'Erasure request by email',
    });
    expect(response.status).toBe(404);
  });

  it('refuses an operator whose role does not allow erasure (support)', async () => {
    const user = await signUpUser(stack);
    const response = await api(server, support.accessToken).post(`/admin/users/${user.userId}/erasure`, {
      reason: 'Erasure request by email',
    });
    expect(response.status).toBe(403);
    expect((await api(server, user.accessToken).get('/v1/me')).status).toBe(200);
  });

  it('refuses a customer on the report routes', async () => {
    const user = await signUpUser(stack);
    expect((await api(server, user.accessToken).get('/admin/erasures')).status).toBe(403);
  });
});
