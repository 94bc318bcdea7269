import { randomUUID } from 'node:crypto';
import {
  DescribeIdentityProviderCommand,
  DescribeUserPoolClientCommand,
  ResourceNotFoundException as ProviderNotFoundException,
} from '@aws-sdk/client-cognito-identity-provider';
import { CreateBucketCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  GetSecretValueCommand,
  ResourceNotFoundException as SecretNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processMovementRecords } from '#shared/analytics/movements.consumer.ts';
import { readSnapshot } from '#shared/analytics/rollup.ts';
import { createStripeClient } from '#shared/billing/stripe-client.ts';
import type { Db } from '#shared/db/client.ts';
import { keys } from '#shared/db/keys.ts';
import {
  createCognitoUserEraser,
  createS3ExportEraser,
  createStripeCustomerEraser,
} from '#shared/erasure/adapters.ts';
import { pseudonymKeyOf } from '#shared/erasure/erasure.env.ts';
import { createErasureRunner } from '#shared/erasure/erasure.runner.ts';
import { createErasureStore } from '#shared/erasure/erasure.store.ts';
import { pseudonymOf } from '#shared/erasure/pseudonym.ts';
import { createTenantSsoEraser } from '#shared/erasure/sso-eraser.ts';
import { eraseTenantSso } from '#shared/erasure/tenant-sso.step.ts';
import { subscriptionEvent } from '#shared/events/subscription-events.ts';
import { newId, systemClock } from '#shared/ids.ts';
import { providerNameFor } from '#shared/sso/sso.records.ts';
import { localClientConfig } from '../../scripts/local/aws.ts';
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
 * Tenant purges against moto and stripe-mock: a soft-deleted tenant is found by the tenant-purge
 * schedule once its grace period is over, and everything under it goes (items, locators, exports in
 * an S3 bucket, the Stripe customer), while its MRR movements stay as anonymous numbers, so the
 * metrics of past days come out the same.
 */

let stack: TestStack;
let db: Db;
let server: LocalServer;
let runner: TestRunner;
let s3: S3Client;
let secrets: SecretsManagerClient;
let owner: TestUser;
let admin: TestOperator;
let support: TestOperator;
const bucket = `exports-${randomUUID().slice(0, 8)}`;
const today = new Date().toISOString().slice(0, 10);

async function createTenant(name: string): Promise<string> {
  const created = await api(server, owner.accessToken).post('/v1/tenants', {
    name,
    slug: `${name.toLowerCase()}-${randomUUID().slice(0, 8)}`,
  });
  expect(created.status).toBe(201);
  return created.body.tenantId;
}

async function partition(pk: string) {
  const { Items = [] } = await db.client.send(
    new QueryCommand({
      TableName: db.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': pk },
      ConsistentRead: true,
    }),
  );
  return Items;
}

const getItem = async (key: { pk: string; sk: string }) =>
  (await db.client.send(new GetCommand({ TableName: db.tableName, Key: key, ConsistentRead: true }))).Item;

async function describeProvider(name: string) {
  const { IdentityProvider } = await stack.cognito.send(
    new DescribeIdentityProviderCommand({ UserPoolId: stack.userPoolId, ProviderName: name }),
  );
  return IdentityProvider;
}

async function exportKeys(prefix: string) {
  const { Contents = [] } = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  return Contents.map((object) => object.Key);
}

/** One subscription change through the real movements consumer. */
async function mrrChange(tenantId: string, amount: number) {
  const { detail } = subscriptionEvent('Subscription Changed v1', {
    eventId: newId(),
    tenantId,
    subscriptionId: 'sub_x',
    plan: 'team',
    interval: 'month',
    status: amount > 0 ? 'active' : 'canceled',
    amount: { amount, currency: 'usd' },
    previousAmount: { amount: 0, currency: 'usd' },
    stripeEventId: 'evt_x',
    occurredAt: new Date().toISOString(),
  });
  const body = JSON.stringify({
    id: newId(),
    source: 'plinth',
    'detail-type': 'Subscription Changed v1',
    detail,
  });
  const reply = await processMovementRecords([{ messageId: newId(), body } as SQSRecord], {
    db,
    clock: systemClock,
  });
  expect(reply.batchItemFailures).toEqual([]);
}

/** The day's snapshot, recomputed from the stored movements (as a backfill would). */
async function recomputedSnapshot(day: string) {
  const { handler } = await import('#functions/metrics-rollup/handler.ts');
  await handler({ time: new Date().toISOString(), from: day, through: day });
  const snapshot = await readSnapshot(db, day);
  const { computedAt: _c, ...figures } = (snapshot ?? {}) as Record<string, unknown>;
  return figures;
}

