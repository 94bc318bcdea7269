import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freeBillingState } from '#shared/billing/billing.schema.ts';
import { keys } from '#shared/db/keys.ts';
import {
  addMembership,
  api,
  createTestStack,
  type LocalServer,
  signUpUser,
  startTestServer,
  type TestStack,
  type TestUser,
} from '../support/harness.ts';

/**
 * An integration's journey: a tenant admin creates an API client, the integration calls the tenant's
 * routes with the key, within its scopes and its creator's current role, audited as itself.
 */

let stack: TestStack;
let server: LocalServer;
let owner: TestUser;
let creator: TestUser;
let otherOwner: TestUser;
let tenantId: string;
let otherTenantId: string;
let base: string;

async function onTeamPlan(id: string): Promise<void> {
  await stack.db.send(
    new PutCommand({
      TableName: stack.tableName,
      Item: {
        ...keys.billing(id),
        type: 'billing',
        ...freeBillingState(id, new Date().toISOString()),
        plan: 'team',
        interval: 'month',
        status: 'active',
      },
    }),
  );
}

beforeAll(async () => {
  stack = await createTestStack();
  server = await startTestServer(stack);
  [owner, creator, otherOwner] = await Promise.all([signUpUser(stack), signUpUser(stack), signUpUser(stack)]);
  tenantId = (await api(server, owner.accessToken).post('/v1/tenants', { name: 'Acme', slug: 'acme-keys' }))
    .body.tenantId;
  otherTenantId = (
    await api(server, otherOwner.accessToken).post('/v1/tenants', { name: 'Other', slug: 'other-keys' })
  ).body.tenantId;
  base = `/v1/tenants/${tenantId}`;
  await onTeamPlan(tenantId);
});
afterAll(() => server.close());

/** A fresh creator (admin of the tenant) and a client they create with `scopes`. */
async function newClient(scopes: string[]): Promise<{ key: string; clientId: string; creator: TestUser }> {
  const admin = await signUpUser(stack);
  await addMembership(stack, tenantId, admin, 'admin');
  const created = await api(server, admin.accessToken).post(`${base}/api-clients`, {
    name: 'Sync job',
    scopes,
  });
  expect(created.status).toBe(201);
  return { key: created.body.key, clientId: created.body.clientId, creator: admin };
}

