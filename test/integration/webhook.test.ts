import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { keys } from '#shared/db/keys.ts';
import { newId } from '#shared/ids.ts';
import { metrics } from '#shared/observability/metrics.ts';
import { localPriceIds } from '../../scripts/local/stripe.ts';
import { createTestStack, type TestStack } from '../support/harness.ts';
import {
  BASE_TIME,
  callWebhook,
  checkoutSessionObject,
  countItems,
  deliver,
  disputeObject,
  functionUrlEvent,
  outboxEventsOf,
  readStoredItem,
  type StripeWebhookHandler,
  signedDelivery,
  signedFunctionUrlEvent,
  stripeEvent,
  stripeId,
  subscriptionObject,
} from '../support/stripe-events.ts';

let stack: TestStack;
let handler: StripeWebhookHandler;
let secret: string;

beforeAll(async () => {
  stack = await createTestStack();
  secret = stack.stripeWebhookSecret;
  // The handler reads its environment once, at import; vitest isolates each file's modules.
  Object.assign(process.env, stack.env);
  ({ handler } = await import('#functions/stripe-webhook/handler.ts'));
});

/** The EMF metrics the handler counted (it flushes them itself at the end of each call). */
let counted: string[] = [];
beforeEach(() => {
  counted = [];
  vi.spyOn(metrics, 'addMetric').mockImplementation((name) => {
    counted.push(name);
    return metrics;
  });
});

const teamMonth = { id: localPriceIds.team.month, unitAmount: 2900, interval: 'month' as const };
const businessMonth = { id: localPriceIds.business.month, unitAmount: 9900, interval: 'month' as const };

/** A fresh tenant with its Stripe customer mapped, as the billing API leaves it at checkout. */
async function customerOfNewTenant(): Promise<{ tenantId: string; customer: string }> {
  const tenantId = newId();
  const customer = stripeId('cus');
  await stack.db.send(
    new PutCommand({
      TableName: stack.tableName,
      Item: { ...keys.stripeCustomer(customer), type: 'stripe-customer', customerId: customer, tenantId },
    }),
  );
  return { tenantId, customer };
}

const billingOf = (tenantId: string) => readStoredItem(stack.db, stack.tableName, keys.billing(tenantId));
const outboxOf = (tenantId: string) => outboxEventsOf(stack.db, stack.tableName, tenantId);
const subscriptionCreated = (customer: string, tenantId?: string) =>
  stripeEvent(
    'customer.subscription.created',
    subscriptionObject({ customer, ...(tenantId ? { tenantId } : {}), status: 'active', price: teamMonth }),
    { created: BASE_TIME },
  );