/** A runner as the schedule builds it, over this stack, with the test's bucket and hooks. */
function testRunner(options: { now?: () => Date; afterStep?: (id: string, step: string) => void } = {}) {
  return createErasureRunner({
    db,
    store: createErasureStore(db),
    clock: options.now ?? systemClock,
    pseudonymKey: pseudonymKeyOf(stack.env as { TABLE_NAME: string }),
    userPool: createCognitoUserEraser(stack.cognito, stack.userPoolId),
    stripe: createStripeCustomerEraser(() =>
      createStripeClient({ secretKey: 'sk_test_123', apiUrl: stack.stripeMockEndpoint }),
    ),
    exports: createS3ExportEraser(s3, bucket),
    ...(options.afterStep ? { afterStep: options.afterStep } : {}),
  });
}

beforeAll(async () => {
  stack = await createTestStack();
  db = { client: stack.db, tableName: stack.tableName };
  server = await startTestServer(stack);
  runner = await startTestRunner(stack);
  s3 = new S3Client({ ...localClientConfig(stack), forcePathStyle: true });
  secrets = new SecretsManagerClient(localClientConfig(stack));
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  // The schedule's function reads its environment at its first import.
  process.env.EXPORTS_BUCKET_NAME = bucket;
  [owner, admin, support] = await Promise.all([
    signUpUser(stack),
    signUpOperator(stack, ['platform-admin']),
    signUpOperator(stack, ['support']),
  ]);
}, 60_000);
afterAll(async () => {
  await runner?.stop();
  await server?.close();
  s3?.destroy();
  secrets?.destroy();
});

describe('POST /admin/tenants/{tenantId}/purge', () => {
  it('answers 409 for a tenant that is not deleted', async () => {
    const tenantId = await createTenant('Alive');
    const response = await api(server, admin.accessToken).post(`/admin/tenants/${tenantId}/purge`, {
      reason: 'Customer asked',
    });
    expect(response.status).toBe(409);
    expect(await getItem(keys.erasureReport(`tenant-${tenantId}`))).toBeUndefined();
  });

  it('refuses an operator without the data:erase permission (support)', async () => {
    const tenantId = await createTenant('Guarded');
    const response = await api(server, support.accessToken).post(`/admin/tenants/${tenantId}/purge`, {
      reason: 'Customer asked',
    });
    expect(response.status).toBe(403);
  });

  it('answers 400 with a field error without a reason', async () => {
    const tenantId = await createTenant('Reasonless');
    const response = await api(server, admin.accessToken).post(`/admin/tenants/${tenantId}/purge`, {});
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([expect.objectContaining({ field: 'body.reason' })]);
  });

  it('blocks the purge, deleting nothing, while a live subscription remains', async () => {
    const tenantId = await createTenant('Paying');
    expect((await api(server, owner.accessToken).delete(`/v1/tenants/${tenantId}`)).status).toBe(204);
    // A subscription that appeared after the deletion (a late checkout): none may remain.
    await mirrorSubscription(stack, tenantId, { status: 'active' });
    const accepted = await api(server, admin.accessToken).post(`/admin/tenants/${tenantId}/purge`, {
      reason: 'Customer asked',
    });
    expect(accepted.status).toBe(202);
    expect(await testRunner().run(accepted.body.erasureId)).toBe('blocked');
    const report = await api(server, admin.accessToken).get(`/admin/erasures/${accepted.body.erasureId}`);
    expect(report.body).toMatchObject({
      status: 'blocked',
      requestedBy: { kind: 'operator', operatorId: admin.userId },
    });
    expect(report.body.steps[0]).toMatchObject({ name: 'stripe-customer', status: 'refused' });
    expect(await getItem(keys.tenant(tenantId))).toBeDefined();
  });
});

