import { describe, expect, it } from 'vitest';
import type { AuditEvent } from '#shared/audit/audit.writer.ts';
import type { BillingRepository, BillingRepositoryFactory } from '#shared/billing/billing.repository.ts';
import type { BillingState, Invoice } from '#shared/billing/billing.schema.ts';
import { createBillingService } from '#shared/billing/billing.service.ts';
import type { PriceIds } from '#shared/billing/plans.ts';
import { MAX_SEQUENTIAL_STRIPE_CALLS } from '#shared/billing/stripe-budget.ts';
import type {
  PeriodEndChangeInput,
  PreviewInput,
  ScheduleSnapshot,
  StripeGateway,
} from '#shared/billing/stripe-gateway.ts';
import { BadRequestError, ConflictError, ForbiddenError, UpstreamError } from '#shared/http/errors.ts';
import type { Role } from '#shared/tenancy/permissions.ts';
import { FAKE_PERIOD_END, type FakeStripeOptions, fakeStripe } from '../support/fake-stripe.ts';
import { fakeTenantContext } from '../support/tenant-context.ts';

const NOW = new Date('2026-03-15T12:00:00.000Z');
const NOW_SECONDS = NOW.getTime() / 1000;
const TENANT_ID = '01jf0000000000000000000000';
const APP_URL = 'https://app.example.com';
const priceIds: PriceIds = {
  team: { month: 'price_team_month', year: 'price_team_year' },
  business: { month: 'price_business_month', year: 'price_business_year' },
};

/** Billing state of a tenant with an active monthly Team subscription. */
const TEAM_MONTHLY: Partial<BillingState> = {
  plan: 'team',
  interval: 'month',
  status: 'active',
  customerId: 'cus_existing',
  subscriptionId: 'sub_live',
  currentPeriodEnd: '2026-04-01T00:00:00.000Z',
};

function context(role: Role, billing: Partial<BillingState> = {}, request = 'req-1') {
  const ctx = fakeTenantContext({
    role,
    tenantId: TENANT_ID,
    billing,
    tenant: { memberCount: 4, projectCount: 7 },
  });
  return { ...ctx, request: { requestId: request, sourceIp: '203.0.113.7' } } as typeof ctx;
}

/** An in-memory billing repository that records what the service writes. */
function fakeRepository(invoices: Invoice[] = []) {
  const audits: Omit<AuditEvent, 'tenantId'>[] = [];
  const customers: string[] = [];
  const checkouts: { sessionId: string; expiresAt: string; previousSessionId: string | null }[] = [];
  const repository: BillingRepository = {
    listInvoices: async ({ limit }) => ({ items: invoices.slice(0, limit) }),
    recordCustomer: async (customerId, audit) => {
      customers.push(customerId);
      audits.push(audit);
    },
    recordCheckout: async (session, previousSessionId, audit) => {
      checkouts.push({ ...session, previousSessionId });
      audits.push(audit);
    },
    audit: async (event) => {
      audits.push(event);
    },
  };
  const factory: BillingRepositoryFactory = { forTenant: () => repository };
  return { factory, audits, customers, checkouts };
}

function setup(options: FakeStripeOptions = {}) {
  const stripe = fakeStripe(options);
  const repo = fakeRepository();
  const service = createBillingService({
    billing: repo.factory,
    stripe: stripe.gateway,
    clock: () => NOW,
    priceIds,
    appUrl: APP_URL,
  });
  return { service, stripe, repo };
}

describe('billing view', () => {
  it('lists every plan, the free one without prices', () => {
    const { service } = setup();
    const { items } = service.listPlans();
    expect(items.map((p) => [p.id, p.prices])).toEqual([
      ['free', null],
      ['team', { month: 2900, year: 29000 }],
      ['business', { month: 9900, year: 99000 }],
    ]);
  });

  it('lets a plain member read the billing view', async () => {
    const { service } = setup();
    const view = await service.get(context('member', TEAM_MONTHLY));
    expect(view).toMatchObject({ plan: 'team', effectivePlan: 'team', status: 'active', interval: 'month' });
  });

  it('reports usage from the tenant counters against the effective plan', async () => {
    const { service } = setup();
    const view = await service.get(context('member', TEAM_MONTHLY));
    expect(view.usage).toEqual({ seats: 4, projects: 7 });
    expect(view.entitlements).toMatchObject({ seats: 10, projects: 25 });
  });

  it('counts missing usage counters as zero', async () => {
    const { service } = setup();
    const ctx = fakeTenantContext({ role: 'owner', tenantId: TENANT_ID });
    expect((await service.get(ctx)).usage).toEqual({ seats: 0, projects: 0 });
  });

  it('shows the free entitlements once an unpaid subscription lost its plan', async () => {
    const { service } = setup();
    const view = await service.get(context('owner', { ...TEAM_MONTHLY, status: 'unpaid' }));
    expect(view).toMatchObject({ plan: 'team', effectivePlan: 'free', entitlements: { seats: 3 } });
  });

  it('refuses the invoice list to a role without billing:manage', async () => {
    const { service } = setup();
    await expect(service.listInvoices(context('manager'), { limit: 25 })).rejects.toThrow(ForbiddenError);
  });
});

