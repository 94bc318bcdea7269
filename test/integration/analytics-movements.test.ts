import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processMovementRecords } from '#shared/analytics/movements.consumer.ts';
import { keys } from '#shared/db/keys.ts';
import { type SubscriptionDetail, subscriptionEvent } from '#shared/events/subscription-events.ts';
import { newId, systemClock } from '#shared/ids.ts';
import { localPriceIds } from '../../scripts/local/stripe.ts';
import { createTestStack, type TestStack } from '../support/harness.ts';
import { type BusEvent, startTestRunner, type TestRunner } from '../support/runner.ts';
import {
  BASE_TIME,
  DAY,
  deliver,
  readStoredItem,
  type StripeWebhookHandler,
  stripeEvent,
  stripeId,
  subscriptionObject,
  type TestPrice,
} from '../support/stripe-events.ts';

/**
 * The movements consumer on the real event path: signed Stripe webhooks → webhook handler (state +
 * outbox) → stream → publisher → bus → the `analytics-movements` rule's queue → consumer → MRR
 * movements in the table, dated by the Stripe events' own times.
 */

const team: TestPrice = { id: localPriceIds.team.month, unitAmount: 2900, interval: 'month' };
const business: TestPrice = { id: localPriceIds.business.month, unitAmount: 9900, interval: 'month' };
const teamYear: TestPrice = { id: localPriceIds.team.year, unitAmount: 29_000, interval: 'year' };

let stack: TestStack;
let runner: TestRunner;
let webhookHandler: StripeWebhookHandler;
const db = () => ({ client: stack.db, tableName: stack.tableName });

beforeAll(async () => {
  stack = await createTestStack();
  runner = await startTestRunner(stack);
  ({ handler: webhookHandler } = await import('#functions/stripe-webhook/handler.ts'));
});
afterAll(async () => {
  await runner?.stop();
});

/** A tenant whose Stripe customer is mapped, and one subscription id for it. */
async function newCustomer() {
  const tenantId = newId();
  const customer = stripeId('cus');
  await stack.db.send(
    new PutCommand({
      TableName: stack.tableName,
      Item: { ...keys.stripeCustomer(customer), type: 'stripe-customer', customerId: customer, tenantId },
    }),
  );
  return { tenantId, customer, subscription: stripeId('sub') };
}

type Customer = Awaited<ReturnType<typeof newCustomer>>;
type Status = Parameters<typeof subscriptionObject>[0]['status'];

/** Delivers a signed subscription event created `days` after BASE_TIME, then drains the event path. */
async function subscriptionWebhook(
  who: Customer,
  type: string,
  price: TestPrice,
  status: Status,
  days: number,
  subscription = who.subscription,
) {
  const object = subscriptionObject({ id: subscription, customer: who.customer, status, price });
  const reply = await deliver(
    webhookHandler,
    stripeEvent(type, object, { created: BASE_TIME + days * DAY }),
    stack.stripeWebhookSecret,
  );
  expect(reply.status).toBe(200);
  await runner.drain();
}

/** The tenant's movements of the months given, oldest first. */
async function movementsOf(tenantId: string, months = ['2026-03', '2026-04', '2026-05']) {
  const all: Record<string, unknown>[] = [];
  for (const month of months) {
    const { Items = [] } = await stack.db.send(
      new QueryCommand({
        TableName: stack.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': keys.mrrMovementsOfMonth(month).pk },
        ConsistentRead: true,
      }),
    );
    all.push(...Items.filter((item) => item.tenantId === tenantId));
  }
  return all;
}

const stateOf = (tenantId: string) => readStoredItem(stack.db, stack.tableName, keys.mrrState(tenantId));

/** An SQS record carrying a bus event, as the rule's queue delivers it. */
function sqsRecord(event: BusEvent): SQSRecord {
  return { messageId: newId(), body: JSON.stringify(event) } as SQSRecord;
}

