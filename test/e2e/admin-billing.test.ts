import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keys } from '#shared/db/keys.ts';
import { newId } from '#shared/ids.ts';
import { localPriceIds } from '../../scripts/local/stripe.ts';
import {
  api,
  createTestStack,
  type LocalServer,
  signUpOperator,
  signUpUser,
  startTestServer,
  type TestStack,
  type TestUser,
} from '../support/harness.ts';
import { startTestRunner, type TestRunner } from '../support/runner.ts';
import {
  couponObject,
  DAY,
  discountObject,
  outboxEventsOf,
  readStoredItem,
  signedDelivery,
  stripeEvent,
  stripeId,
  subscriptionObject,
  type TestPrice,
} from '../support/stripe-events.ts';

/**
 * The operators' billing adjustments over HTTP against the local server: outbound calls go to
 * stripe-mock (which accepts them and answers fixed objects), Stripe's side of the story arrives as
 * signed webhooks on `POST /webhooks/stripe`, and the runner carries the outbox to the movements
 * consumer, so a comp is seen from the operator's call to the MRR movement it makes.
 */

const team: TestPrice = { id: localPriceIds.team.month, unitAmount: 2900, interval: 'month' };

let stack: TestStack;
let server: LocalServer;
let runner: TestRunner;
let finance: TestUser;
let support: TestUser;
let owner: TestUser;
/** Subscribed through signed webhooks; its customer is mapped. */
let tenantId: string;
let customer: string;
let subscription: string;
/** A tenant that never went to checkout: no Stripe customer. */
let freeTenantId: string;
const start = Math.floor(Date.now() / 1000);
let clock = start;

async function webhook(type: string, object: Record<string, unknown>) {
  const event = stripeEvent(type, object, { created: ++clock });
  const { body, signature } = signedDelivery(event, stack.stripeWebhookSecret);
  const response = await fetch(`${server.url}/webhooks/stripe`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'stripe-signature': signature },
    body,
  });
  expect(response.status, `${type}: ${await response.clone().text()}`).toBe(200);
  await runner.drain();
}

const sub = (extra: Partial<Parameters<typeof subscriptionObject>[0]> = {}) =>
  subscriptionObject({
    id: subscription,
    customer,
    tenantId,
    price: team,
    status: 'active',
    created: start,
    ...extra,
  });

async function auditOf(id: string, action: string) {
  const range = keys.auditRange(id);
  const { Items = [] } = await stack.db.send(
    new QueryCommand({
      TableName: stack.tableName,
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: { ':pk': range.pk, ':from': range.skFrom, ':to': range.skTo },
    }),
  );
  return Items.filter((item) => item.action === action);
}

async function platformAuditOf(action: string) {
  const { Items = [] } = await stack.db.send(
    new QueryCommand({
      TableName: stack.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': keys.platformAuditEntry('', '').pk },
      ConsistentRead: true,
    }),
  );
  return Items.filter((item) => item.action === action);
}

const as = (user: TestUser) => api(server, user.accessToken);
const path = (id: string, what: string) => `/admin/tenants/${id}/${what}`;

beforeAll(async () => {
  stack = await createTestStack();
  server = await startTestServer(stack);
  runner = await startTestRunner(stack);
  [finance, support, owner] = await Promise.all([
    signUpOperator(stack, ['finance']),
    signUpOperator(stack, ['support']),
    signUpUser(stack),
  ]);
  const client = as(owner);
  tenantId = (await client.post('/v1/tenants', { name: 'Comped', slug: 'comped' })).body.tenantId;
  freeTenantId = (await client.post('/v1/tenants', { name: 'Free', slug: 'free-one' })).body.tenantId;
  customer = stripeId('cus');
  subscription = stripeId('sub');
  await stack.db.send(
    new PutCommand({
      TableName: stack.tableName,
      Item: { ...keys.stripeCustomer(customer), type: 'stripe-customer', customerId: customer, tenantId },
    }),
  );
  await webhook('customer.subscription.created', sub());
}, 120_000);
afterAll(async () => {
  await runner?.stop();
  await server?.close();
});

