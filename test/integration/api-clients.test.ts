import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashApiKey } from '#shared/api-clients/api-key.ts';
import { createKeyLookup } from '#shared/api-clients/authorizer.ts';
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

let stack: TestStack;
let server: LocalServer;
let owner: TestUser;
let tenantId: string;
let base: string;

beforeAll(async () => {
  stack = await createTestStack();
  server = await startTestServer(stack);
  owner = await signUpUser(stack);
  const tenant = await api(server, owner.accessToken).post('/v1/tenants', {
    name: 'Keys Co',
    slug: 'keys-co',
  });
  tenantId = tenant.body.tenantId;
  base = `/v1/tenants/${tenantId}`;
  // The audit log is a Team feature; these tests read it.
  await stack.db.send(
    new PutCommand({
      TableName: stack.tableName,
      Item: {
        ...keys.billing(tenantId),
        type: 'billing',
        ...freeBillingState(tenantId, new Date().toISOString()),
        plan: 'team',
        interval: 'month',
        status: 'active',
      },
    }),
  );
});
afterAll(() => server.close());

const asOwner = () => api(server, owner.accessToken);
const createClient = (scopes: string[] = ['projects:read']) =>
  asOwner().post(`${base}/api-clients`, { name: 'CI pipeline', scopes });
const getItem = async (key: { pk: string; sk: string }) =>
  (await stack.db.send(new GetCommand({ TableName: stack.tableName, Key: key, ConsistentRead: true }))).Item;

describe('creating an API client', () => {
  it('answers 201 with the key, once, and the client', async () => {
    const created = await createClient(['projects:read', 'audit:read']);

    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      tenantId,
      name: 'CI pipeline',
      scopes: ['projects:read', 'audit:read'],
      status: 'active',
      createdBy: owner.userId,
    });
    expect(created.body.key).toMatch(new RegExp(`^${created.body.keyPrefix}_[A-Za-z0-9_-]{43}$`));
  });

  it('stores only the hash of the key', async () => {
    const created = await createClient();
    const keyId = created.body.keyPrefix.slice('plk_'.length);

    const keyItem = await getItem(keys.apiKey(keyId));
    const clientItem = await getItem(keys.apiClient(tenantId, created.body.clientId));

    expect(keyItem?.hash).toBe(hashApiKey(created.body.key));
    expect(JSON.stringify([keyItem, clientItem])).not.toContain(created.body.key);
  });

  it('gives the authorizer the key item it looks keys up by', async () => {
    const created = await createClient(['members:read']);
    const keyId = created.body.keyPrefix.slice('plk_'.length);

    const record = await createKeyLookup({ client: stack.db, tableName: stack.tableName })(keyId);

    expect(record).toMatchObject({
      keyId,
      tenantId,
      clientId: created.body.clientId,
      scopes: ['members:read'],
      createdBy: owner.userId,
    });
  });

  it('is refused (403) to a manager, and writes nothing', async () => {
    const manager = await signUpUser(stack);
    await addMembership(stack, tenantId, manager, 'manager');
    const before = (await asOwner().get(`${base}/api-clients?limit=100`)).body.items.length;

    const response = await api(server, manager.accessToken).post(`${base}/api-clients`, {
      name: 'Sneaky',
      scopes: ['projects:read'],
    });

    expect(response.status).toBe(403);
    expect((await asOwner().get(`${base}/api-clients?limit=100`)).body.items).toHaveLength(before);
  });

  it('refuses an unknown scope with a 400 naming the field', async () => {
    const response = await asOwner().post(`${base}/api-clients`, { name: 'x', scopes: ['billing:manage'] });

    expect(response.status).toBe(400);
    expect(response.body.errors[0].field).toBe('body.scopes.0');
  });

  it('is audited with the creating user as the actor', async () => {
    const created = await createClient();

    const log = await asOwner().get(`${base}/audit-log?action=apiclient.created&limit=100`);

    const entry = log.body.items.find(
      (item: { target: { id: string } }) => item.target.id === created.body.clientId,
    );
    expect(entry.actor.userId).toBe(owner.userId);
    expect(JSON.stringify(entry)).not.toContain(created.body.key);
  });
});