function busEvent(
  detailType: 'Subscription Changed v1' | 'Subscription Started v1',
  detail: SubscriptionDetail,
): BusEvent {
  const { detail: parsed } = subscriptionEvent(detailType, detail);
  return {
    id: newId(),
    source: 'plinth',
    'detail-type': detailType,
    time: detail.occurredAt,
    detail: parsed,
  };
}

function detail(tenantId: string, amount: number, occurredAt: string): SubscriptionDetail {
  return {
    eventId: newId(),
    tenantId,
    subscriptionId: 'sub_x',
    plan: amount > 5000 ? 'business' : 'team',
    interval: 'month',
    status: 'active',
    amount: { amount, currency: 'usd' },
    previousAmount: { amount: 0, currency: 'usd' },
    stripeEventId: stripeId('evt'),
    occurredAt,
  };
}

const consume = (...events: BusEvent[]) =>
  processMovementRecords(events.map(sqsRecord), { db: db(), clock: systemClock });

describe('MRR movements from signed webhooks', () => {
  it("records a new movement dated by the Stripe event's time, with the originating event id", async () => {
    const who = await newCustomer();
    await subscriptionWebhook(who, 'customer.subscription.created', team, 'active', 2);

    const [movement] = await movementsOf(who.tenantId);
    const published = (await runner.published()).find(
      (event) => event.detail.tenantId === who.tenantId && event['detail-type'] === 'Subscription Started v1',
    );
    expect(movement).toMatchObject({
      movementType: 'new',
      delta: 2900,
      mrrBefore: 0,
      mrrAfter: 2900,
      planBefore: 'free',
      planAfter: 'team',
      currency: 'usd',
      occurredAt: '2026-03-03T12:00:00.000Z',
      day: '2026-03-03',
      eventId: published?.detail.eventId,
    });
    expect(await stateOf(who.tenantId)).toMatchObject({ mrr: 2900, plan: 'team', everPaid: true });
  });

  it('records nothing for a trial and a new movement on the day it converts', async () => {
    const who = await newCustomer();
    await subscriptionWebhook(who, 'customer.subscription.created', team, 'trialing', 0);
    expect(await movementsOf(who.tenantId)).toEqual([]);

    await subscriptionWebhook(who, 'customer.subscription.updated', team, 'active', 14);

    const movements = await movementsOf(who.tenantId);
    expect(movements.map((m) => [m.movementType, m.delta, m.day])).toEqual([['new', 2900, '2026-03-15']]);
  });

  it('counts an annual plan at a twelfth of its price', async () => {
    const who = await newCustomer();
    await subscriptionWebhook(who, 'customer.subscription.created', teamYear, 'active', 0);

    const movements = await movementsOf(who.tenantId);
    expect(movements.map((m) => [m.movementType, m.delta])).toEqual([['new', 2417]]);
  });

  it('records expansion, contraction, churn and reactivation as the subscription changes', async () => {
    const who = await newCustomer();
    await subscriptionWebhook(who, 'customer.subscription.created', team, 'active', 0);
    await subscriptionWebhook(who, 'customer.subscription.updated', business, 'active', 5);
    await subscriptionWebhook(who, 'customer.subscription.updated', team, 'active', 31);
    await subscriptionWebhook(who, 'customer.subscription.updated', team, 'past_due', 40);
    await subscriptionWebhook(who, 'customer.subscription.deleted', team, 'canceled', 45);
    await subscriptionWebhook(who, 'customer.subscription.created', business, 'active', 60, stripeId('sub'));

    const movements = await movementsOf(who.tenantId);
    expect(movements.map((m) => [m.movementType, m.delta, m.mrrAfter, m.day])).toEqual([
      ['new', 2900, 2900, '2026-03-01'],
      ['expansion', 7000, 9900, '2026-03-06'],
      ['contraction', -7000, 2900, '2026-04-01'],
      ['churn', -2900, 0, '2026-04-15'],
      ['reactivation', 9900, 9900, '2026-04-30'],
    ]);
    expect(await stateOf(who.tenantId)).toMatchObject({ mrr: 9900, plan: 'business' });
  });

  it('marks the day of each movement dirty for the rollup', async () => {
    const who = await newCustomer();
    await subscriptionWebhook(who, 'customer.subscription.created', team, 'active', 20);

    expect(await readStoredItem(stack.db, stack.tableName, keys.metricsDirtyDay('2026-03-21'))).toMatchObject(
      {
        day: '2026-03-21',
      },
    );
  });
});