describe('the tenant-purge schedule', () => {
  let purged: string;
  let kept: string;
  let slug: string;
  let keyId: string;
  let itemsBefore: number;
  let snapshotBefore: Record<string, unknown>;

  beforeAll(async () => {
    [purged, kept] = await Promise.all([createTenant('Gone'), createTenant('Kept')]);
    slug = String((await getItem(keys.tenant(purged)))?.slug);
    const ticket = await api(server, owner.accessToken).post(`/v1/tenants/${purged}/support/tickets`, {
      subject: 'Before we leave',
      body: 'Thanks for everything',
    });
    expect(ticket.status).toBe(201);
    const client = await api(server, owner.accessToken).post(`/v1/tenants/${purged}/api-clients`, {
      name: 'Warehouse sync',
      scopes: ['projects:read'],
    });
    expect(client.status).toBe(201);
    keyId = String((await getItem(keys.apiClient(purged, client.body.clientId)))?.keyId);
    // An SSO domain claim as the sso routes write it (the config lists it; the claim points back).
    await db.client.send(
      new PutCommand({
        TableName: db.tableName,
        Item: {
          ...keys.ssoConfig(purged),
          type: 'sso-config',
          tenantId: purged,
          domains: { 'gone.example': {} },
        },
      }),
    );
    await db.client.send(
      new PutCommand({
        TableName: db.tableName,
        Item: {
          ...keys.ssoDomainClaim('gone.example'),
          type: 'sso-domain-claim',
          domain: 'gone.example',
          tenantId: purged,
        },
      }),
    );
    await mirrorSubscription(stack, purged, {
      status: 'canceled',
      plan: 'free',
      customerId: 'cus_purged123',
    });
    await db.client.send(
      new PutCommand({
        TableName: db.tableName,
        Item: {
          ...keys.stripeCustomer('cus_purged123'),
          type: 'stripe-customer',
          customerId: 'cus_purged123',
          tenantId: purged,
        },
      }),
    );
    await mrrChange(purged, 2900);
    await mrrChange(kept, 4900);
    await mrrChange(purged, 0);
    snapshotBefore = await recomputedSnapshot(today);
    for (const key of [
      `tenants/${purged}/a.tar.gz`,
      `tenants/${purged}/b.tar.gz`,
      `tenants/${kept}/c.tar.gz`,
    ]) {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'archive' }));
    }
    expect((await api(server, owner.accessToken).delete(`/v1/tenants/${purged}`)).status).toBe(204);
    itemsBefore = (await partition(`TENANT#${purged}`)).length;
    // Within the grace period: nothing happens.
    await runner.triggerSchedule('tenant-purge', new Date(Date.now() + 29 * 86_400_000).toISOString());
    expect(await getItem(keys.tenant(purged))).toBeDefined();
    await runner.triggerSchedule('tenant-purge', new Date(Date.now() + 31 * 86_400_000).toISOString());
  }, 120_000);

  it('deletes every item under the tenant', async () => {
    expect(await partition(`TENANT#${purged}`)).toEqual([]);
  });

  it('deletes its locators elsewhere: slug guard, customer, ticket, API key and SSO domain', async () => {
    expect(await getItem(keys.tenantSlug(slug))).toBeUndefined();
    expect(await getItem(keys.stripeCustomer('cus_purged123'))).toBeUndefined();
    expect(await getItem(keys.apiKey(keyId))).toBeUndefined();
    expect(await getItem(keys.ssoDomainClaim('gone.example'))).toBeUndefined();
    const report = await createErasureStore(db).get(`tenant-${purged}`);
    expect(report?.progress.locators).toEqual({
      'slug-guard': 1,
      'customer-locator': 1,
      'ticket-locator': 1,
      'api-key': 1,
      'sso-domain-claim': 1,
    });
  });

  it('deletes its exports and only its exports', async () => {
    expect(await exportKeys(`tenants/${purged}/`)).toEqual([]);
    expect(await exportKeys(`tenants/${kept}/`)).toEqual([`tenants/${kept}/c.tar.gz`]);
  });

  it('deletes its Stripe customer at Stripe (stripe-mock)', async () => {
    const report = await createErasureStore(db).get(`tenant-${purged}`);
    expect(report?.steps['stripe-customer']).toMatchObject({ status: 'done' });
    expect(report?.progress['stripe-customer']).toEqual({ 'stripe-customer': 1 });
  });

  it('keeps its MRR movements as anonymous numbers, so past metrics do not change', async () => {
    const movements = await partition(keys.mrrMovementsOfMonth(today.slice(0, 7)).pk);
    expect(movements.some((movement) => movement.tenantId === purged)).toBe(false);
    const pseudonym = pseudonymOf(pseudonymKeyOf(stack.env as { TABLE_NAME: string }), 'tenant', purged);
    expect(movements.filter((movement) => movement.tenantId === pseudonym)).toHaveLength(2);
    expect(await recomputedSnapshot(today)).toEqual(snapshotBefore);
  });

  it('reports the purge as the schedule’s, with counts per kind that add up', async () => {
    const report = await api(server, admin.accessToken).get(`/admin/erasures/tenant-${purged}`);
    expect(report.body).toMatchObject({
      status: 'completed',
      kind: 'tenant',
      subject: purged,
      requestedBy: { kind: 'schedule' },
    });
    const tenantItems = report.body.steps.find((step: { name: string }) => step.name === 'tenant-items');
    const counted = Object.values(tenantItems.counts as Record<string, number>).reduce((a, b) => a + b, 0);
    expect(counted).toBe(itemsBefore);
    const listed = await api(server, admin.accessToken).get('/admin/erasures?kind=tenant');
    expect(listed.body.items.map((item: { erasureId: string }) => item.erasureId)).toContain(
      `tenant-${purged}`,
    );
  });
});

