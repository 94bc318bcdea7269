import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BillingState } from '#shared/billing/billing.schema.ts';
import { ConflictError } from '#shared/http/errors.ts';
import { newId } from '#shared/ids.ts';
import { createTenancy } from '#shared/tenancy/tenant-context.ts';
import { createTenantRepository } from '#shared/tenants/tenants.repository.ts';
import { createTenantService } from '#shared/tenants/tenants.service.ts';
import { mirrorSubscription } from '../support/billing-state.ts';
import {
  api,
  createTestStack,
  type LocalServer,
  signUpUser,
  startTestServer,
  type TestStack,
} from '../support/harness.ts';

let stack: TestStack;
let server: LocalServer;

beforeAll(async () => {
  stack = await createTestStack();
  server = await startTestServer(stack);
});
afterAll(() => server.close());

const slug = () => `acme-${Math.random().toString(36).slice(2, 10)}`;

async function itemsOfTenant(tenantId: string) {
  const result = await stack.db.send(
    new QueryCommand({
      TableName: stack.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': `TENANT#${tenantId}` },
    }),
  );
  return result.Items ?? [];
}

describe('tenants', () => {
  it('creates a tenant whose creator is its owner', async () => {
    const owner = await signUpUser(stack);
    const created = await api(server, owner.accessToken).post('/v1/tenants', { name: 'Acme', slug: slug() });

    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: 'Acme',
      role: 'owner',
      status: 'active',
      createdBy: owner.userId,
    });
    const mine = await api(server, owner.accessToken).get('/v1/tenants');
    expect(mine.body.items).toEqual([
      expect.objectContaining({ tenantId: created.body.tenantId, role: 'owner' }),
    ]);
  });

  it('writes the tenant, the owner membership and the audit entry together', async () => {
    const owner = await signUpUser(stack);
    const created = await api(server, owner.accessToken).post('/v1/tenants', { name: 'Acme', slug: slug() });

    const items = await itemsOfTenant(created.body.tenantId);
    expect(items.map((i) => i.type).sort()).toEqual(['audit', 'member', 'member-email', 'tenant']);
    expect(items.find((i) => i.type === 'tenant')).toMatchObject({ ownerCount: 1 });
    expect(items.find((i) => i.type === 'audit')).toMatchObject({
      action: 'tenant.created',
      actor: { userId: owner.userId, email: owner.email },
    });
  });

  it('answers 409 for a slug that is taken, and writes nothing', async () => {
    const first = await signUpUser(stack);
    const second = await signUpUser(stack);
    const taken = slug();
    await api(server, first.accessToken).post('/v1/tenants', { name: 'One', slug: taken });

    const again = await api(server, second.accessToken).post('/v1/tenants', { name: 'Two', slug: taken });

    expect(again.status).toBe(409);
    expect(again.headers.get('content-type')).toBe('application/problem+json');
    expect((await api(server, second.accessToken).get('/v1/tenants')).body.items).toEqual([]);
  });

  it.each([
    ['a missing slug', { name: 'Acme' }, 'body.slug'],
    ['a wrong-typed name', { name: 42, slug: 'acme-co' }, 'body.name'],
    ['an unknown field', { name: 'Acme', slug: 'acme-co', tenantId: 'x' }, 'body.tenantId'],
    ['a slug with capitals', { name: 'Acme', slug: 'Acme' }, 'body.slug'],
    ['an empty name', { name: '  ', slug: 'acme-co' }, 'body.name'],
  ])('refuses %s with a 400 naming the field', async (_case, body, field) => {
    const user = await signUpUser(stack);
    const response = await api(server, user.accessToken).post('/v1/tenants', body);

    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
    expect((await api(server, user.accessToken).get('/v1/tenants')).body.items).toEqual([]);
  });

  it('refuses malformed JSON with a 400', async () => {
    const user = await signUpUser(stack);
    const response = await api(server, user.accessToken).post('/v1/tenants', undefined, {
      rawBody: '{"name": "Acme",',
      headers: { 'content-type': 'application/json' },
    });
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([{ field: 'body', message: 'malformed JSON' }]);
  });

  it('lets only the owner rename the tenant, and audits the change', async () => {
    const owner = await signUpUser(stack);
    const tenant = (await api(server, owner.accessToken).post('/v1/tenants', { name: 'Old', slug: slug() }))
      .body;

    const renamed = await api(server, owner.accessToken).patch(`/v1/tenants/${tenant.tenantId}`, {
      name: 'New',
    });

    expect(renamed.status).toBe(200);
    expect(renamed.body.name).toBe('New');
    const audit = (await itemsOfTenant(tenant.tenantId)).find((i) => i.action === 'tenant.updated');
    expect(audit).toMatchObject({ before: { name: 'Old' }, after: { name: 'New' } });
  });

  it('soft-deletes a tenant: it disappears for its members and its items stay', async () => {
    const owner = await signUpUser(stack);
    const tenant = (await api(server, owner.accessToken).post('/v1/tenants', { name: 'Gone', slug: slug() }))
      .body;

    const deleted = await api(server, owner.accessToken).delete(`/v1/tenants/${tenant.tenantId}`);

    expect(deleted.status).toBe(204);
    expect((await api(server, owner.accessToken).get(`/v1/tenants/${tenant.tenantId}`)).status).toBe(404);
    expect((await api(server, owner.accessToken).get('/v1/tenants')).body.items).toEqual([]);
    expect((await itemsOfTenant(tenant.tenantId)).find((i) => i.type === 'tenant')).toMatchObject({
      status: 'deleted',
    });
  });

  describe('deleting a tenant that has a subscription', () => {
    async function subscribedTenant(state: Partial<BillingState>) {
      const owner = await signUpUser(stack);
      const client = api(server, owner.accessToken);
      const tenant = (await client.post('/v1/tenants', { name: 'Paying', slug: slug() })).body;
      await mirrorSubscription(stack, tenant.tenantId, state);
      return { client, path: `/v1/tenants/${tenant.tenantId}`, tenantId: tenant.tenantId as string };
    }

    it.each(['active', 'trialing', 'past_due', 'unpaid'] as const)(
      'answers 409 while the subscription is %s, and deletes nothing',
      async (status) => {
        const { client, path, tenantId } = await subscribedTenant({ status });
        const before = await itemsOfTenant(tenantId);

        const refused = await client.delete(path);

        expect(refused.status).toBe(409);
        expect(refused.body.detail).toMatch(/cancel it first|pay it in the billing portal/);
        expect(await itemsOfTenant(tenantId)).toEqual(before);
        expect((await client.get(path)).status).toBe(200);
      },
    );

    it('says to cancel first when the subscription is in good standing', async () => {
      const { client, path } = await subscribedTenant({ status: 'active' });

      const refused = await client.delete(path);

      expect(refused.body.detail).toContain('cancel it first (POST …/billing/cancel)');
    });

    it('deletes the tenant once its active subscription is set to cancel at the period end', async () => {
      const { client, path } = await subscribedTenant({ status: 'active', cancelAtPeriodEnd: true });

      expect((await client.delete(path)).status).toBe(204);
      expect((await client.get(path)).status).toBe(404);
    });

    it('still refuses a past-due subscription set to cancel, whose invoice Stripe still collects', async () => {
      const { client, path } = await subscribedTenant({ status: 'past_due', cancelAtPeriodEnd: true });

      expect((await client.delete(path)).status).toBe(409);
    });

    it('deletes the tenant once the subscription has ended', async () => {
      const { client, path } = await subscribedTenant({ status: 'canceled' });

      expect((await client.delete(path)).status).toBe(204);
    });

    it('fails the deletion when a subscription went live after the request read the tenant', async () => {
      const { tenantId, client, path } = await subscribedTenant({ plan: 'free', status: 'none' });
      const db = { client: stack.db, tableName: stack.tableName };
      const me = (await client.get('/v1/me')).body.userId as string;
      const ctx = await createTenancy({ db }).resolve(
        { userId: me, groups: [], platformAdmin: false },
        tenantId,
        {
          requestId: 'race',
          sourceIp: '127.0.0.1',
        },
      );
      await mirrorSubscription(stack, tenantId, { status: 'active' });
      const service = createTenantService({
        tenants: createTenantRepository(db, { clock: () => new Date(), newId }),
        directory: { getUser: async () => undefined },
        clock: () => new Date(),
        newId,
      });

      await expect(service.remove(ctx)).rejects.toThrow(ConflictError);
      expect((await client.get(path)).status).toBe(200);
    });

    it('answers 409 while a checkout is open', async () => {
      const { client, path } = await subscribedTenant({
        plan: 'free',
        status: 'none',
        subscriptionId: null,
        checkoutSessionId: 'cs_test_open',
        checkoutExpiresAt: new Date(Date.now() + 3_600_000).toISOString(),
      });

      const refused = await client.delete(path);

      expect(refused.status).toBe(409);
      expect(refused.body.detail).toContain('A checkout is open');
    });
  });

  it('answers 404 for a tenant the caller does not belong to', async () => {
    const owner = await signUpUser(stack);
    const stranger = await signUpUser(stack);
    const tenant = (await api(server, owner.accessToken).post('/v1/tenants', { name: 'Mine', slug: slug() }))
      .body;

    for (const call of [
      api(server, stranger.accessToken).get(`/v1/tenants/${tenant.tenantId}`),
      api(server, stranger.accessToken).patch(`/v1/tenants/${tenant.tenantId}`, { name: 'Hijacked' }),
      api(server, stranger.accessToken).delete(`/v1/tenants/${tenant.tenantId}`),
    ]) {
      expect((await call).status).toBe(404);
    }
    expect((await api(server, owner.accessToken).get(`/v1/tenants/${tenant.tenantId}`)).body.name).toBe(
      'Mine',
    );
  });

  it('answers 400 for a tenant id that is not an id', async () => {
    const user = await signUpUser(stack);
    const response = await api(server, user.accessToken).get('/v1/tenants/not-an-id');
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([expect.objectContaining({ field: 'path.tenantId' })]);
  });

  it('shows the caller and their memberships at /v1/me', async () => {
    const user = await signUpUser(stack);
    const tenant = (await api(server, user.accessToken).post('/v1/tenants', { name: 'Me Inc', slug: slug() }))
      .body;

    const me = await api(server, user.accessToken).get('/v1/me');

    expect(me.status).toBe(200);
    expect(me.body).toEqual({
      userId: user.userId,
      email: user.email,
      emailVerified: true,
      platformAdmin: false,
      mfaEnabled: false,
      memberships: [
        { tenantId: tenant.tenantId, tenantName: 'Me Inc', tenantSlug: tenant.slug, role: 'owner' },
      ],
    });
  });
});
