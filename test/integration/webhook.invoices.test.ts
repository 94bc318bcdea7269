import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { invoiceSchema } from '#shared/billing/billing.schema.ts';
import { keys } from '#shared/db/keys.ts';
import { newId } from '#shared/ids.ts';
import { metrics } from '#shared/observability/metrics.ts';
import { localPriceIds } from '../../scripts/local/stripe.ts';
import { createTestStack, type TestStack } from '../support/harness.ts';
import {
  BASE_TIME,
  chargeObject,
  countItems,
  DAY,
  deliver,
  invoiceObject,
  outboxEventsOf,
  readStoredItem,
  refundObject,
  type StripeWebhookHandler,
  stripeEvent,
  stripeId,
  subscriptionObject,
  upcomingInvoiceObject,
} from '../support/stripe-events.ts';

let stack: TestStack;
let handler: StripeWebhookHandler;

beforeAll(async () => {
  stack = await createTestStack();
  Object.assign(process.env, stack.env);
  ({ handler } = await import('#functions/stripe-webhook/handler.ts'));
});

const send = (event: object) => deliver(handler, event, stack.stripeWebhookSecret);
const outboxTypes = async (tenantId: string) =>
  (await outboxEventsOf(stack.db, stack.tableName, tenantId)).map((e) => e.detailType);

interface Customer {
  readonly tenantId: string;
  readonly customer: string;
  readonly subscriptionId: string;
}

/** A tenant whose customer is mapped, with a subscription on `price` applied at BASE_TIME. */
async function subscribedCustomer(price: {
  id: string;
  unitAmount: number;
  interval: 'month' | 'year';
}): Promise<Customer> {
  const tenantId = newId();
  const customer = stripeId('cus');
  await stack.db.send(
    new PutCommand({
      TableName: stack.tableName,
      Item: { ...keys.stripeCustomer(customer), type: 'stripe-customer', customerId: customer, tenantId },
    }),
  );
  const subscription = subscriptionObject({ customer, status: 'active', price });
  await send(stripeEvent('customer.subscription.created', subscription, { created: BASE_TIME }));
  return { tenantId, customer, subscriptionId: subscription.id };
}

const teamMonth = { id: localPriceIds.team.month, unitAmount: 2900, interval: 'month' as const };
const teamYear = { id: localPriceIds.team.year, unitAmount: 29_000, interval: 'year' as const };

/** The tenant's payment history as the billing API lists it (newest first), parsed with its schema. */
async function paymentHistory(tenantId: string) {
  const prefix = keys.invoicesPrefix(tenantId);
  const { Items = [] } = await stack.db.send(
    new QueryCommand({
      TableName: stack.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': prefix.pk, ':prefix': prefix.skPrefix },
      ScanIndexForward: false,
      ConsistentRead: true,
    }),
  );
  return Items.map((item) => invoiceSchema().parse(item));
}

/** A paid invoice whose charge the payload names (as `expand[]=payments` would). */
async function paidInvoice(customer: Customer, chargeId: string, amount = 2900) {
  const invoice = invoiceObject({
    customer: customer.customer,
    subscription: customer.subscriptionId,
    status: 'paid',
    subtotal: amount,
    tax: 290,
    created: BASE_TIME + DAY,
    paidAt: BASE_TIME + DAY + 5,
    paidByCharge: chargeId,
  });
  await send(stripeEvent('invoice.paid', invoice, { created: BASE_TIME + DAY + 5 }));
  return invoice;
}

