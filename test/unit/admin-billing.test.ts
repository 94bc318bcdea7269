import { describe, expect, it } from 'vitest';
import type { AdminBillingRepository } from '#shared/admin/billing/admin-billing.repository.ts';
import type { Credit } from '#shared/admin/billing/admin-billing.schema.ts';
import { compMonths, createAdminBillingService } from '#shared/admin/billing/admin-billing.service.ts';
import type { PlatformAuditEvent } from '#shared/admin/platform-audit.ts';
import type { Caller } from '#shared/auth/caller.ts';
import { type BillingRecord, emptyBillingRecord } from '#shared/billing/webhooks/transitions.ts';
import { ConflictError, ForbiddenError, NotFoundError, UpstreamError } from '#shared/http/errors.ts';
import { fakeStripe } from '../support/fake-stripe.ts';

const TENANT_ID = '01jf0000000000000000000000';
const NOW = new Date('2026-03-10T12:00:00.000Z');
const request = { requestId: 'req-1', sourceIp: '203.0.113.7' };
const finance: Caller = { userId: 'op-fin', groups: ['finance'], platformAdmin: false };
const support: Caller = { userId: 'op-sup', groups: ['support'], platformAdmin: false };
const customer: Caller = { userId: 'user-1', groups: [], platformAdmin: false };
const priceIds = {
  team: { month: 'price_team_m', year: 'price_team_y' },
  business: { month: 'price_biz_m', year: 'price_biz_y' },
};

const subscribed: BillingRecord = {
  ...emptyBillingRecord(TENANT_ID, NOW.toISOString()),
  plan: 'team',
  interval: 'month',
  status: 'active',
  customerId: 'cus_1',
  subscriptionId: 'sub_1',
  monthlyAmount: { amount: 2900, currency: 'usd' },
};

/** A repository holding one tenant's billing item; records what is written. */
function fakeRepo(billing: BillingRecord | null) {
  const audits: PlatformAuditEvent[] = [];
  const credits: Credit[] = [];
  const repo: AdminBillingRepository = {
    tenantExists: async (tenantId) => billing !== null && tenantId === TENANT_ID,
    billing: async () => billing ?? emptyBillingRecord(TENANT_ID, NOW.toISOString()),
    invoices: async () => [],
    credits: async () => credits,
    recordCredit: async (_tenantId, credit, audit) => {
      if (credits.some((c) => c.creditId === credit.creditId)) return false;
      credits.push(credit);
      audits.push(audit);
      return true;
    },
    audit: async (event) => {
      audits.push(event);
    },
  };
  return { repo, audits, credits };
}

/** `null`: the tenant does not exist. */
function setup(billing: BillingRecord | null = subscribed, failWith?: Error) {
  const stripe = fakeStripe(failWith ? { failWith } : {});
  const store = fakeRepo(billing);
  const service = createAdminBillingService({
    repo: store.repo,
    stripe: stripe.gateway,
    priceIds,
    clock: () => NOW,
  });
  return { service, stripe, ...store };
}

const credit = { amount: 1500, reason: 'Outage on 3 March' };
const comp = { until: '2026-06-01', reason: 'Design partner' };

describe('who may adjust billing', () => {
  it.each([
    ['a support operator', support],
    ['a customer', customer],
  ])('refuses %s a credit with 403 and calls no one', async (_who, caller) => {
    const { service, stripe } = setup();
    await expect(service.credit(caller, TENANT_ID, credit, request)).rejects.toThrow(ForbiddenError);
    expect(stripe.calls).toEqual([]);
  });

  it('lets a support operator read the billing view', async () => {
    const { service } = setup();
    await expect(service.view(support, TENANT_ID)).resolves.toMatchObject({ tenantId: TENANT_ID });
  });

  it('refuses a customer the billing view', async () => {
    const { service } = setup();
    await expect(service.view(customer, TENANT_ID)).rejects.toThrow(ForbiddenError);
  });

  it('answers 404 for a tenant that does not exist, before calling Stripe', async () => {
    const { service, stripe } = setup(null);
    await expect(service.comp(finance, TENANT_ID, comp, request)).rejects.toThrow(NotFoundError);
    expect(stripe.calls).toEqual([]);
  });
});

