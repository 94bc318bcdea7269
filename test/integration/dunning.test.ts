import { randomUUID } from 'node:crypto';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { runDunningSweep } from '#shared/billing/dunning.ts';
import { plans } from '#shared/billing/plans.ts';
import type { Db } from '#shared/db/client.ts';
import { keys } from '#shared/db/keys.ts';
import { PaymentRequiredError } from '#shared/http/errors.ts';
import { newId } from '#shared/ids.ts';
import { memberItem } from '#shared/members/members.records.ts';
import { eventMetricNames } from '#shared/observability/metric-names.ts';
import { authorize, createTenancy } from '#shared/tenancy/tenant-context.ts';
import { createLambdaContext } from '../../scripts/local/lambda-context.ts';
import { localPriceIds } from '../../scripts/local/stripe.ts';
import { createTestStack, type TestStack } from '../support/harness.ts';
import {
  BASE_TIME,
  DAY,
  deliver,
  invoiceObject,
  outboxEventsOf,
  readStoredItem,
  type StripeWebhookHandler,
  stripeEvent,
  stripeId,
  subscriptionObject,
} from '../support/stripe-events.ts';

let stack: TestStack;
let metrics: typeof import('#shared/observability/metrics.ts')['metrics'];
let db: Db;
let webhook: StripeWebhookHandler;
let sweep: (event: { time: string }) => Promise<{ due: number; restricted: number; skipped: number }>;

beforeAll(async () => {
  stack = await createTestStack();
  db = { client: stack.db, tableName: stack.tableName };
  Object.assign(process.env, stack.env);
  // After the environment: the emitter and its logger read it once, at import.
  ({ metrics } = await import('#shared/observability/metrics.ts'));
  ({ handler: webhook } = await import('#functions/stripe-webhook/handler.ts'));
  const scheduled = await import('#functions/dunning-sweep/handler.ts');
  sweep = (event) =>
    scheduled.handler(
      event,
      createLambdaContext('dunning-sweep', { region: 'us-east-1', timeoutMs: 60_000, memoryMb: 256 }),
    );
});

const teamMonth = { id: localPriceIds.team.month, unitAmount: 2900, interval: 'month' as const };
const iso = (seconds: number) => new Date(seconds * 1000).toISOString();
const request = { requestId: 'req-dunning', sourceIp: '203.0.113.9' };

interface PayingTenant {
  readonly tenantId: string;
  readonly ownerId: string;
  readonly customer: string;
  readonly subscription: ReturnType<typeof subscriptionObject>;
}

/** A tenant with an owner and an active Team subscription applied at BASE_TIME. */
async function payingTenant(): Promise<PayingTenant> {
  const tenantId = newId();
  const ownerId = randomUUID();
  const customer = stripeId('cus');
  const at = iso(BASE_TIME - DAY);
  await stack.db.send(
    new PutCommand({
      TableName: stack.tableName,
      Item: {
        ...keys.tenant(tenantId),
        type: 'tenant',
        tenantId,
        name: 'Acme',
        slug: `acme-${tenantId}`,
        status: 'active',
        createdAt: at,
        updatedAt: at,
        createdBy: ownerId,
        ownerCount: 1,
        memberCount: 1,
      },
    }),
  );
  await stack.db.send(
    new PutCommand({
      TableName: stack.tableName,
      Item: memberItem({
        tenantId,
        userId: ownerId,
        email: `owner-${tenantId}@example.com`,
        role: 'owner',
        status: 'active',
        joinedAt: at,
        updatedAt: at,
      }),
    }),
  );
  await stack.db.send(
    new PutCommand({
      TableName: stack.tableName,
      Item: { ...keys.stripeCustomer(customer), type: 'stripe-customer', customerId: customer, tenantId },
    }),
  );
  const subscription = subscriptionObject({ customer, tenantId, status: 'active', price: teamMonth });
  const reply = await deliver(
    webhook,
    stripeEvent('customer.subscription.created', subscription, { created: BASE_TIME }),
    stack.stripeWebhookSecret,
  );
  expect(reply.body.outcome).toBe('applied');
  return { tenantId, ownerId, customer, subscription };
}

function invoiceEvent(
  tenant: PayingTenant,
  type: 'invoice.payment_failed' | 'invoice.paid',
  created: number,
  id?: string,
) {
  const invoice = invoiceObject({
    ...(id ? { id } : {}),
    customer: tenant.customer,
    subscription: tenant.subscription.id,
    tenantId: tenant.tenantId,
    status: type === 'invoice.paid' ? 'paid' : 'open',
    subtotal: 2900,
    created: BASE_TIME + DAY,
    ...(type === 'invoice.paid' ? { paidAt: created, paidByCharge: stripeId('ch') } : {}),
  });
  return stripeEvent(type, invoice, { created });
}