describe('signature and body checks', () => {
  it('refuses a delivery signed with another secret with 400 and stores nothing', async () => {
    const { customer } = await customerOfNewTenant();
    const before = await countItems(stack.db, stack.tableName);
    const reply = await deliver(handler, subscriptionCreated(customer), 'whsec_not_the_endpoint_secret');
    expect(reply.status).toBe(400);
    expect(reply.body).toMatchObject({ status: 400, title: 'Bad Request' });
    expect(await countItems(stack.db, stack.tableName)).toBe(before);
  });

  it('refuses a signature older than five minutes with 400 and stores nothing', async () => {
    const { customer } = await customerOfNewTenant();
    const before = await countItems(stack.db, stack.tableName);
    const stale = Math.floor(Date.now() / 1000) - 301;
    const reply = await callWebhook(
      handler,
      signedFunctionUrlEvent(subscriptionCreated(customer), secret, { timestamp: stale }),
    );
    expect(reply.status).toBe(400);
    expect(await countItems(stack.db, stack.tableName)).toBe(before);
  });

  it('refuses a delivery without the Stripe-Signature header with 400 and stores nothing', async () => {
    const { customer } = await customerOfNewTenant();
    const before = await countItems(stack.db, stack.tableName);
    const reply = await callWebhook(
      handler,
      functionUrlEvent({ body: JSON.stringify(subscriptionCreated(customer)) }),
    );
    expect(reply.status).toBe(400);
    expect(await countItems(stack.db, stack.tableName)).toBe(before);
  });

  it('answers 500 to a correctly signed body that is not JSON, stores nothing and counts a failure', async () => {
    const before = await countItems(stack.db, stack.tableName);
    const reply = await callWebhook(handler, signedFunctionUrlEvent('{"id":"evt_1","object":', secret));
    expect(reply.status).toBe(500);
    expect(await countItems(stack.db, stack.tableName)).toBe(before);
    expect(counted).toEqual(['StripeEventsFailed']);
  });

  it('answers 500 to a signed event whose object is not what its type promises, and stores nothing', async () => {
    const before = await countItems(stack.db, stack.tableName);
    const reply = await deliver(
      handler,
      stripeEvent('customer.subscription.updated', { object: 'subscription' }),
      secret,
    );
    expect(reply.status).toBe(500);
    expect(await countItems(stack.db, stack.tableName)).toBe(before);
    expect(counted).toEqual(['StripeEventsFailed']);
  });

  it('answers 500 to a signed event of another API version, stores nothing, and applies it once it matches', async () => {
    const { tenantId, customer } = await customerOfNewTenant();
    const subscription = subscriptionObject({ customer, status: 'active', price: teamMonth });
    const older = stripeEvent('customer.subscription.created', subscription, {
      apiVersion: '2025-03-31.basil',
    });
    const before = await countItems(stack.db, stack.tableName);
    const reply = await deliver(handler, older, secret);
    expect(reply.status).toBe(500);
    expect(JSON.stringify(reply.body)).not.toContain('basil');
    expect(await countItems(stack.db, stack.tableName)).toBe(before);
    expect(counted).toEqual(['StripeEventsFailed']);
    // Once the endpoint is on the webhook's version, Stripe's next attempt applies it.
    const { api_version: _version, ...rest } = older;
    expect(
      (await deliver(handler, stripeEvent(rest.type, subscription, { id: rest.id }), secret)).status,
    ).toBe(200);
    expect(await billingOf(tenantId)).toMatchObject({ status: 'active' });
  });

  it('acknowledges an event type it does not handle with 200 and stores nothing', async () => {
    const before = await countItems(stack.db, stack.tableName);
    const reply = await deliver(
      handler,
      stripeEvent('customer.tax_id.created', { id: 'txi_1', object: 'tax_id' }),
      secret,
    );
    expect(reply).toEqual({ status: 200, body: { received: true, outcome: 'ignored' } });
    expect(await countItems(stack.db, stack.tableName)).toBe(before);
  });

  it('verifies a base64-encoded body over its decoded bytes', async () => {
    const { tenantId, customer } = await customerOfNewTenant();
    const { body, signature } = signedDelivery(subscriptionCreated(customer), secret);
    const event = functionUrlEvent({
      body: Buffer.from(body).toString('base64'),
      headers: { 'stripe-signature': signature },
      isBase64Encoded: true,
    });
    expect((await callWebhook(handler, event)).status).toBe(200);
    expect(await billingOf(tenantId)).toMatchObject({ status: 'active', plan: 'team' });
  });
});