describe('GET /admin/tenants/{tenantId}/billing', () => {
  it("shows a finance operator the tenant's mirrored subscription", async () => {
    const response = await as(finance).get(path(tenantId, 'billing'));
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      tenantId,
      subscription: {
        plan: 'team',
        status: 'active',
        customerId: customer,
        subscriptionId: subscription,
        monthlyAmount: { amount: 2900, currency: 'usd' },
        comp: null,
      },
      invoices: [],
      refunds: [],
      disputes: [],
    });
  });

  it('lists invoices with their refunds, newest first', async () => {
    const other = (await as(owner).post('/v1/tenants', { name: 'Paid', slug: 'paid-one' })).body.tenantId;
    const invoice = {
      invoiceId: 'in_admin1',
      number: 'A-1',
      status: 'paid',
      currency: 'usd',
      amountDue: 2900,
      amountPaid: 2900,
      tax: 0,
      total: 2900,
      createdAt: '2026-03-01T00:00:00.000Z',
      paidAt: '2026-03-01T00:00:00.000Z',
      hostedInvoiceUrl: null,
      chargeId: 'ch_admin1',
      amountRefunded: 500,
      refunds: [
        {
          refundId: 're_admin1',
          amount: 500,
          status: 'succeeded',
          reason: null,
          createdAt: '2026-03-02T00:00:00.000Z',
        },
      ],
    };
    await stack.db.send(
      new PutCommand({
        TableName: stack.tableName,
        Item: {
          ...keys.invoice(other, invoice.createdAt, invoice.invoiceId),
          type: 'invoice',
          tenantId: other,
          ...invoice,
          version: 1,
        },
      }),
    );
    const response = await as(finance).get(path(other, 'billing'));
    expect(response.body.invoices).toEqual([
      expect.objectContaining({ invoiceId: 'in_admin1', amountRefunded: 500 }),
    ]);
    expect(response.body.refunds).toEqual([
      expect.objectContaining({
        refundId: 're_admin1',
        invoiceId: 'in_admin1',
        chargeId: 'ch_admin1',
        amount: 500,
      }),
    ]);
  });

  it('lets a support operator read it too', async () => {
    expect((await as(support).get(path(tenantId, 'billing'))).status).toBe(200);
  });

  it("refuses the tenant's own owner with 403", async () => {
    expect((await as(owner).get(path(tenantId, 'billing'))).status).toBe(403);
  });

  it('answers 404 for a tenant that does not exist', async () => {
    expect((await as(finance).get(path(newId(), 'billing'))).status).toBe(404);
  });
});

describe('POST /admin/tenants/{tenantId}/credits', () => {
  it('credits the customer balance at Stripe, lists the credit and changes no MRR', async () => {
    const outboxBefore = await outboxEventsOf(stack.db, stack.tableName, tenantId);
    const response = await as(finance).post(path(tenantId, 'credits'), {
      amount: 1500,
      reason: 'Outage on 3 March',
    });
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({
      creditId: expect.stringMatching(/^cbtxn_/),
      reason: 'Outage on 3 March',
      operatorId: finance.userId,
    });

    const view = await as(finance).get(path(tenantId, 'billing'));
    expect(view.body.credits).toEqual([expect.objectContaining({ creditId: response.body.creditId })]);
    expect(view.body.subscription.monthlyAmount).toEqual({ amount: 2900, currency: 'usd' });
    expect(await outboxEventsOf(stack.db, stack.tableName, tenantId)).toEqual(outboxBefore);
  });

  it("audits the credit in the platform log and the tenant's, with the operator and the reason", async () => {
    const platform = await platformAuditOf('billing.credit-created');
    expect(platform).toContainEqual(
      expect.objectContaining({ operatorId: finance.userId, tenantId, reason: 'Outage on 3 March' }),
    );
    expect(await auditOf(tenantId, 'billing.credit-created')).toContainEqual(
      expect.objectContaining({
        actor: { userId: finance.userId, kind: 'support' },
        target: { type: 'customer', id: customer },
        reason: 'Outage on 3 March',
      }),
    );
  });

  it('answers 409 for a tenant without a Stripe customer and writes nothing', async () => {
    const response = await as(finance).post(path(freeTenantId, 'credits'), {
      amount: 100,
      reason: 'Goodwill',
    });
    expect(response.status).toBe(409);
    expect(await auditOf(freeTenantId, 'billing.credit-created')).toEqual([]);
  });

  it.each([
    ['a zero amount', { amount: 0, reason: 'Goodwill' }, 'body.amount'],
    ['no reason', { amount: 100 }, 'body.reason'],
    ['an amount in decimals', { amount: 1.5, reason: 'Goodwill' }, 'body.amount'],
  ])('rejects %s with a 400 naming the field', async (_name, body, field) => {
    const response = await as(finance).post(path(tenantId, 'credits'), body);
    expect(response.status).toBe(400);
    expect(response.body.errors).toContainEqual(expect.objectContaining({ field }));
  });

  it('refuses a support operator with 403', async () => {
    const response = await as(support).post(path(tenantId, 'credits'), { amount: 100, reason: 'Goodwill' });
    expect(response.status).toBe(403);
  });

  it('refuses a customer with 403', async () => {
    const response = await as(owner).post(path(tenantId, 'credits'), { amount: 100, reason: 'Goodwill' });
    expect(response.status).toBe(403);
  });

  it('answers 404 for a tenant that does not exist', async () => {
    const response = await as(finance).post(path(newId(), 'credits'), { amount: 100, reason: 'Goodwill' });
    expect(response.status).toBe(404);
  });
});