describe('invoice mirror', () => {
  it('lists a paid invoice with amounts, tax, payment time, hosted URL and charge', async () => {
    const customer = await subscribedCustomer(teamMonth);
    const chargeId = stripeId('ch');
    const invoice = await paidInvoice(customer, chargeId);
    const [listed] = await paymentHistory(customer.tenantId);
    expect(listed).toEqual({
      invoiceId: invoice.id,
      number: invoice.number,
      status: 'paid',
      currency: 'usd',
      amountDue: 3190,
      amountPaid: 3190,
      tax: 290,
      total: 3190,
      createdAt: new Date((BASE_TIME + DAY) * 1000).toISOString(),
      paidAt: new Date((BASE_TIME + DAY + 5) * 1000).toISOString(),
      hostedInvoiceUrl: invoice.hosted_invoice_url,
      chargeId,
      amountRefunded: 0,
      refunds: [],
    });
    expect(
      await readStoredItem(stack.db, stack.tableName, keys.chargeLocator(customer.tenantId, chargeId)),
    ).toMatchObject({
      invoiceId: invoice.id,
    });
    expect(await outboxTypes(customer.tenantId)).toContain('Invoice Paid v1');
  });

  it("asks Stripe for the paying charge when the payload leaves the invoice's payments out", async () => {
    const customer = await subscribedCustomer(teamMonth);
    const invoice = invoiceObject({
      customer: customer.customer,
      subscription: customer.subscriptionId,
      status: 'paid',
      subtotal: 2900,
    });
    // stripe-mock answers the invoice-payments list with a fixture whose payment intent has no
    // charge yet: the call is well formed, and the invoice is mirrored without a charge.
    expect((await send(stripeEvent('invoice.paid', invoice))).body.outcome).toBe('applied');
    expect((await paymentHistory(customer.tenantId))[0]).toMatchObject({
      invoiceId: invoice.id,
      chargeId: null,
    });
  });

  it('mirrors an invoice that needs customer action as open, changing nothing else', async () => {
    const customer = await subscribedCustomer(teamMonth);
    const billingBefore = await readStoredItem(stack.db, stack.tableName, keys.billing(customer.tenantId));
    const invoice = invoiceObject({
      customer: customer.customer,
      subscription: customer.subscriptionId,
      status: 'open',
      subtotal: 2900,
    });
    await send(stripeEvent('invoice.payment_action_required', invoice, { created: BASE_TIME + DAY }));
    expect((await paymentHistory(customer.tenantId))[0]).toMatchObject({
      invoiceId: invoice.id,
      status: 'open',
      paidAt: null,
    });
    expect(await readStoredItem(stack.db, stack.tableName, keys.billing(customer.tenantId))).toEqual(
      billingBefore,
    );
  });

  it('keeps a paid invoice paid when an older failure of it arrives late', async () => {
    const customer = await subscribedCustomer(teamMonth);
    const invoice = await paidInvoice(customer, stripeId('ch'));
    const olderFailure = {
      ...invoice,
      status: 'open',
      amount_paid: 0,
      status_transitions: { ...invoice.status_transitions, paid_at: null },
    };
    await send(stripeEvent('invoice.payment_failed', olderFailure, { created: BASE_TIME + DAY }));
    expect((await paymentHistory(customer.tenantId))[0]).toMatchObject({ status: 'paid' });
    expect(await readStoredItem(stack.db, stack.tableName, keys.billing(customer.tenantId))).toMatchObject({
      status: 'active',
    });
  });
});

