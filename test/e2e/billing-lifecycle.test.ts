import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keys } from '#shared/db/keys.ts';
import { localPriceIds } from '../../scripts/local/stripe.ts';
import {
  api,
  createTestStack,
  type LocalServer,
  readSentEmails,
  signUpOperator,
  signUpUser,
  startTestServer,
  type TestStack,
  type TestUser,
} from '../support/harness.ts';
import { startTestRunner, type TestRunner } from '../support/runner.ts';
import {
  chargeObject,
  checkoutSessionObject,
  DAY,
  invoiceObject,
  refundObject,
  signedDelivery,
  stripeEvent,
  stripeId,
  subscriptionObject,
  type TestPrice,
} from '../support/stripe-events.ts';

/**
 * A tenant's whole billing life over HTTP: checkout completed → active → upgrade with proration →
 * payment failed → past due → grace expires → restricted → invoice paid → active → refund →
 * cancel at period end → deleted → free plan. Outbound calls go to stripe-mock; Stripe's side of
 * the story arrives as signed webhooks on the local server's `POST /webhooks/stripe`; the runner
 * carries outbox events to the bus and the notification consumer; the dunning sweep is triggered
 * as its schedule would.
 */

const team: TestPrice = { id: localPriceIds.team.month, unitAmount: 2900, interval: 'month' };
const business: TestPrice = { id: localPriceIds.business.month, unitAmount: 9900, interval: 'month' };

let stack: TestStack;
let server: LocalServer;
let runner: TestRunner;
let owner: TestUser;
let operator: TestUser;
let tenantId: string;
let base: string;
let customer: string;
const subscription = stripeId('sub');
/** Event times move forward from now, so the grace period is measured from "now" too. */
const start = Math.floor(Date.now() / 1000);
let clock = start;
const next = () => ++clock;

async function webhook(type: string, object: Record<string, unknown>, created = next()) {
  const event = stripeEvent(type, object, { created });
  const { body, signature } = signedDelivery(event, stack.stripeWebhookSecret);
  const response = await fetch(`${server.url}/webhooks/stripe`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'stripe-signature': signature },
    body,
  });
  expect(response.status, `${type}: ${await response.clone().text()}`).toBe(200);
  await runner.drain();
  return event;
}

const sub = (price: TestPrice, status: Parameters<typeof subscriptionObject>[0]['status'], extra = {}) =>
  subscriptionObject({ id: subscription, customer, tenantId, price, status, created: start, ...extra });

async function billing() {
  const response = await api(server, owner.accessToken).get(`${base}/billing`);
  expect(response.status).toBe(200);
  return response.body;
}

async function publishedTypes(): Promise<string[]> {
  return (await runner.published()).map((e) => e['detail-type']);
}

beforeAll(async () => {
  stack = await createTestStack();
  server = await startTestServer(stack);
  runner = await startTestRunner(stack);
  owner = await signUpUser(stack);
  operator = await signUpOperator(stack);
  const tenant = await api(server, owner.accessToken).post('/v1/tenants', {
    name: 'Lifecycle',
    slug: 'lifecycle',
  });
  tenantId = tenant.body.tenantId;
  base = `/v1/tenants/${tenantId}`;
});
afterAll(async () => {
  await runner.stop();
  await server.close();
});