describe('a purge that crashes mid-way', () => {
  it('resumes where it stopped and counts every item once', async () => {
    const tenantId = await createTenant('Crashy');
    await api(server, owner.accessToken).post(`/v1/tenants/${tenantId}/projects`, {
      name: 'One',
      slug: 'one',
    });
    expect((await api(server, owner.accessToken).delete(`/v1/tenants/${tenantId}`)).status).toBe(204);
    const accepted = await api(server, admin.accessToken).post(`/admin/tenants/${tenantId}/purge`, {
      reason: 'Customer asked',
    });
    // Counted after the request, whose platform audit entry is copied into the tenant's log.
    const itemCount = (await partition(`TENANT#${tenantId}`)).length;
    const { erasureId } = accepted.body;
    const crash = testRunner({
      afterStep: (_id, step) => {
        if (step === 'analytics') throw new Error('killed');
      },
    });
    await expect(crash.run(erasureId)).rejects.toThrow('killed');
    const halfway = await createErasureStore(db).get(erasureId);
    expect(halfway?.status).toBe('running');
    expect(Object.keys(halfway?.steps ?? {})).toEqual(
      expect.arrayContaining(['stripe-customer', 'exports', 'analytics']),
    );
    expect(await getItem(keys.tenant(tenantId))).toBeDefined();

    const later = () => new Date(Date.now() + 11 * 60_000);
    expect(await testRunner({ now: later }).run(erasureId)).toBe('completed');
    const report = await createErasureStore(db).get(erasureId);
    const counted = Object.values(report?.progress['tenant-items'] ?? {}).reduce((a, b) => a + b, 0);
    expect(counted).toBe(itemCount);
    expect(report?.attempts).toBe(2);
    expect(await partition(`TENANT#${tenantId}`)).toEqual([]);
    // Again: a no-op.
    expect(await testRunner({ now: later }).run(erasureId)).toBe('not-claimed');
  });
});