describe('refunds', () => {
  it('mirrors a refund made through the admin API and writes Refund Issued', async () => {
    const customer = await subscribedCustomer(teamMonth);
    const chargeId = stripeId('ch');
    await paidInvoice(customer, chargeId);
    const refund = refundObject({
      charge: chargeId,
      customer: customer.customer,
      amount: 1000,
      status: 'succeeded',
      reason: 'requested_by_customer',
      created: BASE_TIME + 2 * DAY,
      metadata: { tenantId: customer.tenantId, reason: 'charged twice', operatorId: 'op-1' },
    });
    await send(stripeEvent('refund.created', refund, { created: BASE_TIME + 2 * DAY }));
    await send(
      stripeEvent(
        'charge.refunded',
        chargeObject({ id: chargeId, customer: customer.customer, amount: 3190, amountRefunded: 1000 }),
        {
          created: BASE_TIME + 2 * DAY,
        },
      ),
    );

    const [listed] = await paymentHistory(customer.tenantId);
    expect(listed?.amountRefunded).toBe(1000);
    expect(listed?.refunds).toEqual([
      {
        refundId: refund.id,
        amount: 1000,
        status: 'succeeded',
        reason: 'charged twice',
        createdAt: new Date((BASE_TIME + 2 * DAY) * 1000).toISOString(),
      },
    ]);
    const issued = (await outboxEventsOf(stack.db, stack.tableName, customer.tenantId)).filter(
      (e) => e.detailType === 'Refund Issued v1',
    );
    expect(issued.map((e) => e.detail)).toEqual([
      expect.objectContaining({
        refundId: refund.id,
        chargeId,
        refundAmount: { amount: 1000, currency: 'usd' },
        reason: 'charged twice',
        plan: 'team',
        status: 'active',
      }),
    ]);
  });

  it('mirrors a dashboard refund that succeeds later, with one Refund Issued', async () => {
    const customer = await subscribedCustomer(teamMonth);
    const chargeId = stripeId('ch');
    await paidInvoice(customer, chargeId);
    const pending = refundObject({
      charge: chargeId,
      customer: customer.customer,
      amount: 3190,
      status: 'pending',
      created: BASE_TIME + 3 * DAY,
    });
    await send(stripeEvent('refund.created', pending, { created: BASE_TIME + 3 * DAY }));
    await send(
      stripeEvent(
        'charge.refund.updated',
        { ...pending, status: 'succeeded' },
        { created: BASE_TIME + 4 * DAY },
      ),
    );
    await send(
      stripeEvent('refund.updated', { ...pending, status: 'succeeded' }, { created: BASE_TIME + 4 * DAY }),
    );

    expect((await paymentHistory(customer.tenantId))[0]).toMatchObject({
      amountRefunded: 3190,
      refunds: [expect.objectContaining({ refundId: pending.id, status: 'succeeded', reason: null })],
    });
    expect((await outboxTypes(customer.tenantId)).filter((t) => t === 'Refund Issued v1')).toHaveLength(1);
  });

  it('stops counting a refund that fails later', async () => {
    const customer = await subscribedCustomer(teamMonth);
    const chargeId = stripeId('ch');
    await paidInvoice(customer, chargeId);
    const refund = refundObject({
      charge: chargeId,
      customer: customer.customer,
      amount: 500,
      status: 'succeeded',
      created: BASE_TIME + 2 * DAY,
    });
    await send(stripeEvent('refund.created', refund, { created: BASE_TIME + 2 * DAY }));
    await send(
      stripeEvent(
        'charge.refunded',
        chargeObject({ id: chargeId, customer: customer.customer, amount: 3190, amountRefunded: 500 }),
        {
          created: BASE_TIME + 2 * DAY,
        },
      ),
    );
    await send(
      stripeEvent('charge.refund.updated', { ...refund, status: 'failed' }, { created: BASE_TIME + 5 * DAY }),
    );

    expect((await paymentHistory(customer.tenantId))[0]).toMatchObject({
      amountRefunded: 0,
      refunds: [expect.objectContaining({ refundId: refund.id, status: 'failed' })],
    });
  });

  it('takes the refunded total from charge.refunded before the refund itself is known', async () => {
    const customer = await subscribedCustomer(teamMonth);
    const chargeId = stripeId('ch');
    await paidInvoice(customer, chargeId);
    await send(
      stripeEvent(
        'charge.refunded',
        chargeObject({ id: chargeId, customer: customer.customer, amount: 3190, amountRefunded: 700 }),
        {
          created: BASE_TIME + 2 * DAY,
        },
      ),
    );
    expect((await paymentHistory(customer.tenantId))[0]).toMatchObject({ amountRefunded: 700, refunds: [] });
  });

  it('answers 5xx to a refund that arrives before its invoice, stores nothing, and applies it on retry once the invoice lands', async () => {
    const customer = await subscribedCustomer(teamMonth);
    const chargeId = stripeId('ch');
    const refund = refundObject({
      charge: chargeId,
      customer: customer.customer,
      amount: 500,
      status: 'succeeded',
      created: BASE_TIME + 2 * DAY,
    });
    const early = stripeEvent('refund.created', refund, { created: BASE_TIME + 2 * DAY });
    const before = await countItems(stack.db, stack.tableName);

    const counted = vi.spyOn(metrics, 'addMetric').mockReturnValue(metrics);
    const first = await send(early);
    expect(first.status).toBe(503);
    expect(await countItems(stack.db, stack.tableName)).toBe(before);
    // Counted as deferred (its own alarm, after hours), not as a failure.
    expect(counted.mock.calls.map(([name]) => name)).toEqual(['StripeEventsDeferred']);
    counted.mockRestore();

    await paidInvoice(customer, chargeId);
    // Stripe's retry of the same event.
    expect((await send(early)).body.outcome).toBe('applied');
    expect((await paymentHistory(customer.tenantId))[0]).toMatchObject({
      chargeId,
      amountRefunded: 500,
      refunds: [{ refundId: refund.id, amount: 500, status: 'succeeded' }],
    });
    expect(await outboxTypes(customer.tenantId)).toContain('Refund Issued v1');
  });

  it('answers 5xx to charge.refunded before the invoice its charge paid, and applies it on retry', async () => {
    const customer = await subscribedCustomer(teamMonth);
    const chargeId = stripeId('ch');
    const early = stripeEvent(
      'charge.refunded',
      chargeObject({ id: chargeId, customer: customer.customer, amount: 3190, amountRefunded: 3190 }),
      { created: BASE_TIME + 2 * DAY },
    );
    expect((await send(early)).status).toBe(503);
    await paidInvoice(customer, chargeId);
    expect((await send(early)).body.outcome).toBe('applied');
    expect((await paymentHistory(customer.tenantId))[0]).toMatchObject({ chargeId, amountRefunded: 3190 });
  });

  it('acknowledges a refund of a customer no tenant owns and stores nothing', async () => {
    const before = await countItems(stack.db, stack.tableName);
    const refund = refundObject({
      charge: stripeId('ch'),
      customer: stripeId('cus'),
      amount: 100,
      status: 'succeeded',
    });
    expect((await send(stripeEvent('refund.created', refund))).body.outcome).toBe('skipped');
    expect(await countItems(stack.db, stack.tableName)).toBe(before);
  });
});