describe('the billing lifecycle of a tenant', () => {
  it('starts on the free plan', async () => {
    expect(await billing()).toMatchObject({ plan: 'free', effectivePlan: 'free', status: 'none' });
  });

  it('subscribes through Checkout and becomes active when Stripe says so', async () => {
    const checkout = await api(server, owner.accessToken).post(`${base}/billing/checkout`, {
      plan: 'team',
      interval: 'month',
    });
    expect(checkout.status).toBe(201);
    expect(checkout.body.url).toEqual(expect.any(String));
    const item = await stack.db.send(
      new GetCommand({ TableName: stack.tableName, Key: keys.billing(tenantId) }),
    );
    customer = item.Item?.customerId;
    expect(customer).toMatch(/^cus_/);

    await webhook(
      'checkout.session.completed',
      checkoutSessionObject({ customer, subscription, tenantId, created: next() }),
    );
    await webhook('customer.subscription.created', sub(team, 'active'));

    expect(await billing()).toMatchObject({
      plan: 'team',
      effectivePlan: 'team',
      status: 'active',
      interval: 'month',
    });
    expect(await publishedTypes()).toContain('Subscription Started v1');
  });

  it('previews an upgrade, applies it with the same proration date, and mirrors the new plan', async () => {
    const client = api(server, owner.accessToken);
    const preview = await client.post(`${base}/billing/change/preview`, {
      plan: 'business',
      interval: 'month',
    });
    expect(preview.status).toBe(200);
    expect(preview.body).toMatchObject({ kind: 'upgrade', effective: 'now' });

    const applied = await client.post(`${base}/billing/change`, {
      plan: 'business',
      interval: 'month',
      prorationDate: preview.body.prorationDate,
    });
    expect(applied.status).toBe(200);
    await webhook('customer.subscription.updated', sub(business, 'active'));

    expect(await billing()).toMatchObject({ plan: 'business', status: 'active' });
    const changed = (await runner.published()).find((e) => e['detail-type'] === 'Subscription Changed v1');
    expect(changed?.detail).toMatchObject({
      amount: { amount: 9900, currency: 'usd' },
      previousAmount: { amount: 2900, currency: 'usd' },
    });
  });

  it('goes past due on a failed payment, emails the owner, and keeps full access during grace', async () => {
    const failed = invoiceObject({
      customer,
      subscription,
      tenantId,
      status: 'open',
      subtotal: 9900,
      attemptCount: 1,
      created: next(),
    });
    await webhook('invoice.payment_failed', failed);
    await webhook('customer.subscription.updated', sub(business, 'past_due'));

    expect(await billing()).toMatchObject({ status: 'past_due', restricted: false });
    expect((await readSentEmails(stack)).some((m) => m.to.includes(owner.email))).toBe(true);
    expect(await publishedTypes()).toEqual(
      expect.arrayContaining(['Payment Failed v1', 'Subscription Past Due v1']),
    );
    const project = await api(server, owner.accessToken).post(`${base}/projects`, {
      name: 'Grace',
      slug: 'grace',
    });
    expect(project.status).toBe(201);
  });

  it('restricts writes once the grace period is over, but keeps reads and billing open', async () => {
    await runner.triggerSchedule('dunning-sweep', new Date((start + 8 * DAY) * 1000));
    await runner.drain();
    const client = api(server, owner.accessToken);

    expect(await billing()).toMatchObject({ status: 'past_due', restricted: true });
    const write = await client.post(`${base}/projects`, { name: 'Blocked', slug: 'blocked' });
    expect(write.status).toBe(402);
    expect(write.body.detail).toMatch(/payment/i);
    expect((await client.get(`${base}/projects`)).status).toBe(200);
    expect((await client.post(`${base}/billing/portal`, {})).status).toBe(201);
    expect(await publishedTypes()).toContain('Subscription Restricted v1');
  });

  const charge = stripeId('ch');

  it('recovers everything at once when the invoice is paid', async () => {
    await webhook(
      'invoice.paid',
      invoiceObject({
        customer,
        subscription,
        tenantId,
        status: 'paid',
        subtotal: 9900,
        tax: 990,
        attemptCount: 2,
        created: next(),
        paidAt: clock,
        paidByCharge: charge,
      }),
    );
    await webhook('customer.subscription.updated', sub(business, 'active'));

    expect(await billing()).toMatchObject({ status: 'active', restricted: false, pastDueSince: null });
    const project = await api(server, owner.accessToken).post(`${base}/projects`, {
      name: 'Back',
      slug: 'back',
    });
    expect(project.status).toBe(201);
    expect(await publishedTypes()).toEqual(
      expect.arrayContaining(['Invoice Paid v1', 'Subscription Reactivated v1']),
    );
    const invoices = await api(server, owner.accessToken).get(`${base}/billing/invoices`);
    expect(invoices.body.items).toEqual(
      expect.arrayContaining([expect.objectContaining({ status: 'paid', tax: 990, chargeId: charge })]),
    );
  });

  it('lets a platform admin refund part of the payment, audited, and mirrors the refund', async () => {
    const refund = await api(server, operator.accessToken).post(`/admin/tenants/${tenantId}/refunds`, {
      chargeId: charge,
      amount: 1000,
      reason: 'Goodwill after the failed payment',
    });
    expect(refund.status).toBe(201);
    expect(
      (
        await api(server, owner.accessToken).post(`/admin/tenants/${tenantId}/refunds`, {
          chargeId: charge,
          reason: 'Not an operator',
        })
      ).status,
    ).toBe(403);

    const refundId = stripeId('re');
    await webhook(
      'charge.refunded',
      chargeObject({ id: charge, customer, amount: 10890, amountRefunded: 1000, created: next() }),
    );
    await webhook(
      'charge.refund.updated',
      refundObject({ id: refundId, charge, customer, amount: 1000, status: 'succeeded', created: next() }),
    );

    const invoices = await api(server, owner.accessToken).get(`${base}/billing/invoices`);
    const paid = invoices.body.items.find((i: { chargeId: string | null }) => i.chargeId === charge);
    expect(paid).toMatchObject({ amountRefunded: 1000 });
    expect(await publishedTypes()).toContain('Refund Issued v1');
    const audit = await api(server, owner.accessToken).get(`${base}/audit-log?action=billing.refund-created`);
    expect(audit.body.items[0]).toMatchObject({
      actor: { userId: operator.userId },
      after: expect.objectContaining({ amount: 1000 }),
    });
  });

  it('cancels at the period end, then drops to the free plan when the subscription is deleted', async () => {
    const cancel = await api(server, owner.accessToken).post(`${base}/billing/cancel`);
    expect(cancel.status).toBe(200);
    await webhook('customer.subscription.updated', sub(business, 'active', { cancelAtPeriodEnd: true }));
    expect(await billing()).toMatchObject({
      status: 'active',
      cancelAtPeriodEnd: true,
      effectivePlan: 'business',
    });

    await webhook('customer.subscription.deleted', sub(business, 'canceled', { cancelAtPeriodEnd: true }));

    expect(await billing()).toMatchObject({
      status: 'canceled',
      effectivePlan: 'free',
      entitlements: { projects: 3 },
    });
    expect(await publishedTypes()).toContain('Subscription Canceled v1');
    // Data is kept: the projects made on the paid plan are still there.
    expect((await api(server, owner.accessToken).get(`${base}/projects`)).body.items).toHaveLength(2);
  });
});
