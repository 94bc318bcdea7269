import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBillingRepository } from '#shared/billing/billing.repository.ts';
import { createBillingService } from '#shared/billing/billing.service.ts';
import type { PriceIds } from '#shared/billing/plans.ts';
import { createStripeClient } from '#shared/billing/stripe-client.ts';
import { createStripeGateway } from '#shared/billing/stripe-gateway.ts';
import { newId } from '#shared/ids.ts';
import { createTenancy } from '#shared/tenancy/tenant-context.ts';
import { mirrorSubscription } from '../support/billing-state.ts';
import {
  api,
  createTestStack,
  type LocalServer,
  signUpUser,
  startTestServer,
  type TestStack,
  type TestUser,
} from '../support/harness.ts';

/**
 * A change retried by the client makes the same calls with the same idempotency keys, so Stripe
 * answers what it already did and the retry completes the change. Proven against stripe-mock (the
 * requests are well formed and Stripe-bound) by listening to the keys stripe-node sends.
 */

let stack: TestStack;
let server: LocalServer;
let owner: TestUser;

beforeAll(async () => {
  stack = await createTestStack();
  server = await startTestServer(stack);
  owner = await signUpUser(stack);
});
afterAll(() => server.close());

/** The billing service on the real gateway against stripe-mock, and the POSTs it sends. */
async function serviceRecordingKeys() {
  const stripe = await createStripeClient({ secretKey: 'sk_test_123', apiUrl: stack.stripeMockEndpoint });
  const posts: { path: string; key: string | undefined }[] = [];
  stripe.on('request', (event: { method: string; path: string; idempotency_key?: string }) => {
    if (event.method === 'POST') posts.push({ path: event.path, key: event.idempotency_key });
  });
  const db = { client: stack.db, tableName: stack.tableName };
  const service = createBillingService({
    billing: createBillingRepository(db, { clock: () => new Date(), newId }),
    stripe: createStripeGateway(stripe),
    clock: () => new Date(),
    priceIds: JSON.parse(stack.env.STRIPE_PRICE_IDS as string) as PriceIds,
    appUrl: stack.env.APP_URL as string,
  });
  return { service, posts };
}

async function businessTenant(plan: 'team' | 'business' = 'business') {
  const tenant = await api(server, owner.accessToken).post('/v1/tenants', {
    name: 'Resume',
    slug: `resume-${Date.now().toString(36)}`,
  });
  const tenantId = tenant.body.tenantId as string;
  await mirrorSubscription(stack, tenantId, {
    plan,
    interval: 'month',
    status: 'active',
    customerId: 'cus_resume',
    subscriptionId: 'sub_resume',
    currentPeriodEnd: '2026-12-01T00:00:00.000Z',
  });
  const db = { client: stack.db, tableName: stack.tableName };
  return (requestId: string) =>
    createTenancy({ db }).resolve({ userId: owner.userId, groups: [], platformAdmin: false }, tenantId, {
      requestId,
      sourceIp: '127.0.0.1',
    });
}

describe('retrying a multi-call change', () => {
  it('sends a downgrade retried as a new request with the same idempotency keys', async () => {
    const contextFor = await businessTenant();
    const first = await serviceRecordingKeys();
    const retry = await serviceRecordingKeys();

    await first.service.applyChange(await contextFor('req-first'), { plan: 'team', interval: 'month' });
    await retry.service.applyChange(await contextFor('req-retry'), { plan: 'team', interval: 'month' });

    expect(first.posts.map((p) => p.path)).toEqual([
      '/v1/subscription_schedules',
      expect.stringMatching(/^\/v1\/subscription_schedules\/sub_sched_/),
    ]);
    // Stripe answers the repeated creation with the schedule it created the first time (stripe-mock,
    // stateless, makes up a new id, so only the creation's key can be compared here; the phases'
    // key follows from the schedule, see the unit tests).
    expect(retry.posts[0]).toEqual(first.posts[0]);
    expect(first.posts[0]?.key).toMatch(/^plinth-schedule-/);
  });

  it('sends an upgrade retried as a new request with the same idempotency key', async () => {
    const contextFor = await businessTenant('team');
    const first = await serviceRecordingKeys();
    const retry = await serviceRecordingKeys();
    const upgrade = {
      plan: 'business',
      interval: 'month',
      prorationDate: Math.floor(Date.now() / 1000),
    } as const;

    await first.service.applyChange(await contextFor('req-first'), upgrade);
    await retry.service.applyChange(await contextFor('req-retry'), upgrade);

    expect(first.posts.map((p) => p.path)).toEqual(['/v1/subscriptions/sub_resume']);
    expect(retry.posts).toEqual(first.posts);
  });
});