describe('exactly once', () => {
  it('applies an event delivered 10 times at once exactly once', async () => {
    const { tenantId, customer } = await customerOfNewTenant();
    const event = subscriptionCreated(customer);
    const replies = await Promise.all(
      Array.from({ length: 10 }, () => callWebhook(handler, signedFunctionUrlEvent(event, secret))),
    );
    expect(replies.map((r) => r.status)).toEqual(Array(10).fill(200));
    expect(replies.filter((r) => r.body.outcome === 'applied')).toHaveLength(1);
    expect((await outboxOf(tenantId)).map((e) => e.detailType)).toEqual(['Subscription Started v1']);
    expect(await billingOf(tenantId)).toMatchObject({ status: 'active', version: 1 });
    expect(await readStoredItem(stack.db, stack.tableName, keys.stripeEvent(event.id))).toMatchObject({
      eventType: 'customer.subscription.created',
      tenantId,
    });
  });

  it('acknowledges a later redelivery as a duplicate and changes nothing', async () => {
    const { tenantId, customer } = await customerOfNewTenant();
    const event = subscriptionCreated(customer);
    await deliver(handler, event, secret);
    const before = await countItems(stack.db, stack.tableName);
    const reply = await deliver(handler, event, secret);
    expect(reply.body.outcome).toBe('duplicate');
    expect(await countItems(stack.db, stack.tableName)).toBe(before);
    expect(await outboxOf(tenantId)).toHaveLength(1);
  });

  it('applies different events of one tenant arriving at once, each once', async () => {
    const { tenantId, customer } = await customerOfNewTenant();
    const subscription = subscriptionObject({ customer, status: 'active', price: teamMonth });
    await deliver(
      handler,
      stripeEvent('customer.subscription.created', subscription, { created: BASE_TIME }),
      secret,
    );
    const updates = [1, 2, 3, 4, 5].map((n) =>
      stripeEvent(
        'customer.subscription.updated',
        { ...subscription, cancel_at_period_end: n % 2 === 0 },
        { created: BASE_TIME + n },
      ),
    );
    const replies = await Promise.all(updates.map((event) => deliver(handler, event, secret)));
    expect(replies.map((r) => r.body.outcome)).toEqual(Array(5).fill('applied'));
    // Each is recorded once; whichever arrived after a newer one changed nothing, so the newest wins.
    expect(await billingOf(tenantId)).toMatchObject({
      stripeUpdatedAt: BASE_TIME + 5,
      cancelAtPeriodEnd: false,
    });
    for (const event of updates) {
      expect(await readStoredItem(stack.db, stack.tableName, keys.stripeEvent(event.id))).toBeDefined();
    }
  });

  it('stores nothing and answers 500 when the event cannot be applied, so Stripe retries', async () => {
    const { customer } = await customerOfNewTenant();
    const before = await countItems(stack.db, stack.tableName);
    const unsold = { ...teamMonth, id: 'price_not_sold_here' };
    const event = stripeEvent(
      'customer.subscription.created',
      subscriptionObject({ customer, status: 'active', price: unsold }),
    );
    const reply = await deliver(handler, event, secret);
    expect(reply.status).toBe(500);
    expect(JSON.stringify(reply.body)).not.toContain('price_not_sold_here');
    expect(await countItems(stack.db, stack.tableName)).toBe(before);
  });
});

describe('order safety', () => {
  it('changes nothing for a customer.subscription.updated older than the state applied', async () => {
    const { tenantId, customer } = await customerOfNewTenant();
    const subscription = subscriptionObject({ customer, status: 'active', price: teamMonth });
    await deliver(
      handler,
      stripeEvent('customer.subscription.created', subscription, { created: BASE_TIME }),
      secret,
    );
    const upgrade = {
      ...subscriptionObject({ customer, status: 'active', price: businessMonth }),
      id: subscription.id,
    };
    await deliver(
      handler,
      stripeEvent('customer.subscription.updated', upgrade, { created: BASE_TIME + 20 }),
      secret,
    );
    const before = await billingOf(tenantId);
    const outboxBefore = await outboxOf(tenantId);

    const older = stripeEvent(
      'customer.subscription.updated',
      { ...subscription, quantity: 9 },
      { created: BASE_TIME + 10 },
    );
    const reply = await deliver(handler, older, secret);

    expect(reply).toEqual({ status: 200, body: { received: true, outcome: 'applied' } });
    expect(await billingOf(tenantId)).toEqual(before);
    expect(await outboxOf(tenantId)).toEqual(outboxBefore);
    expect(before).toMatchObject({ plan: 'business', stripeUpdatedAt: BASE_TIME + 20 });
    expect(await readStoredItem(stack.db, stack.tableName, keys.stripeEvent(older.id))).toMatchObject({
      summary: expect.stringContaining('stale'),
    });
  });

  it('writes Subscription Changed with the new and previous monthly amounts on an upgrade', async () => {
    const { tenantId, customer } = await customerOfNewTenant();
    const subscription = subscriptionObject({ customer, status: 'active', price: teamMonth, quantity: 2 });
    await deliver(
      handler,
      stripeEvent('customer.subscription.created', subscription, { created: BASE_TIME }),
      secret,
    );
    const upgrade = {
      ...subscriptionObject({ customer, status: 'active', price: businessMonth, quantity: 2 }),
      id: subscription.id,
    };
    const event = stripeEvent('customer.subscription.updated', upgrade, { created: BASE_TIME + 5 });
    await deliver(handler, event, secret);
    const changed = (await outboxOf(tenantId)).find((e) => e.detailType === 'Subscription Changed v1');
    expect(changed?.detail).toMatchObject({
      tenantId,
      subscriptionId: subscription.id,
      plan: 'business',
      interval: 'month',
      status: 'active',
      amount: { amount: 19_800, currency: 'usd' },
      previousAmount: { amount: 5800, currency: 'usd' },
      stripeEventId: event.id,
      occurredAt: new Date((BASE_TIME + 5) * 1000).toISOString(),
    });
  });
});