describe('the consumer is idempotent and order-safe', () => {
  it('records one movement when the same bus event is delivered twice', async () => {
    const tenantId = newId();
    const started = busEvent('Subscription Started v1', detail(tenantId, 2900, '2026-03-10T00:00:00.000Z'));

    const first = await consume(started);
    const second = await consume(started);

    expect(first.batchItemFailures).toEqual([]);
    expect(second.batchItemFailures).toEqual([]);
    expect(await movementsOf(tenantId)).toHaveLength(1);
  });

  it('ignores an older change that arrives after a newer one', async () => {
    const tenantId = newId();
    const newer = busEvent('Subscription Changed v1', detail(tenantId, 9900, '2026-03-12T00:00:00.000Z'));
    const older = busEvent('Subscription Started v1', detail(tenantId, 2900, '2026-03-11T00:00:00.000Z'));

    await consume(newer);
    await consume(older);

    const movements = await movementsOf(tenantId);
    expect(movements.map((m) => [m.movementType, m.delta])).toEqual([['new', 9900]]);
    expect(await stateOf(tenantId)).toMatchObject({ mrr: 9900 });
  });

  it('applies a batch carrying several changes of one tenant oldest first', async () => {
    const tenantId = newId();
    const a = busEvent('Subscription Started v1', detail(tenantId, 2900, '2026-03-11T00:00:00.000Z'));
    const b = busEvent('Subscription Changed v1', detail(tenantId, 9900, '2026-03-12T00:00:00.000Z'));

    await consume(b, a);

    const movements = await movementsOf(tenantId);
    expect(movements.map((m) => [m.movementType, m.delta])).toEqual([
      ['new', 2900],
      ['expansion', 7000],
    ]);
  });

  it('keeps the movements adding up to the MRR when deliveries for one tenant race', async () => {
    const tenantId = newId();
    const events = [2900, 9900, 5800, 0, 2900].map((amount, index) =>
      busEvent('Subscription Changed v1', detail(tenantId, amount, `2026-03-1${index}T00:00:00.000Z`)),
    );

    const replies = await Promise.all(events.map((event) => consume(event)));

    expect(replies.flatMap((reply) => reply.batchItemFailures)).toEqual([]);
    const movements = await movementsOf(tenantId);
    const state = await stateOf(tenantId);
    expect(movements.reduce((sum, m) => sum + Number(m.delta), 0)).toBe(state?.mrr);
  });

  it('reports a record whose detail breaks the contract as failed and records nothing', async () => {
    const tenantId = newId();
    const broken = busEvent('Subscription Started v1', detail(tenantId, 2900, '2026-03-10T00:00:00.000Z'));
    const record = sqsRecord({ ...broken, detail: { ...broken.detail, amount: 'a lot' } });

    const reply = await processMovementRecords([record], { db: db(), clock: systemClock });

    expect(reply.batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);
    expect(await stateOf(tenantId)).toBeUndefined();
  });

  it('is what the deployed handler runs for the rule queue', async () => {
    const { handler } = await import('#functions/analytics-movements/handler.ts');
    const tenantId = newId();
    const started = busEvent('Subscription Started v1', detail(tenantId, 2900, '2026-03-10T00:00:00.000Z'));

    const reply = await handler({ Records: [sqsRecord(started)] } as SQSEvent);

    expect(reply.batchItemFailures).toEqual([]);
    expect(await movementsOf(tenantId)).toHaveLength(1);
  });
});