const billingOf = (tenantId: string) => readStoredItem(stack.db, stack.tableName, keys.billing(tenantId));
const typesOf = async (tenantId: string) =>
  (await outboxEventsOf(stack.db, stack.tableName, tenantId)).map((e) => e.detailType);
const contextOf = (tenant: PayingTenant) =>
  createTenancy({ db }).resolve(
    { userId: tenant.ownerId, groups: [], platformAdmin: false },
    tenant.tenantId,
    request,
  );

describe('failed payments and the grace period', () => {
  it('moves the tenant to past due with a grace period from the failure time', async () => {
    const tenant = await payingTenant();
    const failedAt = BASE_TIME + DAY;
    await deliver(
      webhook,
      invoiceEvent(tenant, 'invoice.payment_failed', failedAt),
      stack.stripeWebhookSecret,
    );

    expect(await billingOf(tenant.tenantId)).toMatchObject({
      status: 'past_due',
      pastDueSince: iso(failedAt),
      graceEndsAt: iso(failedAt + 7 * DAY),
      restricted: false,
      ...keys.dunning(tenant.tenantId, iso(failedAt + 7 * DAY)),
    });
    expect(await typesOf(tenant.tenantId)).toEqual(
      expect.arrayContaining(['Subscription Started v1', 'Subscription Past Due v1', 'Payment Failed v1']),
    );
  });

  it('keeps full access during the grace period', async () => {
    const tenant = await payingTenant();
    await deliver(
      webhook,
      invoiceEvent(tenant, 'invoice.payment_failed', BASE_TIME + DAY),
      stack.stripeWebhookSecret,
    );
    await sweep({ time: iso(BASE_TIME + 8 * DAY - 1) });

    expect(await billingOf(tenant.tenantId)).toMatchObject({ status: 'past_due', restricted: false });
    const ctx = await contextOf(tenant);
    expect(() => authorize(ctx, 'projects:create')).not.toThrow();
  });

  it('writes one Subscription Past Due when the subscription update and the failed invoice both arrive', async () => {
    const tenant = await payingTenant();
    const at = BASE_TIME + DAY;
    await deliver(webhook, invoiceEvent(tenant, 'invoice.payment_failed', at), stack.stripeWebhookSecret);
    await deliver(
      webhook,
      stripeEvent(
        'customer.subscription.updated',
        { ...tenant.subscription, status: 'past_due' },
        { created: at },
      ),
      stack.stripeWebhookSecret,
    );
    expect((await typesOf(tenant.tenantId)).filter((t) => t === 'Subscription Past Due v1')).toHaveLength(1);
  });
});