describe('credits', () => {
  it('credits the customer balance in the subscription currency, with the reason', async () => {
    const { service, stripe } = setup();
    const made = await service.credit(finance, TENANT_ID, credit, request);
    expect(stripe.callsOf('createBalanceCredit')[0]?.args[0]).toEqual({
      customerId: 'cus_1',
      amount: 1500,
      currency: 'usd',
      description: 'Outage on 3 March',
      metadata: { tenantId: TENANT_ID, operatorId: 'op-fin' },
    });
    expect(made).toMatchObject({ creditId: 'cbtxn_1', amount: 1500, reason: 'Outage on 3 March' });
  });

  it('records the credit with its audit entry, naming the operator and the reason', async () => {
    const { service, credits, audits } = setup();
    await service.credit(finance, TENANT_ID, credit, request);
    expect(credits).toHaveLength(1);
    expect(audits).toEqual([
      expect.objectContaining({
        operatorId: 'op-fin',
        action: 'billing.credit-created',
        target: { type: 'customer', id: 'cus_1', tenantId: TENANT_ID },
        reason: 'Outage on 3 March',
      }),
    ]);
  });

  it('gives a retried credit the same idempotency key and records it once', async () => {
    const { service, stripe, credits, audits } = setup();
    await service.credit(finance, TENANT_ID, credit, request);
    await service.credit(finance, TENANT_ID, credit, { ...request, requestId: 'req-2' });
    const [first, retry] = stripe.callsOf('createBalanceCredit').map((c) => c.idempotencyKey);
    expect(retry).toBe(first);
    expect(credits).toHaveLength(1);
    expect(audits).toHaveLength(1);
  });

  it('gives a credit of another amount another key', async () => {
    const { service, stripe } = setup();
    await service.credit(finance, TENANT_ID, credit, request);
    await service.credit(finance, TENANT_ID, { ...credit, amount: 200 }, request);
    const [first, second] = stripe.callsOf('createBalanceCredit').map((c) => c.idempotencyKey);
    expect(second).not.toBe(first);
  });

  it('answers 409 for a tenant without a Stripe customer', async () => {
    const { service, stripe } = setup({
      ...subscribed,
      customerId: null,
      subscriptionId: null,
      status: 'none',
    });
    await expect(service.credit(finance, TENANT_ID, credit, request)).rejects.toThrow(ConflictError);
    expect(stripe.calls).toEqual([]);
  });

  it('writes nothing when Stripe fails', async () => {
    const { service, credits, audits } = setup(subscribed, new UpstreamError('down'));
    await expect(service.credit(finance, TENANT_ID, credit, request)).rejects.toThrow(UpstreamError);
    expect(credits).toEqual([]);
    expect(audits).toEqual([]);
  });
});