describe('checkout', () => {
  const input = { plan: 'team', interval: 'year' } as const;

  it('creates the customer with a key derived from the tenant id and records it', async () => {
    const { service, stripe, repo } = setup();
    await service.checkout(context('owner'), input);
    const [create] = stripe.callsOf('createCustomer');
    expect(create?.args[0]).toEqual({ tenantId: TENANT_ID, name: 'Acme' });
    expect(repo.customers).toEqual(['cus_new']);
  });

  it('uses the same customer key for every checkout of the tenant', async () => {
    const first = setup();
    const second = setup();
    await first.service.checkout(context('owner', {}, 'req-a'), input);
    await second.service.checkout(context('owner', {}, 'req-b'), { plan: 'business', interval: 'month' });
    expect(first.stripe.callsOf('createCustomer')[0]?.idempotencyKey).toBe(
      second.stripe.callsOf('createCustomer')[0]?.idempotencyKey,
    );
  });

  it('reuses the customer the tenant already has', async () => {
    const { service, stripe, repo } = setup();
    await service.checkout(context('owner', { customerId: 'cus_existing', status: 'canceled' }), input);
    expect(stripe.callsOf('createCustomer')).toEqual([]);
    expect(repo.customers).toEqual([]);
    expect(stripe.callsOf('createCheckoutSession')[0]?.args[0]).toMatchObject({ customerId: 'cus_existing' });
  });

  it('asks for the configured price of the plan and interval, for this tenant, with default return URLs', async () => {
    const { service, stripe } = setup();
    await service.checkout(context('owner'), input);
    expect(stripe.callsOf('createCheckoutSession')[0]?.args[0]).toEqual({
      tenantId: TENANT_ID,
      customerId: 'cus_new',
      priceId: 'price_team_year',
      successUrl: `${APP_URL}/billing?checkout=success&session_id={CHECKOUT_SESSION_ID}`,
      cancelUrl: `${APP_URL}/billing?checkout=canceled`,
      // 60 minutes after the end of the current 15-minute window.
      expiresAt: NOW_SECONDS + 75 * 60,
    });
  });

  it('gives a retried checkout the same session key, and another plan another key', async () => {
    const { service, stripe } = setup();
    const ctx = context('owner', { customerId: 'cus_existing' }, 'req-a');
    await service.checkout(ctx, input);
    await service.checkout(context('owner', { customerId: 'cus_existing' }, 'req-b'), input);
    await service.checkout(ctx, { plan: 'business', interval: 'year' });
    const [a, b, c] = stripe.callsOf('createCheckoutSession').map((call) => call.idempotencyKey);
    expect(a).toBe(b);
    expect(c).not.toBe(a);
  });

  it('audits the checkout it started', async () => {
    const { service, repo } = setup();
    await service.checkout(context('owner'), input);
    expect(repo.audits.map((a) => a.action)).toEqual([
      'billing.customer-created',
      'billing.checkout-started',
    ]);
  });

  it.each(['trialing', 'active', 'past_due', 'unpaid'] as const)(
    'refuses a second subscription while one is %s, calling nothing',
    async (status) => {
      const { service, stripe } = setup();
      await expect(service.checkout(context('owner', { ...TEAM_MONTHLY, status }), input)).rejects.toThrow(
        'already subscribed; change the plan instead',
      );
      expect(stripe.calls).toEqual([]);
    },
  );

  it('lets a tenant whose subscription is paused (trial ended without a card) check out', async () => {
    const { service, stripe } = setup();
    await service.checkout(context('owner', { ...TEAM_MONTHLY, status: 'paused' }), input);
    expect(stripe.callsOf('createCheckoutSession')).toHaveLength(1);
  });

  describe('one open checkout per tenant', () => {
    const OPEN_UNTIL = new Date((NOW_SECONDS + 1800) * 1000).toISOString();
    const withOpen = (request = 'req-1') =>
      context(
        'owner',
        { customerId: 'cus_existing', checkoutSessionId: 'cs_before', checkoutExpiresAt: OPEN_UNTIL },
        request,
      );

    it('records the session it hands out, on condition that no other was recorded', async () => {
      const { service, repo } = setup();
      await service.checkout(context('owner', { customerId: 'cus_existing' }), input);
      expect(repo.checkouts).toEqual([
        {
          sessionId: 'cs_test_1',
          expiresAt: new Date((NOW_SECONDS + 75 * 60) * 1000).toISOString(),
          previousSessionId: null,
        },
      ]);
    });

    it('expires the open session first, then records the new one in its place', async () => {
      const { service, stripe, repo } = setup({ checkoutStatus: 'open' });
      await service.checkout(withOpen(), { plan: 'team', interval: 'month' });
      expect(stripe.calls.map((c) => c.method)).toEqual([
        'getCheckoutSessionStatus',
        'expireCheckoutSession',
        'createCheckoutSession',
      ]);
      expect(stripe.callsOf('expireCheckoutSession')[0]?.args[0]).toBe('cs_before');
      expect(repo.checkouts[0]?.previousSessionId).toBe('cs_before');
    });

    it('answers 409 when the open session was just paid, creating nothing', async () => {
      const { service, stripe, repo } = setup({ checkoutStatus: 'complete' });
      await expect(service.checkout(withOpen(), input)).rejects.toThrow(
        'A checkout for this tenant has just been paid',
      );
      expect(stripe.calls.map((c) => c.method)).toEqual(['getCheckoutSessionStatus']);
      expect(repo.checkouts).toEqual([]);
    });

    it('asks Stripe nothing about a recorded session past its expiry', async () => {
      const { service, stripe, repo } = setup();
      const ctx = context('owner', {
        customerId: 'cus_existing',
        checkoutSessionId: 'cs_old',
        checkoutExpiresAt: '2026-03-15T11:00:00.000Z',
      });
      await service.checkout(ctx, input);
      expect(stripe.calls.map((c) => c.method)).toEqual(['createCheckoutSession']);
      expect(repo.checkouts[0]?.previousSessionId).toBe('cs_old');
    });

    it('completes a checkout retried after a failure between expiring and creating, with the same keys', async () => {
      const { service, stripe, repo } = setup({
        checkoutStatus: 'open',
        failOnce: { method: 'createCheckoutSession', error: new UpstreamError('timeout') },
      });
      await expect(service.checkout(withOpen('req-a'), input)).rejects.toThrow(UpstreamError);
      expect(repo.checkouts).toEqual([]);

      // The client retries; Stripe answers the expiry again from its idempotency cache.
      await service.checkout(withOpen('req-b'), input);

      const [firstExpire, secondExpire] = stripe.callsOf('expireCheckoutSession');
      const [firstCreate, secondCreate] = stripe.callsOf('createCheckoutSession');
      expect(secondExpire?.idempotencyKey).toBe(firstExpire?.idempotencyKey);
      expect(secondCreate?.idempotencyKey).toBe(firstCreate?.idempotencyKey);
      expect(repo.checkouts).toHaveLength(1);
    });

    it('gives the session that replaces another a key of its own', async () => {
      const { service, stripe } = setup({ checkoutStatus: 'expired' });
      await service.checkout(context('owner', { customerId: 'cus_existing' }), input);
      await service.checkout(withOpen(), input);
      const [first, second] = stripe.callsOf('createCheckoutSession').map((c) => c.idempotencyKey);
      expect(second).not.toBe(first);
      expect(stripe.callsOf('expireCheckoutSession')).toEqual([]);
    });
  });

  it('refuses a member without billing:manage', async () => {
    const { service, stripe } = setup();
    await expect(service.checkout(context('manager'), input)).rejects.toThrow(ForbiddenError);
    expect(stripe.calls).toEqual([]);
  });

  it('lets a tenant restricted for non-payment check out', async () => {
    const { service } = setup();
    const ctx = context('owner', { status: 'canceled', restricted: true });
    await expect(service.checkout(ctx, input)).resolves.toMatchObject({ sessionId: 'cs_test_1' });
  });

  it('writes nothing when Stripe fails', async () => {
    const { service, repo } = setup({ failWith: new UpstreamError('down') });
    await expect(service.checkout(context('owner'), input)).rejects.toThrow(UpstreamError);
    expect(repo.audits).toEqual([]);
    expect(repo.customers).toEqual([]);
  });
});

