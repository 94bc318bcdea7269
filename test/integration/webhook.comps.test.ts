import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { mrrChangeOf } from '#shared/analytics/movements.consumer.ts';
import { replayMrrChanges } from '#shared/analytics/movements.ts';
import { keys } from '#shared/db/keys.ts';
import { newId } from '#shared/ids.ts';
import { localPriceIds } from '../../scripts/local/stripe.ts';
import { createTestStack, type TestStack } from '../support/harness.ts';
import {
  BASE_TIME,
  couponObject,
  DAY,
  deliver,
  discountObject,
  outboxEventsOf,
  readStoredItem,
  type StripeWebhookHandler,
  stripeEvent,
  stripeId,
  subscriptionObject,
} from '../support/stripe-events.ts';

/**
 * Comps as Stripe's webhooks tell them: the `customer.subscription.updated` that adding an
 * operator's 100% coupon causes, and the `customer.discount.deleted` when it ends, signed the way
 * Stripe signs them and posted to the webhook handler. The mirror and the outbox events change; the
 * events' MRR changes become `comp` and `comp_end` movements.
 */

let stack: TestStack;
let handler: StripeWebhookHandler;
let secret: string;

beforeAll(async () => {
  stack = await createTestStack();
  secret = stack.stripeWebhookSecret;
  Object.assign(process.env, stack.env);
  ({ handler } = await import('#functions/stripe-webhook/handler.ts'));
});

const teamMonth = { id: localPriceIds.team.month, unitAmount: 2900, interval: 'month' as const };

/** A tenant with a mapped customer and an active Team subscription (created at BASE_TIME). */
async function subscribedTenant() {
  const tenantId = newId();
  const customer = stripeId('cus');
  await stack.db.send(
    new PutCommand({
      TableName: stack.tableName,
      Item: { ...keys.stripeCustomer(customer), type: 'stripe-customer', customerId: customer, tenantId },
    }),
  );
  const id = stripeId('sub');
  const subscription = (extra: Partial<Parameters<typeof subscriptionObject>[0]> = {}) =>
    subscriptionObject({ id, customer, tenantId, status: 'active', price: teamMonth, ...extra });
  const created = await deliver(
    handler,
    stripeEvent('customer.subscription.created', subscription(), { created: BASE_TIME }),
    secret,
  );
  expect(created.status).toBe(200);
  return { tenantId, customer, subscriptionId: id, subscription };
}

/** A comp discount as Stripe expands it: Plinth's coupon (100%, repeating, `plinthComp`). */
function compDiscount(subscriptionId: string, customer: string, end: number) {
  const coupon = {
    ...couponObject({ percentOff: 100, duration: 'repeating' }),
    metadata: { plinthComp: 'true', until: new Date(end * 1000).toISOString() },
  };
  return discountObject({ coupon, subscription: subscriptionId, end, customer });
}

const billingOf = (tenantId: string) => readStoredItem(stack.db, stack.tableName, keys.billing(tenantId));

/** A tenant comped at BASE_TIME + 1 day, for three months. */
async function compedTenant() {
  const tenant = await subscribedTenant();
  const discount = compDiscount(tenant.subscriptionId, tenant.customer, BASE_TIME + 90 * DAY);
  const reply = await deliver(
    handler,
    stripeEvent('customer.subscription.updated', tenant.subscription({ discounts: [discount] }), {
      created: BASE_TIME + DAY,
    }),
    secret,
  );
  expect(reply.status).toBe(200);
  return { ...tenant, discount };
}