describe("a purged tenant's SSO", () => {
  let tenantId: string;
  let report: { status: string; steps: { name: string }[] };
  const secretId = () => `plinth/${stack.stage}/sso/${tenantId}`;

  beforeAll(async () => {
    tenantId = await createTenant('Federated');
    // Configured as a Business tenant's owner does: the provider in moto's pool, the secret in its Secrets Manager.
    await mirrorSubscription(stack, tenantId, { plan: 'business' });
    const put = await api(server, owner.accessToken).put(`/v1/tenants/${tenantId}/sso`, {
      protocol: 'oidc',
      issuer: 'https://idp.federated.test',
      clientId: 'plinth-at-federated',
      clientSecret: 'shh-the-federated-client-secret',
    });
    expect(put.status).toBe(200);
    expect(await describeProvider(providerNameFor(tenantId))).toBeDefined();
    const before = await stack.cognito.send(
      new DescribeUserPoolClientCommand({ UserPoolId: stack.userPoolId, ClientId: stack.ssoClientId }),
    );
    expect(before.UserPoolClient?.SupportedIdentityProviders).toContain(providerNameFor(tenantId));
    expect((await secrets.send(new GetSecretValueCommand({ SecretId: secretId() }))).SecretString).toBe(
      'shh-the-federated-client-secret',
    );
    await mirrorSubscription(stack, tenantId, { status: 'canceled', plan: 'free' });
    expect((await api(server, owner.accessToken).delete(`/v1/tenants/${tenantId}`)).status).toBe(204);
    const accepted = await api(server, admin.accessToken).post(`/admin/tenants/${tenantId}/purge`, {
      reason: 'Customer asked',
    });
    expect(accepted.status).toBe(202);
    // The worker as deployed (and as `npm run dev` runs it): functions/erasure-run.
    await runner.triggerSchedule('erasure-run');
    report = (await api(server, admin.accessToken).get(`/admin/erasures/tenant-${tenantId}`)).body;
  }, 60_000);

  it('deletes its identity provider from the user pool', async () => {
    await expect(describeProvider(providerNameFor(tenantId))).rejects.toBeInstanceOf(
      ProviderNotFoundException,
    );
  });

  it("takes its provider off the SSO app client's list", async () => {
    const { UserPoolClient } = await stack.cognito.send(
      new DescribeUserPoolClientCommand({ UserPoolId: stack.userPoolId, ClientId: stack.ssoClientId }),
    );
    expect(UserPoolClient?.SupportedIdentityProviders ?? []).not.toContain(providerNameFor(tenantId));
  });

  it('deletes its client secret from Secrets Manager', async () => {
    await expect(secrets.send(new GetSecretValueCommand({ SecretId: secretId() }))).rejects.toBeInstanceOf(
      SecretNotFoundException,
    );
  });

  it('reports both in the sso-provider step', () => {
    expect(report).toMatchObject({ status: 'completed' });
    const step = report.steps.find((candidate) => candidate.name === 'sso-provider');
    expect(step).toMatchObject({
      status: 'done',
      action: 'deleted',
      counts: { 'identity-provider': 1, 'client-secret': 1 },
    });
  });

  it('counts the provider and the secret once when the step runs again after a crash', async () => {
    const again = await createTenant('Rerun');
    await mirrorSubscription(stack, again, { plan: 'business' });
    const put = await api(server, owner.accessToken).put(`/v1/tenants/${again}/sso`, {
      protocol: 'oidc',
      issuer: 'https://idp.rerun.test',
      clientId: 'plinth-at-rerun',
      clientSecret: 'shh-the-rerun-client-secret',
    });
    expect(put.status).toBe(200);
    const store = createErasureStore(db);
    const requestedAt = new Date().toISOString();
    const erasureId = `tenant-${again}`;
    await store.create(
      { erasureId, kind: 'tenant', subject: again, requestedBy: { kind: 'schedule' }, requestedAt },
      { kind: 'tenant', tenantId: again, slug: 'rerun', since: requestedAt },
    );
    const sso = createTenantSsoEraser(stack.cognito, secrets, {
      userPoolId: stack.userPoolId,
      secretPrefix: `plinth/${stack.stage}/sso/`,
    });
    // The first run deleted both and wrote its counts, then died before recording the step.
    await eraseTenantSso({ db, sso }, erasureId, again);
    await eraseTenantSso({ db, sso }, erasureId, again);
    expect((await store.get(erasureId))?.progress['sso-provider']).toEqual({
      'identity-provider': 1,
      'client-secret': 1,
    });
  });

  it('is done, with nothing to delete, when the provider and the secret are already gone', async () => {
    const eraser = createTenantSsoEraser(stack.cognito, secrets, {
      userPoolId: stack.userPoolId,
      secretPrefix: `plinth/${stack.stage}/sso/`,
    });
    expect(await eraser.deleteIdentityProvider(tenantId)).toBe(false);
    await expect(eraser.deleteClientSecret(tenantId)).resolves.toBeUndefined();
  });
});