describe('renewal reminders', () => {
  it('writes Renewal Upcoming for an annual plan', async () => {
    const customer = await subscribedCustomer(teamYear);
    const upcoming = upcomingInvoiceObject({
      customer: customer.customer,
      subscription: customer.subscriptionId,
      subtotal: 29_000,
      tax: 2900,
      nextPaymentAttempt: BASE_TIME + 364 * DAY,
    });
    await send(stripeEvent('invoice.upcoming', upcoming, { created: BASE_TIME + 357 * DAY }));
    const reminder = (await outboxEventsOf(stack.db, stack.tableName, customer.tenantId)).find(
      (e) => e.detailType === 'Renewal Upcoming v1',
    );
    expect(reminder?.detail).toMatchObject({
      plan: 'team',
      interval: 'year',
      invoiceAmount: { amount: 31_900, currency: 'usd' },
      amount: { amount: 2417, currency: 'usd' },
    });
  });

  it('writes no reminder for a monthly plan', async () => {
    const customer = await subscribedCustomer(teamMonth);
    const upcoming = upcomingInvoiceObject({
      customer: customer.customer,
      subscription: customer.subscriptionId,
      subtotal: 2900,
      nextPaymentAttempt: BASE_TIME + 30 * DAY,
    });
    expect((await send(stripeEvent('invoice.upcoming', upcoming))).status).toBe(200);
    expect(await outboxTypes(customer.tenantId)).not.toContain('Renewal Upcoming v1');
  });
});
