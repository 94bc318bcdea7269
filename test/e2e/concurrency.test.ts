import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  api,
  createTestStack,
  type LocalServer,
  signUpUser,
  startTestServer,
  type TestStack,
} from '../support/harness.ts';

/**
 * Racing requests against the conditional writes and transactions that guard the invariants.
 * (The test moto applies DynamoDB requests one at a time, as DynamoDB's conflict handling would;
 * see scripts/emulators/moto_server.py.)
 */

let stack: TestStack;
let server: LocalServer;

beforeAll(async () => {
  stack = await createTestStack();
  server = await startTestServer(stack);
});
afterAll(() => server.close());

const statuses = (responses: { status: number }[]) => responses.map((r) => r.status).sort();

describe('concurrent requests', () => {
  it('lets exactly one of ten simultaneous accepts of an invitation succeed', async () => {
    const owner = await signUpUser(stack);
    const invitee = await signUpUser(stack);
    const tenant = await api(server, owner.accessToken).post('/v1/tenants', {
      name: 'Race',
      slug: 'race-accept',
    });
    const base = `/v1/tenants/${tenant.body.tenantId}`;
    const invitation = await api(server, owner.accessToken).post(`${base}/invitations`, {
      email: invitee.email,
      role: 'owner',
    });

    const responses = await Promise.all(
      Array.from({ length: 10 }, () =>
        api(server, invitee.accessToken).post(`/v1/invitations/${invitation.body.invitationId}/accept`),
      ),
    );

    expect(statuses(responses)).toEqual([200, ...Array(9).fill(409)]);
    const members = await api(server, owner.accessToken).get(`${base}/members`);
    expect(members.body.items.filter((m: { role: string }) => m.role === 'owner')).toHaveLength(2);
    // The owner count moved once: with two owners, one may leave and the other then may not.
    expect((await api(server, owner.accessToken).delete(`${base}/members/${owner.userId}`)).status).toBe(204);
    expect((await api(server, invitee.accessToken).delete(`${base}/members/${invitee.userId}`)).status).toBe(
      409,
    );
  });

  it('lets one of two simultaneous PATCHes from the same ETag win and refuses the other with a 412, losing nothing', async () => {
    const owner = await signUpUser(stack);
    const client = api(server, owner.accessToken);
    const tenant = await client.post('/v1/tenants', { name: 'Race', slug: 'race-patch' });
    const base = `/v1/tenants/${tenant.body.tenantId}/projects`;
    const created = await client.post(base, { name: 'Apollo', slug: 'apollo', description: 'Moon' });
    const path = `${base}/${created.body.projectId}`;
    const etag = { headers: { 'if-match': created.headers.get('etag') ?? '' } };
    const changes = [{ name: 'Apollo 11' }, { description: 'Moon landing' }];

    const responses = await Promise.all(changes.map((change) => client.patch(path, change, etag)));

    expect(statuses(responses)).toEqual([200, 412]);
    const winner = responses.findIndex((r) => r.status === 200);
    const loser = responses[1 - winner];
    const current = await client.get(path);
    expect(current.body).toMatchObject({
      ...created.body,
      ...changes[winner],
      version: 2,
      updatedAt: expect.any(String),
    });
    // The refused client re-reads, re-applies its change on the new version, and both stand.
    const retried = await client.patch(path, changes[1 - winner], {
      headers: { 'if-match': current.headers.get('etag') ?? '' },
    });
    expect(loser?.headers.get('etag')).toBe('"2"');
    expect(retried.body).toMatchObject({ name: 'Apollo 11', description: 'Moon landing', version: 3 });
  });

  it('gives a slug to exactly one of ten simultaneous tenant creations', async () => {
    const users = await Promise.all(Array.from({ length: 10 }, () => signUpUser(stack)));

    const responses = await Promise.all(
      users.map((u) => api(server, u.accessToken).post('/v1/tenants', { name: 'Same', slug: 'race-slug' })),
    );

    expect(statuses(responses)).toEqual([201, ...Array(9).fill(409)]);
  });

  it('never leaves a tenant without an owner when two owners demote each other at once', async () => {
    const first = await signUpUser(stack);
    const second = await signUpUser(stack);
    const tenant = await api(server, first.accessToken).post('/v1/tenants', {
      name: 'Two',
      slug: 'race-owners',
    });
    const base = `/v1/tenants/${tenant.body.tenantId}`;
    const invitation = await api(server, first.accessToken).post(`${base}/invitations`, {
      email: second.email,
      role: 'owner',
    });
    await api(server, second.accessToken).post(`/v1/invitations/${invitation.body.invitationId}/accept`);

    const responses = await Promise.all([
      api(server, first.accessToken).patch(`${base}/members/${second.userId}`, { role: 'admin' }),
      api(server, second.accessToken).patch(`${base}/members/${first.userId}`, { role: 'admin' }),
    ]);

    expect(statuses(responses).filter((s) => s === 200)).toHaveLength(1);
    const members = await api(server, first.accessToken).get(`${base}/members`);
    expect(members.body.items.filter((m: { role: string }) => m.role === 'owner')).toHaveLength(1);
  });
});