describe('POST /admin/tenants/{tenantId}/comps', () => {
  const until = new Date((start + 60 * DAY) * 1000).toISOString().slice(0, 10);

  it('comps the subscription at Stripe and leaves the mirror to the webhook', async () => {
    const response = await as(finance).post(path(tenantId, 'comps'), { until, reason: 'Design partner' });
    expect(response.status).toBe(202);
    expect(response.body).toMatchObject({ subscriptionId: subscription, plan: 'team', mirror: 'pending' });
    const view = await as(finance).get(path(tenantId, 'billing'));
    expect(view.body.subscription).toMatchObject({ comp: null, monthlyAmount: { amount: 2900 } });
  });

  it("audits the comp in the platform log and the tenant's", async () => {
    expect(await platformAuditOf('billing.comp-granted')).toContainEqual(
      expect.objectContaining({ operatorId: finance.userId, tenantId, reason: 'Design partner' }),
    );
    expect(await auditOf(tenantId, 'billing.comp-granted')).toContainEqual(
      expect.objectContaining({
        actor: { userId: finance.userId, kind: 'support' },
        reason: 'Design partner',
      }),
    );
  });

  it("mirrors the comp when Stripe's webhook says so and records a comp movement, not churn", async () => {
    const coupon = {
      ...couponObject({ percentOff: 100, duration: 'repeating' }),
      metadata: { plinthComp: 'true', tenantId },
    };
    const discount = discountObject({ coupon, subscription, customer, end: start + 60 * DAY });
    await webhook('customer.subscription.updated', sub({ discounts: [discount] }));

    const view = await as(finance).get(path(tenantId, 'billing'));
    expect(view.body.subscription).toMatchObject({
      status: 'active',
      monthlyAmount: { amount: 0 },
      comp: { discountId: discount.id, regularMonthlyAmount: { amount: 2900, currency: 'usd' } },
    });
    const month = new Date(clock * 1000).toISOString().slice(0, 7);
    const comps = await as(finance).get(`/admin/metrics/movements?month=${month}&type=comp`);
    expect(comps.body.items).toEqual([expect.objectContaining({ tenantId, type: 'comp', delta: -2900 })]);
    const churn = await as(finance).get(`/admin/metrics/movements?month=${month}&type=churn`);
    expect(churn.body.items).toEqual([]);

    await webhook('customer.discount.deleted', discount);
    const ended = await as(finance).get(path(tenantId, 'billing'));
    expect(ended.body.subscription).toMatchObject({ comp: null, monthlyAmount: { amount: 2900 } });
    const compEnds = await as(finance).get(`/admin/metrics/movements?month=${month}&type=comp_end`);
    expect(compEnds.body.items).toEqual([expect.objectContaining({ tenantId, delta: 2900 })]);
  });

  it('rejects a date in the past with a 400 naming the field', async () => {
    const response = await as(finance).post(path(tenantId, 'comps'), {
      until: '2020-01-01',
      reason: 'Partner',
    });
    expect(response.status).toBe(400);
    expect(response.body.errors).toContainEqual(expect.objectContaining({ field: 'body.until' }));
  });

  it('rejects an unknown plan with a 400 naming the field', async () => {
    const response = await as(finance).post(path(tenantId, 'comps'), {
      until,
      plan: 'gold',
      reason: 'Partner',
    });
    expect(response.status).toBe(400);
    expect(response.body.errors).toContainEqual(expect.objectContaining({ field: 'body.plan' }));
  });

  it('answers 409 for a tenant without a subscription', async () => {
    const response = await as(finance).post(path(freeTenantId, 'comps'), { until, reason: 'Partner' });
    expect(response.status).toBe(409);
  });

  it('refuses a support operator with 403', async () => {
    expect((await as(support).post(path(tenantId, 'comps'), { until, reason: 'Partner' })).status).toBe(403);
  });

  it('answers 404 for a tenant that does not exist', async () => {
    expect((await as(finance).post(path(newId(), 'comps'), { until, reason: 'Partner' })).status).toBe(404);
  });
});