describe('portal', () => {
  it('refuses a tenant with no Stripe customer yet', async () => {
    const { service } = setup();
    await expect(service.portal(context('admin'), {})).rejects.toThrow(ConflictError);
  });

  it("opens the customer's portal, returning to the billing page by default", async () => {
    const { service, stripe } = setup();
    const result = await service.portal(context('admin', TEAM_MONTHLY), {});
    expect(result.url).toMatch(/^https:/);
    expect(stripe.callsOf('createPortalSession')[0]?.args[0]).toEqual({
      customerId: 'cus_existing',
      returnUrl: `${APP_URL}/billing`,
    });
  });
});

describe('redirect URLs', () => {
  const input = { plan: 'team', interval: 'month' } as const;

  it('refuses a checkout success URL on another origin with a 400 naming the field, calling nothing', async () => {
    const { service, stripe } = setup();

    const refused = service.checkout(context('owner'), { ...input, successUrl: 'https://evil.test/ok' });

    await expect(refused).rejects.toThrow(BadRequestError);
    await expect(refused).rejects.toMatchObject({
      errors: [
        { field: 'body.successUrl', message: "must be on the app's origin or an allowed redirect origin" },
      ],
    });
    expect(stripe.calls).toEqual([]);
  });

  it('names both fields when both URLs point elsewhere', async () => {
    const { service } = setup();
    await expect(
      service.checkout(context('owner'), {
        ...input,
        successUrl: 'http://app.example.com/ok',
        cancelUrl: 'https://app.example.com:8443/no',
      }),
    ).rejects.toMatchObject({
      errors: [{ field: 'body.successUrl' }, { field: 'body.cancelUrl' }],
    });
  });

  it('accepts URLs on the app origin and on an allowed origin', async () => {
    const stripe = fakeStripe();
    const service = createBillingService({
      billing: fakeRepository().factory,
      stripe: stripe.gateway,
      clock: () => NOW,
      priceIds,
      appUrl: APP_URL,
      allowedRedirectOrigins: ['https://www.example.com'],
    });

    await service.checkout(context('owner'), {
      ...input,
      successUrl: `${APP_URL}/welcome`,
      cancelUrl: 'https://www.example.com/pricing',
    });

    expect(stripe.callsOf('createCheckoutSession')[0]?.args[0]).toMatchObject({
      successUrl: `${APP_URL}/welcome`,
      cancelUrl: 'https://www.example.com/pricing',
    });
  });

  it('refuses a portal return URL on another origin', async () => {
    const { service, stripe } = setup();
    await expect(
      service.portal(context('admin', TEAM_MONTHLY), { returnUrl: 'https://evil.test/back' }),
    ).rejects.toMatchObject({ status: 400, errors: [{ field: 'body.returnUrl' }] });
    expect(stripe.calls).toEqual([]);
  });
});