describe('the dunning sweep', () => {
  it('restricts after the grace period, then a paid invoice restores everything at once', async () => {
    const tenant = await payingTenant();
    const secret = stack.stripeWebhookSecret;
    await deliver(webhook, invoiceEvent(tenant, 'invoice.payment_failed', BASE_TIME + DAY), secret);

    const result = await sweep({ time: iso(BASE_TIME + 8 * DAY + 60) });
    expect(result.restricted).toBeGreaterThanOrEqual(1);
    const restricted = await billingOf(tenant.tenantId);
    expect(restricted).toMatchObject({ status: 'past_due', restricted: true });
    expect(restricted).not.toHaveProperty('gsi1pk');
    expect(await typesOf(tenant.tenantId)).toContain('Subscription Restricted v1');

    const whileRestricted = await contextOf(tenant);
    expect(() => authorize(whileRestricted, 'projects:create')).toThrow(PaymentRequiredError);
    expect(() => authorize(whileRestricted, 'projects:read')).not.toThrow();
    expect(() => authorize(whileRestricted, 'billing:manage')).not.toThrow();

    await deliver(webhook, invoiceEvent(tenant, 'invoice.paid', BASE_TIME + 9 * DAY), secret);
    expect(await billingOf(tenant.tenantId)).toMatchObject({
      status: 'active',
      restricted: false,
      pastDueSince: null,
      graceEndsAt: null,
    });
    const types = await typesOf(tenant.tenantId);
    expect(types).toContain('Subscription Reactivated v1');
    expect(types).toContain('Invoice Paid v1');
    const recovered = await contextOf(tenant);
    expect(() => authorize(recovered, 'projects:create')).not.toThrow();
  });

  it('restricts a tenant once however often it runs', async () => {
    const tenant = await payingTenant();
    await deliver(
      webhook,
      invoiceEvent(tenant, 'invoice.payment_failed', BASE_TIME + DAY),
      stack.stripeWebhookSecret,
    );
    const time = iso(BASE_TIME + 8 * DAY + 60);
    await Promise.all([sweep({ time }), sweep({ time })]);
    await sweep({ time });
    expect((await typesOf(tenant.tenantId)).filter((t) => t === 'Subscription Restricted v1')).toHaveLength(
      1,
    );
  });

  it('leaves alone a tenant that paid before the sweep ran', async () => {
    const tenant = await payingTenant();
    await deliver(
      webhook,
      invoiceEvent(tenant, 'invoice.payment_failed', BASE_TIME + DAY),
      stack.stripeWebhookSecret,
    );
    await deliver(
      webhook,
      invoiceEvent(tenant, 'invoice.paid', BASE_TIME + 2 * DAY),
      stack.stripeWebhookSecret,
    );
    await sweep({ time: iso(BASE_TIME + 30 * DAY) });
    expect(await billingOf(tenant.tenantId)).toMatchObject({ status: 'active', restricted: false });
    expect(await typesOf(tenant.tenantId)).not.toContain('Subscription Restricted v1');
  });

  it('pages through more due tenants than one query returns', async () => {
    const tenants = await Promise.all([payingTenant(), payingTenant(), payingTenant()]);
    for (const tenant of tenants) {
      await deliver(
        webhook,
        invoiceEvent(tenant, 'invoice.payment_failed', BASE_TIME + 40 * DAY),
        stack.stripeWebhookSecret,
      );
    }
    const result = await runDunningSweep(
      { db, newId: () => newId(), pageSize: 1 },
      new Date((BASE_TIME + 48 * DAY) * 1000),
    );
    expect(result.restricted).toBeGreaterThanOrEqual(3);
    for (const tenant of tenants) {
      expect(await billingOf(tenant.tenantId)).toMatchObject({ restricted: true });
    }
  });
});

describe('final failure', () => {
  it('drops an unpaid tenant to the free plan, unrestricted, data kept', async () => {
    const tenant = await payingTenant();
    const secret = stack.stripeWebhookSecret;
    await deliver(webhook, invoiceEvent(tenant, 'invoice.payment_failed', BASE_TIME + DAY), secret);
    await sweep({ time: iso(BASE_TIME + 8 * DAY + 60) });
    await deliver(
      webhook,
      stripeEvent(
        'customer.subscription.updated',
        { ...tenant.subscription, status: 'unpaid' },
        { created: BASE_TIME + 20 * DAY },
      ),
      secret,
    );
    const ctx = await contextOf(tenant);
    expect(ctx.billing).toMatchObject({ status: 'unpaid', plan: 'team', restricted: false });
    expect(ctx.entitlements).toEqual(plans.free.entitlements);
    expect(() => authorize(ctx, 'projects:create')).not.toThrow();
    expect(await typesOf(tenant.tenantId)).toContain('Subscription Canceled v1');
  });

  it('drops a tenant whose subscription is deleted to the free plan', async () => {
    const tenant = await payingTenant();
    await deliver(
      webhook,
      stripeEvent(
        'customer.subscription.deleted',
        { ...tenant.subscription, status: 'canceled' },
        { created: BASE_TIME + DAY },
      ),
      stack.stripeWebhookSecret,
    );
    const ctx = await contextOf(tenant);
    expect(ctx.billing.status).toBe('canceled');
    expect(ctx.entitlements).toEqual(plans.free.entitlements);
  });
});

describe('dunning sweep metrics', () => {
  it('counts a failed run in DunningSweepFailures and rethrows, so the scheduler retries it', async () => {
    const addMetric = vi.spyOn(metrics, 'addMetric');

    await expect(sweep({ time: 'not a time' })).rejects.toThrow();

    expect(addMetric).toHaveBeenCalledWith(eventMetricNames.dunningSweepFailures, 'Count', 1);
    addMetric.mockRestore();
  });

  it('counts the tenants a run restricted', async () => {
    const addMetric = vi.spyOn(metrics, 'addMetric');

    await sweep({ time: iso(BASE_TIME + 400 * DAY) });

    expect(addMetric).toHaveBeenCalledWith(eventMetricNames.tenantsRestricted, 'Count', expect.any(Number));
    expect(addMetric).toHaveBeenCalledWith(eventMetricNames.dunningSweepFailures, 'Count', 0);
    addMetric.mockRestore();
  });
});