describe('POST /admin/erasures/{erasureId}/retry', () => {
  /** A deleted tenant whose purge stopped at Stripe: its subscription is still live. */
  async function blockedPurge(name: string): Promise<{ tenantId: string; erasureId: string }> {
    const tenantId = await createTenant(name);
    expect((await api(server, owner.accessToken).delete(`/v1/tenants/${tenantId}`)).status).toBe(204);
    await mirrorSubscription(stack, tenantId, { status: 'active' });
    const accepted = await api(server, admin.accessToken).post(`/admin/tenants/${tenantId}/purge`, {
      reason: 'Customer asked',
    });
    expect(await testRunner().run(accepted.body.erasureId)).toBe('blocked');
    return { tenantId, erasureId: accepted.body.erasureId };
  }

  it('resumes a blocked purge once its cause is removed, and it completes', async () => {
    const { tenantId, erasureId } = await blockedPurge('Retried');
    await mirrorSubscription(stack, tenantId, { status: 'canceled', plan: 'free' });

    const retried = await api(server, admin.accessToken).post(`/admin/erasures/${erasureId}/retry`, {
      reason: 'Subscription cancelled by the customer',
    });
    expect(retried.status).toBe(202);
    expect(retried.body).toMatchObject({ erasureId, status: 'pending' });
    await runner.triggerSchedule('erasure-run');

    const report = await api(server, admin.accessToken).get(`/admin/erasures/${erasureId}`);
    expect(report.body).toMatchObject({ status: 'completed', attempts: 2 });
    expect(report.body.blockedReason).toBeUndefined();
    expect(report.body.steps[0]).toMatchObject({ name: 'stripe-customer', status: 'done' });
    expect(await partition(`TENANT#${tenantId}`)).toEqual([]);
  });

  it('records the retry with its reason in the platform audit log', async () => {
    const { tenantId, erasureId } = await blockedPurge('Audited');
    await mirrorSubscription(stack, tenantId, { status: 'canceled', plan: 'free' });
    await api(server, admin.accessToken).post(`/admin/erasures/${erasureId}/retry`, {
      reason: 'Cancelled at Stripe by support',
    });
    const entry = (await partition('PLATFORM_AUDIT')).find(
      (item) => item.action === 'erasure.retried' && item.target?.id === erasureId,
    );
    expect(entry).toMatchObject({
      operatorId: admin.userId,
      reason: 'Cancelled at Stripe by support',
      before: { status: 'blocked' },
      after: { status: 'pending' },
    });
  });

  it('keeps the finished steps finished and runs the refused one again', async () => {
    const tenantId = await createTenant('Halfway');
    const erasureId = `tenant-${tenantId}`;
    const store = createErasureStore(db);
    const requestedAt = new Date().toISOString();
    await store.create(
      { erasureId, kind: 'tenant', subject: tenantId, requestedBy: { kind: 'schedule' }, requestedAt },
      { kind: 'tenant', tenantId, slug: 'halfway', since: requestedAt },
    );
    await store.finishStep(erasureId, 'stripe-customer', { status: 'done', at: requestedAt });
    await store.finishStep(erasureId, 'exports', { status: 'refused', at: requestedAt, note: 'refused' });
    await store.block(erasureId, 'refused');

    const retried = await api(server, admin.accessToken).post(`/admin/erasures/${erasureId}/retry`, {
      reason: 'Cause removed',
    });
    expect(retried.status).toBe(202);
    const stored = await store.get(erasureId);
    expect(stored?.status).toBe('pending');
    expect(stored?.steps).toEqual({ 'stripe-customer': { status: 'done', at: requestedAt } });
    expect(await store.pendingIds(100)).toContain(erasureId);
  });

  it('answers 409 for an erasure that is not blocked, and changes nothing', async () => {
    const tenantId = await createTenant('Running');
    expect((await api(server, owner.accessToken).delete(`/v1/tenants/${tenantId}`)).status).toBe(204);
    const accepted = await api(server, admin.accessToken).post(`/admin/tenants/${tenantId}/purge`, {
      reason: 'Customer asked',
    });
    const before = await createErasureStore(db).get(accepted.body.erasureId);
    const retried = await api(server, admin.accessToken).post(
      `/admin/erasures/${accepted.body.erasureId}/retry`,
      { reason: 'Just in case' },
    );
    expect(retried.status).toBe(409);
    expect(await createErasureStore(db).get(accepted.body.erasureId)).toEqual(before);
  });

  it('answers 404 for an unknown erasure', async () => {
    const retried = await api(server, admin.accessToken).post('/admin/erasures/tenant-unknown123/retry', {
      reason: 'Just in case',
    });
    expect(retried.status).toBe(404);
  });

  it('refuses an operator without the data:erase permission (support)', async () => {
    const { erasureId } = await blockedPurge('GuardedRetry');
    const retried = await api(server, support.accessToken).post(`/admin/erasures/${erasureId}/retry`, {
      reason: 'Cause removed',
    });
    expect(retried.status).toBe(403);
    expect((await createErasureStore(db).get(erasureId))?.status).toBe('blocked');
  });

  it('answers 400 with a field error without a reason', async () => {
    const { erasureId } = await blockedPurge('ReasonlessRetry');
    const retried = await api(server, admin.accessToken).post(`/admin/erasures/${erasureId}/retry`, {});
    expect(retried.status).toBe(400);
    expect(retried.body.errors).toEqual([expect.objectContaining({ field: 'body.reason' })]);
    expect((await createErasureStore(db).get(erasureId))?.status).toBe('blocked');
  });
});