describe('change preview', () => {
  it('charges the always_invoice preview now and shows the next invoice at the new price for an upgrade', async () => {
    const { service, stripe } = setup();
    const preview = await service.previewChange(context('owner', TEAM_MONTHLY), {
      plan: 'business',
      interval: 'month',
    });
    expect(preview).toEqual({
      plan: 'business',
      interval: 'month',
      kind: 'upgrade',
      effective: 'now',
      prorationDate: NOW_SECONDS,
      amountDueNow: 3500,
      nextInvoiceAmount: 9900,
      currency: 'usd',
      nextInvoiceAt: new Date(FAKE_PERIOD_END * 1000).toISOString(),
    });
    const inputs = stripe.callsOf('previewPriceChange').map((c) => c.args[0] as PreviewInput);
    expect(inputs.map((i) => [i.prorationBehavior, i.priceId, i.itemId, i.prorationDate])).toEqual([
      ['always_invoice', 'price_business_month', 'si_item', NOW_SECONDS],
      ['none', 'price_business_month', 'si_item', undefined],
    ]);
  });

  it('uses the proration date the client sends', async () => {
    const { service } = setup();
    const prorationDate = NOW_SECONDS - 120;
    const preview = await service.previewChange(context('owner', TEAM_MONTHLY), {
      plan: 'business',
      interval: 'month',
      prorationDate,
    });
    expect(preview.prorationDate).toBe(prorationDate);
  });

  it('charges nothing now for a downgrade, which starts at the period end', async () => {
    const { service, stripe } = setup({ subscription: { priceId: 'price_business_month' } });
    const preview = await service.previewChange(context('owner', { ...TEAM_MONTHLY, plan: 'business' }), {
      plan: 'team',
      interval: 'month',
    });
    expect(preview).toMatchObject({ kind: 'downgrade', effective: 'period-end', amountDueNow: 0 });
    expect(preview.nextInvoiceAt).toBe(new Date(FAKE_PERIOD_END * 1000).toISOString());
    expect(
      stripe.callsOf('previewPriceChange').map((c) => (c.args[0] as PreviewInput).prorationBehavior),
    ).toEqual(['none']);
  });

  it('dates the next invoice a year after a move to annual billing', async () => {
    const { service } = setup({
      preview: () => ({
        currency: 'usd',
        amountDue: 29000,
        total: 29000,
        lines: [
          { amount: 29000, proration: false, periodStart: NOW_SECONDS, periodEnd: NOW_SECONDS + 31_536_000 },
        ],
      }),
    });
    const preview = await service.previewChange(context('owner', TEAM_MONTHLY), {
      plan: 'team',
      interval: 'year',
    });
    expect(preview).toMatchObject({ kind: 'interval-change', effective: 'now', nextInvoiceAmount: 29000 });
    expect(preview.nextInvoiceAt).toBe(new Date((NOW_SECONDS + 31_536_000) * 1000).toISOString());
  });

  it('takes the current plan from the subscription price when it is one we sell', async () => {
    const { service } = setup({ subscription: { priceId: 'price_business_year' } });
    const preview = await service.previewChange(context('owner', TEAM_MONTHLY), {
      plan: 'business',
      interval: 'month',
    });
    expect(preview).toMatchObject({ kind: 'interval-change', effective: 'period-end' });
  });

  it('refuses a tenant without a live subscription', async () => {
    const { service, stripe } = setup();
    await expect(
      service.previewChange(context('owner', { ...TEAM_MONTHLY, status: 'canceled' }), {
        plan: 'business',
        interval: 'month',
      }),
    ).rejects.toThrow(ConflictError);
    expect(stripe.calls).toEqual([]);
  });

  it('refuses a proration date in the future', async () => {
    const { service } = setup();
    const change = { plan: 'business', interval: 'month', prorationDate: NOW_SECONDS + 3600 } as const;
    await expect(service.previewChange(context('owner', TEAM_MONTHLY), change)).rejects.toThrow(
      BadRequestError,
    );
  });

  it('refuses a proration date more than an hour old', async () => {
    const { service } = setup();
    const change = { plan: 'business', interval: 'month', prorationDate: NOW_SECONDS - 3601 } as const;
    await expect(service.previewChange(context('owner', TEAM_MONTHLY), change)).rejects.toThrow(
      'The preview has expired',
    );
  });
});