describe('an API client', () => {
  it('reads the tenant routes its scopes allow (200)', async () => {
    const { key } = await newClient(['projects:read']);

    const response = await api(server, key).get(`${base}/projects`);

    expect(response.status).toBe(200);
    expect(response.body.items).toEqual(expect.any(Array));
  });

  it("counts against the tenant's API rate limit", async () => {
    const { key } = await newClient(['projects:read']);

    const response = await api(server, key).get(`${base}/projects`);

    expect(response.headers.get('ratelimit')).toEqual(expect.any(String));
  });

  it('is refused (403) beyond its scopes', async () => {
    const { key } = await newClient(['projects:read']);

    const response = await api(server, key).get(`${base}/members`);

    expect(response.status).toBe(403);
    expect(response.body.detail).toMatch(/members:read/);
  });

  it("gets 404 on another tenant's path, like everyone else", async () => {
    const { key } = await newClient(['projects:read']);

    const response = await api(server, key).get(`/v1/tenants/${otherTenantId}/projects`);

    expect(response.status).toBe(404);
  });

  it('cannot call routes outside the tenant (the JWT authorizer refuses the key: 401)', async () => {
    const { key } = await newClient(['projects:read']);

    expect((await api(server, key).get('/v1/me')).status).toBe(401);
  });

  it('cannot impersonate', async () => {
    const { key } = await newClient(['projects:read']);

    const response = await api(server, key).get(`${base}/projects`, {
      headers: { 'plinth-impersonation': '01jf0000000000000000000000' },
    });

    expect(response.status).toBe(403);
  });

  it('is named as the actor of the audit entries of its changes', async () => {
    const { key, clientId } = await newClient(['projects:write', 'projects:read']);

    const created = await api(server, key).post(`${base}/projects`, { name: 'From CI', slug: 'from-ci' });
    const log = await api(server, owner.accessToken).get(`${base}/audit-log?actor=${clientId}`);

    expect(created.status).toBe(201);
    expect(log.body.items).toEqual([
      expect.objectContaining({
        action: 'project.created',
        actor: { userId: clientId, kind: 'api_client', name: 'Sync job' },
        target: { type: 'project', id: created.body.projectId },
      }),
    ]);
  });

  it('is named as the actor of an audit entry for each read it makes', async () => {
    const { key, clientId } = await newClient(['projects:read', 'tenant:read']);

    const projects = await api(server, key).get(`${base}/projects`);
    const tenant = await api(server, key).get(base);
    const log = await api(server, owner.accessToken).get(`${base}/audit-log?actor=${clientId}`);

    expect([projects.status, tenant.status]).toEqual([200, 200]);
    const reads = (log.body.items as { action: string; target: { id: string } }[])
      .filter((entry) => entry.action === 'apiclient.read')
      .map((entry) => entry.target.id)
      .sort();
    expect(reads).toEqual(['GET /v1/tenants/{tenantId}', 'GET /v1/tenants/{tenantId}/projects']);
    expect(log.body.items[0].actor).toEqual({ userId: clientId, kind: 'api_client', name: 'Sync job' });
  });

  it('is narrowed when its creator is demoted: writes refused (403), reads still allowed', async () => {
    const client = await newClient(['projects:write', 'projects:read']);
    const demoted = await api(server, owner.accessToken).patch(`${base}/members/${client.creator.userId}`, {
      role: 'member',
    });
    expect(demoted.status).toBe(200);

    const write = await api(server, client.key).post(`${base}/projects`, { name: 'Nope', slug: 'nope' });
    const read = await api(server, client.key).get(`${base}/projects`);

    expect(write.status).toBe(403);
    expect(read.status).toBe(200);
  });

  it('can do nothing once its creator is removed from the tenant (403)', async () => {
    const client = await newClient(['projects:read']);
    expect(
      (await api(server, owner.accessToken).delete(`${base}/members/${client.creator.userId}`)).status,
    ).toBe(204);

    const response = await api(server, client.key).get(`${base}/projects`);

    expect(response.status).toBe(403);
  });

  it('works with the new key after a rotation, and not with the old one', async () => {
    const client = await newClient(['projects:read']);
    const rotated = await api(server, client.creator.accessToken).post(
      `${base}/api-clients/${client.clientId}/rotation`,
    );

    expect((await api(server, client.key).get(`${base}/projects`)).status).toBe(401);
    expect((await api(server, rotated.body.key).get(`${base}/projects`)).status).toBe(200);
  });

  it('is refused (401) once revoked', async () => {
    const client = await newClient(['projects:read']);
    expect((await api(server, client.key).get(`${base}/projects`)).status).toBe(200);

    await api(server, owner.accessToken).delete(`${base}/api-clients/${client.clientId}`);

    expect((await api(server, client.key).get(`${base}/projects`)).status).toBe(401);
  });
});

describe('a user on a route that accepts API keys', () => {
  it('is served with their access token, through the same authorizer', async () => {
    expect((await api(server, creator.accessToken).get(`/v1/tenants/${otherTenantId}/projects`)).status).toBe(
      404,
    );
    expect((await api(server, owner.accessToken).get(`${base}/projects`)).status).toBe(200);
  });

  it('gets a 401 problem for a malformed token', async () => {
    const response = await api(server, 'not-a-token').get(`${base}/projects`);

    expect(response.status).toBe(401);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
  });

  it('gets 401 without a token', async () => {
    expect((await api(server).get(`${base}/projects`)).status).toBe(401);
  });
});