describe('POST /admin/tenants/{tenantId}/cancellation', () => {
  it('schedules the cancellation at Stripe and audits it; the mirror follows the webhook', async () => {
    const response = await as(finance).post(path(tenantId, 'cancellation'), {
      atPeriodEnd: true,
      reason: 'Asked by phone',
    });
    expect(response.status).toBe(202);
    expect(response.body).toMatchObject({
      subscriptionId: subscription,
      atPeriodEnd: true,
      mirror: 'pending',
    });
    expect(await auditOf(tenantId, 'billing.cancellation-scheduled')).toContainEqual(
      expect.objectContaining({
        actor: { userId: finance.userId, kind: 'support' },
        reason: 'Asked by phone',
      }),
    );
    expect(await platformAuditOf('billing.cancellation-scheduled')).toContainEqual(
      expect.objectContaining({ operatorId: finance.userId, tenantId }),
    );

    await webhook('customer.subscription.updated', sub({ cancelAtPeriodEnd: true }));
    const view = await as(finance).get(path(tenantId, 'billing'));
    expect(view.body.subscription).toMatchObject({ status: 'active', cancelAtPeriodEnd: true });
  });

  it('cancels now at Stripe', async () => {
    const response = await as(finance).post(path(tenantId, 'cancellation'), {
      atPeriodEnd: false,
      reason: 'Fraud',
    });
    expect(response.status).toBe(202);
    expect(await auditOf(tenantId, 'billing.subscription-canceled')).toHaveLength(1);
  });

  it('rejects a body without atPeriodEnd with a 400 naming the field', async () => {
    const response = await as(finance).post(path(tenantId, 'cancellation'), { reason: 'Fraud' });
    expect(response.status).toBe(400);
    expect(response.body.errors).toContainEqual(expect.objectContaining({ field: 'body.atPeriodEnd' }));
  });

  it('refuses a customer with 403', async () => {
    const response = await as(owner).post(path(tenantId, 'cancellation'), {
      atPeriodEnd: true,
      reason: 'Bye',
    });
    expect(response.status).toBe(403);
  });

  it('refuses a support operator with 403', async () => {
    const response = await as(support).post(path(tenantId, 'cancellation'), {
      atPeriodEnd: true,
      reason: 'Bye',
    });
    expect(response.status).toBe(403);
  });

  it('answers 404 for a tenant that does not exist', async () => {
    const response = await as(finance).post(path(newId(), 'cancellation'), {
      atPeriodEnd: true,
      reason: 'Bye',
    });
    expect(response.status).toBe(404);
  });
});

it('keeps the billing item untouched by an operator call: only webhooks write it', async () => {
  const before = await readStoredItem(stack.db, stack.tableName, keys.billing(tenantId));
  await as(finance).post(path(tenantId, 'credits'), { amount: 300, reason: 'Another goodwill credit' });
  expect(await readStoredItem(stack.db, stack.tableName, keys.billing(tenantId))).toEqual(before);
});