describe('applying a change', () => {
  const upgrade = { plan: 'business', interval: 'month', prorationDate: NOW_SECONDS - 30 } as const;

  it('moves the item to the new price now with the preview’s proration date', async () => {
    const { service, stripe } = setup();
    const result = await service.applyChange(context('owner', TEAM_MONTHLY), upgrade);
    expect(result).toEqual({ status: 'active', plan: 'business', interval: 'month', effective: 'now' });
    expect(stripe.callsOf('changePriceNow')[0]?.args[0]).toEqual({
      subscriptionId: 'sub_live',
      itemId: 'si_item',
      priceId: 'price_business_month',
      prorationDate: upgrade.prorationDate,
    });
  });

  it('gives a retried upgrade the same key, so Stripe charges once', async () => {
    const { service, stripe } = setup();
    await service.applyChange(context('owner', TEAM_MONTHLY, 'req-a'), upgrade);
    await service.applyChange(context('owner', TEAM_MONTHLY, 'req-b'), upgrade);
    const [first, retry] = stripe.callsOf('changePriceNow').map((c) => c.idempotencyKey);
    expect(retry).toBe(first);
  });

  it('gives an upgrade previewed at another time another key', async () => {
    const { service, stripe } = setup();
    await service.applyChange(context('owner', TEAM_MONTHLY), upgrade);
    await service.applyChange(context('owner', TEAM_MONTHLY), {
      ...upgrade,
      prorationDate: NOW_SECONDS - 10,
    });
    const [first, second] = stripe.callsOf('changePriceNow').map((c) => c.idempotencyKey);
    expect(second).not.toBe(first);
  });

  it('releases a pending period-end change before upgrading', async () => {
    const { service, stripe } = setup({ subscription: { scheduleId: 'sub_sched_pending' } });
    await service.applyChange(context('owner', TEAM_MONTHLY), upgrade);
    expect(stripe.calls.map((c) => c.method)).toEqual([
      'getSubscription',
      'releaseSchedule',
      'changePriceNow',
    ]);
  });

  it('schedules a downgrade for the end of the paid period without touching the price now', async () => {
    const { service, stripe } = setup({ subscription: { priceId: 'price_business_month', quantity: 1 } });
    const result = await service.applyChange(context('owner', { ...TEAM_MONTHLY, plan: 'business' }), {
      plan: 'team',
      interval: 'month',
    });
    expect(result.effective).toBe('period-end');
    expect(stripe.callsOf('changePriceNow')).toEqual([]);
    expect(stripe.callsOf('createScheduleFromSubscription')[0]?.args[0]).toBe('sub_live');
    expect(stripe.callsOf('setPriceFromPeriodEnd')[0]?.args[0]).toEqual({
      scheduleId: 'sub_sched_new',
      current: {
        priceId: 'price_business_month',
        quantity: 1,
        startsAt: expect.any(Number),
        endsAt: FAKE_PERIOD_END,
      },
      next: { priceId: 'price_team_month', quantity: 1, interval: 'month' },
    } satisfies PeriodEndChangeInput);
  });

  it('moves annual to monthly billing at the end of the paid year', async () => {
    const { service, stripe } = setup({ subscription: { priceId: 'price_team_year' } });
    const result = await service.applyChange(context('owner', { ...TEAM_MONTHLY, interval: 'year' }), {
      plan: 'team',
      interval: 'month',
    });
    expect(result.effective).toBe('period-end');
    expect(stripe.callsOf('setPriceFromPeriodEnd')).toHaveLength(1);
  });

  it('rewrites the existing schedule of a pending change instead of creating another', async () => {
    const { service, stripe } = setup({
      subscription: { priceId: 'price_business_year', scheduleId: 'sub_sched_pending' },
    });
    await service.applyChange(context('owner', TEAM_MONTHLY), { plan: 'team', interval: 'year' });
    expect(stripe.callsOf('createScheduleFromSubscription')).toEqual([]);
    const phases = stripe.callsOf('setPriceFromPeriodEnd')[0]?.args[0] as PeriodEndChangeInput;
    expect(phases.scheduleId).toBe('sub_sched_pending');
  });

  it('refuses a change to the current plan and interval', async () => {
    const { service } = setup();
    await expect(
      service.applyChange(context('owner', TEAM_MONTHLY), { plan: 'team', interval: 'month' }),
    ).rejects.toThrow(ConflictError);
  });

  it('undoes a pending period-end change when the current plan is chosen again', async () => {
    const { service, stripe, repo } = setup({ subscription: { scheduleId: 'sub_sched_pending' } });
    await service.applyChange(context('owner', TEAM_MONTHLY), { plan: 'team', interval: 'month' });
    expect(stripe.callsOf('releaseSchedule')[0]?.args[0]).toBe('sub_sched_pending');
    expect(repo.audits.map((a) => a.action)).toEqual(['billing.plan-change-canceled']);
  });

  it('refuses a tenant without a live subscription', async () => {
    const { service } = setup();
    await expect(service.applyChange(context('owner'), upgrade)).rejects.toThrow(
      'This tenant has no live subscription',
    );
  });

  it('audits the change with the plans before and after', async () => {
    const { service, repo } = setup();
    await service.applyChange(context('owner', TEAM_MONTHLY), upgrade);
    expect(repo.audits).toEqual([
      expect.objectContaining({
        action: 'billing.plan-change-requested',
        target: { type: 'subscription', id: 'sub_live' },
        before: { plan: 'team', interval: 'month' },
        after: expect.objectContaining({ plan: 'business', interval: 'month', kind: 'upgrade' }),
      }),
    ]);
  });

  it('refuses a member without billing:manage', async () => {
    const { service } = setup();
    await expect(service.applyChange(context('member', TEAM_MONTHLY), upgrade)).rejects.toThrow(
      ForbiddenError,
    );
  });
});