describe('a comp applied at Stripe', () => {
  it('mirrors the comp with its coupon, end and regular amount, and an MRR of 0', async () => {
    const { tenantId, discount } = await compedTenant();
    const billing = await billingOf(tenantId);
    expect(billing).toMatchObject({
      status: 'active',
      plan: 'team',
      monthlyAmount: { amount: 0, currency: 'usd' },
      comp: {
        couponId: discount.source.coupon.id,
        discountId: discount.id,
        endsAt: new Date((BASE_TIME + 90 * DAY) * 1000).toISOString(),
        regularMonthlyAmount: { amount: 2900, currency: 'usd' },
      },
    });
  });

  it('publishes the change with comp: true, so analytics records a comp movement', async () => {
    const { tenantId } = await compedTenant();
    const events = await outboxEventsOf(stack.db, stack.tableName, tenantId);
    expect(events.at(-1)).toMatchObject({
      detailType: 'Subscription Changed v1',
      detail: { amount: { amount: 0 }, previousAmount: { amount: 2900 }, comp: true },
    });
  });

  it('does not take a coupon without the comp mark for a comp', async () => {
    const tenant = await subscribedTenant();
    const coupon = couponObject({ percentOff: 100, duration: 'repeating' });
    const discount = discountObject({
      coupon,
      subscription: tenant.subscriptionId,
      end: BASE_TIME + 90 * DAY,
    });
    await deliver(
      handler,
      stripeEvent('customer.subscription.updated', tenant.subscription({ discounts: [discount] }), {
        created: BASE_TIME + DAY,
      }),
      secret,
    );
    expect(await billingOf(tenant.tenantId)).toMatchObject({ monthlyAmount: { amount: 0 }, comp: null });
    const events = await outboxEventsOf(stack.db, stack.tableName, tenant.tenantId);
    expect(events.at(-1)?.detail).toMatchObject({ comp: false });
  });
});

describe('customer.discount.deleted', () => {
  it('ends the held comp: the mirror drops it and charges the regular amount again', async () => {
    const { tenantId, customer, discount } = await compedTenant();
    const reply = await deliver(
      handler,
      stripeEvent('customer.discount.deleted', discount, { created: BASE_TIME + 90 * DAY }),
      secret,
    );
    expect(reply.status).toBe(200);
    expect(await billingOf(tenantId)).toMatchObject({
      status: 'active',
      comp: null,
      monthlyAmount: { amount: 2900, currency: 'usd' },
      customerId: customer,
    });
  });

  it('publishes the end with comp: false, and the events make a comp then a comp_end movement', async () => {
    const { tenantId, discount } = await compedTenant();
    await deliver(
      handler,
      stripeEvent('customer.discount.deleted', discount, { created: BASE_TIME + 90 * DAY }),
      secret,
    );
    const events = await outboxEventsOf(stack.db, stack.tableName, tenantId);
    const changes = events
      .map((event) =>
        mrrChangeOf({ id: 'x', 'detail-type': event.detailType, source: 'plinth', detail: event.detail }),
      )
      .filter((change) => change !== undefined);
    const { movements } = replayMrrChanges(changes);
    expect(movements.map((m) => [m.type, m.delta])).toEqual([
      ['new', 2900],
      ['comp', -2900],
      ['comp_end', 2900],
    ]);
  });

  it('leaves the mirror alone for a discount that is not the held comp', async () => {
    const { tenantId, customer, subscriptionId } = await compedTenant();
    const before = await billingOf(tenantId);
    const other = compDiscount(subscriptionId, customer, BASE_TIME + 30 * DAY);
    const reply = await deliver(
      handler,
      stripeEvent('customer.discount.deleted', other, { created: BASE_TIME + 30 * DAY }),
      secret,
    );
    expect(reply.status).toBe(200);
    expect(await billingOf(tenantId)).toEqual(before);
  });

  it('ignores an end older than the subscription state held', async () => {
    const { tenantId, discount, subscription } = await compedTenant();
    await deliver(
      handler,
      stripeEvent('customer.subscription.updated', subscription({ discounts: [discount], quantity: 2 }), {
        created: BASE_TIME + 10 * DAY,
      }),
      secret,
    );
    const before = await billingOf(tenantId);
    await deliver(
      handler,
      stripeEvent('customer.discount.deleted', discount, { created: BASE_TIME + 5 * DAY }),
      secret,
    );
    expect(await billingOf(tenantId)).toEqual(before);
  });

  it('applies a redelivered end once', async () => {
    const { tenantId, discount } = await compedTenant();
    const event = stripeEvent('customer.discount.deleted', discount, { created: BASE_TIME + 90 * DAY });
    await deliver(handler, event, secret);
    const eventsAfterFirst = await outboxEventsOf(stack.db, stack.tableName, tenantId);
    const again = await deliver(handler, event, secret);
    expect(again.status).toBe(200);
    expect(await outboxEventsOf(stack.db, stack.tableName, tenantId)).toEqual(eventsAfterFirst);
  });
});