describe('customers and tenants', () => {
  it('maps the customer to the tenant named by a completed checkout', async () => {
    const tenantId = newId();
    const customer = stripeId('cus');
    const session = checkoutSessionObject({ customer, subscription: stripeId('sub'), tenantId });
    expect((await deliver(handler, stripeEvent('checkout.session.completed', session), secret)).status).toBe(
      200,
    );
    expect(await readStoredItem(stack.db, stack.tableName, keys.stripeCustomer(customer))).toMatchObject({
      tenantId,
    });
  });

  it('leaves a customer mapped to another tenant alone on checkout', async () => {
    const { tenantId, customer } = await customerOfNewTenant();
    const session = checkoutSessionObject({ customer, subscription: stripeId('sub'), tenantId: newId() });
    expect((await deliver(handler, stripeEvent('checkout.session.completed', session), secret)).status).toBe(
      200,
    );
    expect(await readStoredItem(stack.db, stack.tableName, keys.stripeCustomer(customer))).toMatchObject({
      tenantId,
    });
  });

  it('finds the tenant in the subscription metadata before the mapping exists', async () => {
    const tenantId = newId();
    await stack.db.send(
      new PutCommand({
        TableName: stack.tableName,
        Item: { ...keys.tenant(tenantId), type: 'tenant', tenantId },
      }),
    );
    const reply = await deliver(handler, subscriptionCreated(stripeId('cus'), tenantId), secret);
    expect(reply.body.outcome).toBe('applied');
    expect(await billingOf(tenantId)).toMatchObject({ status: 'active' });
  });

  it('ignores a tenant id in metadata that names no tenant, and stores nothing', async () => {
    const before = await countItems(stack.db, stack.tableName);
    const reply = await deliver(handler, subscriptionCreated(stripeId('cus'), newId()), secret);
    expect(reply.body.outcome).toBe('skipped');
    expect(await countItems(stack.db, stack.tableName)).toBe(before);
  });

  it('acknowledges an event of an unknown customer and stores nothing', async () => {
    const before = await countItems(stack.db, stack.tableName);
    const reply = await deliver(handler, subscriptionCreated(stripeId('cus')), secret);
    expect(reply).toEqual({ status: 200, body: { received: true, outcome: 'skipped' } });
    expect(await countItems(stack.db, stack.tableName)).toBe(before);
  });

  it('acknowledges a dispute of a charge no tenant owns, and still counts it for the alarm', async () => {
    // stripe-mock's charge has no customer: no tenant to record it on.
    const event = stripeEvent(
      'charge.dispute.created',
      disputeObject({ charge: stripeId('ch'), amount: 2900 }),
    );
    const before = await countItems(stack.db, stack.tableName);
    expect((await deliver(handler, event, secret)).body.outcome).toBe('skipped');
    expect(await countItems(stack.db, stack.tableName)).toBe(before);
    expect(counted).toEqual(['DisputesOpened']);
  });
});