describe('a change retried after a failure half way', () => {
  const downgrade = { plan: 'team', interval: 'month' } as const;
  const onBusiness = { ...TEAM_MONTHLY, plan: 'business' } as const;

  /** A fake whose subscription shows the schedule once one is created, as Stripe's does. */
  function statefulSetup(options: FakeStripeOptions) {
    const fake = fakeStripe(options);
    let created: ScheduleSnapshot | undefined;
    const gateway: StripeGateway = {
      ...fake.gateway,
      async getSubscription(id) {
        const subscription = await fake.gateway.getSubscription(id);
        return { ...subscription, scheduleId: created?.scheduleId ?? subscription.scheduleId };
      },
      async createScheduleFromSubscription(id, key) {
        created = await fake.gateway.createScheduleFromSubscription(id, key);
        return created;
      },
      async getSchedule(id) {
        const schedule = await fake.gateway.getSchedule(id);
        return created?.scheduleId === id ? created : schedule;
      },
    };
    const repo = fakeRepository();
    const service = createBillingService({
      billing: repo.factory,
      stripe: gateway,
      clock: () => NOW,
      priceIds,
      appUrl: APP_URL,
    });
    return { service, stripe: fake, repo };
  }

  it('completes a downgrade whose phases failed after the schedule was created, with the same phase key', async () => {
    const { service, stripe, repo } = statefulSetup({
      subscription: { priceId: 'price_business_month' },
      failOnce: { method: 'setPriceFromPeriodEnd', error: new UpstreamError('timeout') },
    });
    await expect(service.applyChange(context('owner', onBusiness, 'req-a'), downgrade)).rejects.toThrow(
      UpstreamError,
    );
    expect(repo.audits).toEqual([]);

    await service.applyChange(context('owner', onBusiness, 'req-b'), downgrade);

    expect(stripe.callsOf('createScheduleFromSubscription')).toHaveLength(1);
    const [failed, completed] = stripe.callsOf('setPriceFromPeriodEnd');
    expect(completed?.idempotencyKey).toBe(failed?.idempotencyKey);
    expect(completed?.args[0]).toEqual(failed?.args[0]);
    expect(repo.audits.map((a) => a.action)).toEqual(['billing.plan-change-requested']);
  });

  it('repeats the schedule creation with the same key when its answer was lost', async () => {
    const { service, stripe } = setup({
      subscription: { priceId: 'price_business_month' },
      failOnce: { method: 'setPriceFromPeriodEnd', error: new UpstreamError('timeout') },
    });
    await expect(service.applyChange(context('owner', onBusiness, 'req-a'), downgrade)).rejects.toThrow();

    await service.applyChange(context('owner', onBusiness, 'req-b'), downgrade);

    const [first, retry] = stripe.callsOf('createScheduleFromSubscription').map((c) => c.idempotencyKey);
    expect(retry).toBe(first);
    const [failed, completed] = stripe.callsOf('setPriceFromPeriodEnd').map((c) => c.idempotencyKey);
    expect(completed).toBe(failed);
  });

  it('gives moving a pending change back to an earlier choice a key of its own', async () => {
    const first = setup({
      subscription: { priceId: 'price_business_year', scheduleId: 'sub_sched_pending' },
    });
    const back = setup({
      subscription: { priceId: 'price_business_year', scheduleId: 'sub_sched_pending' },
      scheduleNextPriceId: 'price_team_month',
    });
    const ctx = context('owner', { ...TEAM_MONTHLY, plan: 'business', interval: 'year' });
    await first.service.applyChange(ctx, { plan: 'team', interval: 'year' });
    await back.service.applyChange(ctx, { plan: 'team', interval: 'year' });
    expect(back.stripe.callsOf('setPriceFromPeriodEnd')[0]?.idempotencyKey).not.toBe(
      first.stripe.callsOf('setPriceFromPeriodEnd')[0]?.idempotencyKey,
    );
  });

  it('completes an upgrade that failed after releasing the pending change, with the same keys', async () => {
    const { service, stripe } = setup({
      subscription: { scheduleId: 'sub_sched_pending' },
      failOnce: { method: 'changePriceNow', error: new UpstreamError('timeout') },
    });
    const upgrade = { plan: 'business', interval: 'month', prorationDate: NOW_SECONDS - 30 } as const;
    await expect(service.applyChange(context('owner', TEAM_MONTHLY, 'req-a'), upgrade)).rejects.toThrow();

    await service.applyChange(context('owner', TEAM_MONTHLY, 'req-b'), upgrade);

    const [released, releasedAgain] = stripe.callsOf('releaseSchedule').map((c) => c.idempotencyKey);
    expect(releasedAgain).toBe(released);
    const [failed, completed] = stripe.callsOf('changePriceNow').map((c) => c.idempotencyKey);
    expect(completed).toBe(failed);
  });
});