describe('listing API clients', () => {
  it('shows prefix, name, scopes, creator and times, never the key or its hash', async () => {
    const created = await createClient();

    const list = await asOwner().get(`${base}/api-clients?limit=100`);

    const listed = list.body.items.find(
      (item: { clientId: string }) => item.clientId === created.body.clientId,
    );
    expect(listed).toEqual({
      clientId: created.body.clientId,
      tenantId,
      name: 'CI pipeline',
      scopes: ['projects:read'],
      keyPrefix: created.body.keyPrefix,
      status: 'active',
      createdBy: owner.userId,
      createdAt: created.body.createdAt,
    });
  });

  it('records when the key was last used', async () => {
    const created = await createClient();

    await api(server, created.body.key).get(`${base}/projects`);
    const list = await asOwner().get(`${base}/api-clients?limit=100`);

    const listed = list.body.items.find(
      (item: { clientId: string }) => item.clientId === created.body.clientId,
    );
    expect(listed.lastUsedAt).toEqual(expect.any(String));
  });
});

describe('rotating a key', () => {
  it('answers with a new key, which works', async () => {
    const created = await createClient();

    const rotated = await asOwner().post(`${base}/api-clients/${created.body.clientId}/rotation`);

    expect(rotated.status).toBe(201);
    expect(rotated.body.key).not.toBe(created.body.key);
    expect(rotated.body.keyPrefix).not.toBe(created.body.keyPrefix);
    expect((await api(server, rotated.body.key).get(`${base}/projects`)).status).toBe(200);
  });

  it('stops the old key at once, although the authorizer cached it', async () => {
    const created = await createClient();
    expect((await api(server, created.body.key).get(`${base}/projects`)).status).toBe(200);

    await asOwner().post(`${base}/api-clients/${created.body.clientId}/rotation`);

    expect((await api(server, created.body.key).get(`${base}/projects`)).status).toBe(401);
  });

  it('removes the old key item', async () => {
    const created = await createClient();
    const oldKeyId = created.body.keyPrefix.slice('plk_'.length);

    await asOwner().post(`${base}/api-clients/${created.body.clientId}/rotation`);

    expect(await getItem(keys.apiKey(oldKeyId))).toBeUndefined();
  });
});

describe('revoking a client', () => {
  it('answers 204 and refuses its key from then on, although the authorizer cached it', async () => {
    const created = await createClient();
    expect((await api(server, created.body.key).get(`${base}/projects`)).status).toBe(200);

    const revoked = await asOwner().delete(`${base}/api-clients/${created.body.clientId}`);

    expect(revoked.status).toBe(204);
    expect((await api(server, created.body.key).get(`${base}/projects`)).status).toBe(401);
  });

  it('refuses a key the authorizer never saw before, once revoked', async () => {
    const created = await createClient();

    await asOwner().delete(`${base}/api-clients/${created.body.clientId}`);

    expect((await api(server, created.body.key).get(`${base}/projects`)).status).toBe(401);
  });

  it('keeps the client listed as revoked', async () => {
    const created = await createClient();

    await asOwner().delete(`${base}/api-clients/${created.body.clientId}`);

    const list = await asOwner().get(`${base}/api-clients?limit=100`);
    const listed = list.body.items.find(
      (item: { clientId: string }) => item.clientId === created.body.clientId,
    );
    expect(listed).toMatchObject({ status: 'revoked', revokedAt: expect.any(String) });
  });

  it('answers 404 to a second revocation, and to rotating a revoked client', async () => {
    const created = await createClient();
    await asOwner().delete(`${base}/api-clients/${created.body.clientId}`);

    expect((await asOwner().delete(`${base}/api-clients/${created.body.clientId}`)).status).toBe(404);
    expect((await asOwner().post(`${base}/api-clients/${created.body.clientId}/rotation`)).status).toBe(404);
  });
});

describe('the API client routes', () => {
  it('refuse an API key (keys cannot create, list or rotate keys)', async () => {
    const created = await createClient();

    const response = await api(server, created.body.key).get(`${base}/api-clients`);

    expect(response.status).toBe(401);
  });

  it("answer 404 to another tenant's owner for this tenant's client", async () => {
    const created = await createClient();
    const stranger = await signUpUser(stack);
    await api(server, stranger.accessToken).post('/v1/tenants', { name: 'Other', slug: 'other-keys' });

    const response = await api(server, stranger.accessToken).delete(
      `${base}/api-clients/${created.body.clientId}`,
    );

    expect(response.status).toBe(404);
    expect((await api(server, created.body.key).get(`${base}/projects`)).status).toBe(200);
  });
});