describe('comps', () => {
  it('counts whole billing months up to the date, rounded up', () => {
    expect(compMonths(NOW, new Date('2026-04-10T12:00:00.000Z'))).toBe(1);
    expect(compMonths(NOW, new Date('2026-04-11T00:00:00.000Z'))).toBe(2);
    expect(compMonths(NOW, new Date('2026-03-11T00:00:00.000Z'))).toBe(1);
    expect(compMonths(NOW, new Date('2027-03-10T12:00:00.000Z'))).toBe(12);
  });

  it('comps the current plan with a marked coupon for the months up to the date', async () => {
    const { service, stripe } = setup();
    const result = await service.comp(finance, TENANT_ID, comp, request);
    expect(stripe.callsOf('compSubscription')[0]?.args[0]).toEqual({
      subscriptionId: 'sub_1',
      months: 3,
      name: 'Comp: Team until 2026-06-01',
      metadata: {
        plinthComp: 'true',
        tenantId: TENANT_ID,
        operatorId: 'op-fin',
        until: '2026-06-01T23:59:59.999Z',
      },
    });
    expect(result).toEqual({
      subscriptionId: 'sub_1',
      plan: 'team',
      couponId: 'coupon_comp_1',
      months: 3,
      until: '2026-06-01T23:59:59.999Z',
      mirror: 'pending',
    });
  });

  it("moves the subscription to another plan's price for a comp of that plan", async () => {
    const { service, stripe } = setup();
    await service.comp(finance, TENANT_ID, { ...comp, plan: 'business' }, request);
    expect(stripe.callsOf('compSubscription')[0]?.args[0]).toMatchObject({
      priceId: 'price_biz_m',
      itemId: expect.any(String),
    });
  });

  it('audits the comp with the state before it, the operator and the reason', async () => {
    const { service, audits } = setup();
    await service.comp(finance, TENANT_ID, comp, request);
    expect(audits).toEqual([
      expect.objectContaining({
        action: 'billing.comp-granted',
        target: { type: 'subscription', id: 'sub_1', tenantId: TENANT_ID },
        before: expect.objectContaining({ plan: 'team', monthlyAmount: { amount: 2900, currency: 'usd' } }),
        after: expect.objectContaining({ couponId: 'coupon_comp_1', months: 3 }),
        reason: 'Design partner',
      }),
    ]);
  });

  it('refuses a date in the past with a 400 naming the field', async () => {
    const { service } = setup();
    await expect(
      service.comp(finance, TENANT_ID, { ...comp, until: '2026-03-01' }, request),
    ).rejects.toMatchObject({
      status: 400,
      errors: [{ field: 'body.until', message: 'must be in the future' }],
    });
  });

  it('refuses a comp longer than three years with a 400', async () => {
    const { service } = setup();
    await expect(
      service.comp(finance, TENANT_ID, { ...comp, until: '2029-04-01' }, request),
    ).rejects.toMatchObject({
      status: 400,
    });
  });

  it('answers 409 for a tenant without a live subscription', async () => {
    const { service, stripe } = setup({ ...subscribed, status: 'canceled' });
    await expect(service.comp(finance, TENANT_ID, comp, request)).rejects.toThrow(ConflictError);
    expect(stripe.calls).toEqual([]);
  });

  it('writes no audit entry when Stripe refuses the comp', async () => {
    const { service, audits } = setup(subscribed, new UpstreamError('down'));
    await expect(service.comp(finance, TENANT_ID, comp, request)).rejects.toThrow(UpstreamError);
    expect(audits).toEqual([]);
  });
});

describe('cancellations', () => {
  it('cancels at period end through cancel_at_period_end', async () => {
    const { service, stripe } = setup();
    const result = await service.cancel(
      finance,
      TENANT_ID,
      { atPeriodEnd: true, reason: 'Asked by phone' },
      request,
    );
    expect(stripe.callsOf('setCancelAtPeriodEnd')[0]?.args.slice(0, 2)).toEqual(['sub_1', true]);
    expect(stripe.callsOf('cancelSubscriptionNow')).toEqual([]);
    expect(result).toMatchObject({ atPeriodEnd: true, mirror: 'pending' });
  });

  it('cancels now through a cancellation at Stripe', async () => {
    const { service, stripe } = setup();
    const result = await service.cancel(finance, TENANT_ID, { atPeriodEnd: false, reason: 'Fraud' }, request);
    expect(stripe.callsOf('cancelSubscriptionNow')[0]?.args[0]).toBe('sub_1');
    expect(result).toMatchObject({ status: 'canceled', atPeriodEnd: false });
  });

  it('audits a cancellation now and one at period end as different actions', async () => {
    const { service, audits } = setup();
    await service.cancel(finance, TENANT_ID, { atPeriodEnd: false, reason: 'Fraud' }, request);
    await service.cancel(finance, TENANT_ID, { atPeriodEnd: true, reason: 'Asked by phone' }, request);
    expect(audits.map((a) => [a.action, a.reason])).toEqual([
      ['billing.subscription-canceled', 'Fraud'],
      ['billing.cancellation-scheduled', 'Asked by phone'],
    ]);
  });

  it('gives cancelling now and at period end different keys', async () => {
    const { service, stripe } = setup();
    await service.cancel(finance, TENANT_ID, { atPeriodEnd: false, reason: 'Fraud' }, request);
    await service.cancel(finance, TENANT_ID, { atPeriodEnd: true, reason: 'Fraud' }, request);
    expect(stripe.calls[0]?.idempotencyKey).not.toBe(stripe.calls[1]?.idempotencyKey);
  });

  it('answers 409 for a tenant without a live subscription', async () => {
    const { service } = setup({ ...subscribed, subscriptionId: null, status: 'none', plan: 'free' });
    await expect(
      service.cancel(finance, TENANT_ID, { atPeriodEnd: true, reason: 'Asked by phone' }, request),
    ).rejects.toThrow(ConflictError);
  });
});