describe('sequences of Stripe calls', () => {
  const worstCases: [
    string,
    FakeStripeOptions,
    (service: ReturnType<typeof setup>['service']) => Promise<unknown>,
  ][] = [
    [
      'a first checkout',
      {},
      (service) => service.checkout(context('owner'), { plan: 'team', interval: 'month' }),
    ],
    [
      'a checkout replacing an open one',
      { checkoutStatus: 'open' },
      (service) =>
        service.checkout(
          context('owner', {
            customerId: 'cus_existing',
            checkoutSessionId: 'cs_before',
            checkoutExpiresAt: '2026-03-15T12:30:00.000Z',
          }),
          { plan: 'team', interval: 'month' },
        ),
    ],
    [
      'a downgrade',
      { subscription: { priceId: 'price_business_month' } },
      (service) =>
        service.applyChange(context('owner', { ...TEAM_MONTHLY, plan: 'business' }), {
          plan: 'team',
          interval: 'month',
        }),
    ],
    [
      'an upgrade over a pending change',
      { subscription: { scheduleId: 'sub_sched_pending' } },
      (service) =>
        service.applyChange(context('owner', TEAM_MONTHLY), {
          plan: 'business',
          interval: 'month',
          prorationDate: NOW_SECONDS,
        }),
    ],
    [
      'a cancellation over a pending change',
      { subscription: { scheduleId: 'sub_sched_pending' } },
      (service) => service.cancel(context('owner', TEAM_MONTHLY)),
    ],
  ];

  it.each(worstCases)(
    'make at most MAX_SEQUENTIAL_STRIPE_CALLS calls for %s',
    async (_name, options, run) => {
      const { service, stripe } = setup(options);
      await run(service);
      expect(stripe.calls.length).toBeLessThanOrEqual(MAX_SEQUENTIAL_STRIPE_CALLS);
    },
  );
});

describe('cancel and resume', () => {
  it('cancels at the period end and answers with the pending cancellation', async () => {
    const { service, stripe } = setup();
    const view = await service.cancel(context('owner', TEAM_MONTHLY));
    expect(view.cancelAtPeriodEnd).toBe(true);
    expect(stripe.callsOf('setCancelAtPeriodEnd')[0]?.args.slice(0, 2)).toEqual(['sub_live', true]);
  });

  it('releases a pending plan change before cancelling', async () => {
    const { service, stripe } = setup({ subscription: { scheduleId: 'sub_sched_pending' } });
    await service.cancel(context('owner', TEAM_MONTHLY));
    expect(stripe.calls.map((c) => c.method)).toEqual([
      'getSubscription',
      'releaseSchedule',
      'setCancelAtPeriodEnd',
    ]);
  });

  it('refuses to cancel twice', async () => {
    const { service } = setup();
    await expect(
      service.cancel(context('owner', { ...TEAM_MONTHLY, cancelAtPeriodEnd: true })),
    ).rejects.toThrow(ConflictError);
  });

  it('refuses to cancel without a live subscription', async () => {
    const { service } = setup();
    await expect(service.cancel(context('owner'))).rejects.toThrow(ConflictError);
  });

  it('resumes a pending cancellation', async () => {
    const { service, stripe, repo } = setup();
    const view = await service.resume(context('owner', { ...TEAM_MONTHLY, cancelAtPeriodEnd: true }));
    expect(view.cancelAtPeriodEnd).toBe(false);
    expect(stripe.callsOf('setCancelAtPeriodEnd')[0]?.args.slice(0, 2)).toEqual(['sub_live', false]);
    expect(repo.audits.map((a) => a.action)).toEqual(['billing.resumed']);
  });

  it('refuses to resume when no cancellation is pending', async () => {
    const { service, stripe } = setup();
    await expect(service.resume(context('owner', TEAM_MONTHLY))).rejects.toThrow(
      'No cancellation is pending',
    );
    expect(stripe.calls).toEqual([]);
  });

  it('lets a restricted tenant cancel', async () => {
    const { service } = setup();
    const ctx = context('owner', { ...TEAM_MONTHLY, status: 'past_due', restricted: true });
    await expect(service.cancel(ctx)).resolves.toMatchObject({ cancelAtPeriodEnd: true });
  });
});
