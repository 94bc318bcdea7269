import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { STRIPE_API_VERSION } from '#shared/billing/stripe-client.ts';
import { createStripeGateway } from '#shared/billing/stripe-gateway.ts';
import { ConflictError, UpstreamError } from '#shared/http/errors.ts';

interface SentRequest {
  readonly method: string;
  readonly path: string;
  readonly form: URLSearchParams;
  readonly headers: Headers;
}

/**
 * A gateway over a real stripe-node client whose HTTP goes to an in-memory fetch: the test sees
 * exactly what would go over the wire and chooses Stripe's answer, without any network.
 */
function gatewayAnswering(status: number, body: unknown) {
  const sent: SentRequest[] = [];
  const fetchFn: typeof fetch = async (input, init) => {
    const url = new URL(String(input));
    sent.push({
      method: init?.method ?? 'GET',
      path: url.pathname,
      form: new URLSearchParams(typeof init?.body === 'string' ? init.body : url.search),
      headers: new Headers(init?.headers),
    });
    return new Response(JSON.stringify(body), {
      status,
      headers: { 'content-type': 'application/json', 'request-id': 'req_stripe_1' },
    });
  };
  const stripe = new Stripe('sk_test_unit', {
    apiVersion: STRIPE_API_VERSION,
    httpClient: Stripe.createFetchHttpClient(fetchFn),
    maxNetworkRetries: 0,
  });
  return { gateway: createStripeGateway(stripe), sent };
}

const stripeError = (fields: Record<string, string>) => ({
  error: { type: 'invalid_request_error', ...fields },
});

describe('stripe gateway', () => {
  it('sends the idempotency key and the pinned API version with a POST', async () => {
    const { gateway, sent } = gatewayAnswering(200, { id: 'cus_1', object: 'customer' });
    await gateway.createCustomer({ tenantId: 't1', name: 'Acme' }, 'plinth-customer-abc');
    expect(sent[0]?.headers.get('idempotency-key')).toBe('plinth-customer-abc');
    expect(sent[0]?.headers.get('stripe-version')).toBe(STRIPE_API_VERSION);
  });

  it('creates a subscription Checkout Session that carries the tenant id three ways', async () => {
    const { gateway, sent } = gatewayAnswering(200, {
      id: 'cs_1',
      object: 'checkout.session',
      url: 'https://x',
    });
    await gateway.createCheckoutSession(
      {
        tenantId: 't1',
        customerId: 'cus_1',
        priceId: 'price_team_month',
        successUrl: 'https://app/ok',
        cancelUrl: 'https://app/no',
        expiresAt: 1_773_003_600,
      },
      'k',
    );
    const form = sent[0]?.form;
    expect(sent[0]?.path).toBe('/v1/checkout/sessions');
    expect(Object.fromEntries(form ?? [])).toMatchObject({
      mode: 'subscription',
      customer: 'cus_1',
      'line_items[0][price]': 'price_team_month',
      'line_items[0][quantity]': '1',
      client_reference_id: 't1',
      'metadata[tenantId]': 't1',
      'subscription_data[metadata][tenantId]': 't1',
      expires_at: '1773003600',
    });
  });

  it('reads the pending price of a schedule from the phase after the current one', async () => {
    const { gateway } = gatewayAnswering(200, {
      id: 'sub_sched_1',
      object: 'subscription_schedule',
      current_phase: { start_date: 100, end_date: 200 },
      phases: [
        { start_date: 100, end_date: 200, items: [{ price: 'price_a', quantity: 1 }] },
        { start_date: 200, end_date: 300, items: [{ price: 'price_b', quantity: 1 }] },
      ],
    });
    expect(await gateway.getSchedule('sub_sched_1')).toEqual({
      scheduleId: 'sub_sched_1',
      currentPhaseStart: 100,
      nextPriceId: 'price_b',
    });
  });

  it('expires a Checkout Session with its idempotency key', async () => {
    const { gateway, sent } = gatewayAnswering(200, {
      id: 'cs_1',
      object: 'checkout.session',
      status: 'expired',
    });
    await gateway.expireCheckoutSession('cs_1', 'plinth-checkout-expire-x');
    expect(sent[0]?.path).toBe('/v1/checkout/sessions/cs_1/expire');
    expect(sent[0]?.headers.get('idempotency-key')).toBe('plinth-checkout-expire-x');
  });

  it("reads a Checkout Session's status", async () => {
    const { gateway } = gatewayAnswering(200, { id: 'cs_1', object: 'checkout.session', status: 'complete' });
    expect(await gateway.getCheckoutSessionStatus('cs_1')).toBe('complete');
  });

  it('updates the item price with prorations invoiced now at the given proration date', async () => {
    const { gateway, sent } = gatewayAnswering(200, {
      id: 'sub_1',
      object: 'subscription',
      status: 'active',
    });
    await gateway.changePriceNow(
      { subscriptionId: 'sub_1', itemId: 'si_1', priceId: 'price_b', prorationDate: 1_773_000_000 },
      'k',
    );
    expect(Object.fromEntries(sent[0]?.form ?? [])).toEqual({
      'items[0][id]': 'si_1',
      'items[0][price]': 'price_b',
      proration_behavior: 'always_invoice',
      proration_date: '1773000000',
    });
  });

  it('keeps the current phase until the period end and starts the next price without proration', async () => {
    const { gateway, sent } = gatewayAnswering(200, { id: 'sub_sched_1', object: 'subscription_schedule' });
    await gateway.setPriceFromPeriodEnd(
      {
        scheduleId: 'sub_sched_1',
        current: { priceId: 'price_a', quantity: 1, startsAt: 100, endsAt: 200 },
        next: { priceId: 'price_b', quantity: 1, interval: 'month' },
      },
      'k',
    );
    expect(Object.fromEntries(sent[0]?.form ?? [])).toMatchObject({
      end_behavior: 'release',
      'phases[0][items][0][price]': 'price_a',
      'phases[0][start_date]': '100',
      'phases[0][end_date]': '200',
      'phases[1][items][0][price]': 'price_b',
      'phases[1][proration_behavior]': 'none',
    });
  });

  it('reads proration lines from their parent, as Stripe recommends', async () => {
    const { gateway } = gatewayAnswering(200, {
      object: 'invoice',
      currency: 'usd',
      amount_due: 500,
      total: 500,
      lines: {
        object: 'list',
        data: [
          {
            amount: -100,
            period: { start: 1, end: 2 },
            parent: { type: 'subscription_item_details', subscription_item_details: { proration: true } },
          },
          { amount: 600, period: { start: 2, end: 3 }, parent: null },
        ],
      },
    });
    const preview = await gateway.previewPriceChange(
      { subscriptionId: 'sub_1', itemId: 'si_1', priceId: 'price_b', prorationBehavior: 'none' },
      'k',
    );
    expect(preview.lines.map((l) => l.proration)).toEqual([true, false]);
  });

  it('turns a Stripe failure into a 502 that does not repeat Stripe’s message', async () => {
    const { gateway } = gatewayAnswering(401, {
      error: { type: 'invalid_request_error', message: 'Invalid API Key provided: sk_test_unit' },
    });
    const failure = await gateway
      .createCustomer({ tenantId: 't1', name: 'Acme' }, 'k')
      .catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(UpstreamError);
    expect(JSON.stringify(failure)).not.toContain('sk_test');
    expect((failure as Error).message).not.toContain('sk_test');
    expect((failure as Error).cause).toBeUndefined();
  });

  it('turns a 400 for a request we built into a 502', async () => {
    const { gateway } = gatewayAnswering(400, stripeError({ message: 'No such price', param: 'price' }));
    await expect(
      gateway.changePriceNow(
        { subscriptionId: 'sub_1', itemId: 'si_1', priceId: 'price_x', prorationDate: 1 },
        'k',
      ),
    ).rejects.toThrow(UpstreamError);
  });

  it('reports a charge refunded already as a conflict', async () => {
    const { gateway } = gatewayAnswering(
      400,
      stripeError({ code: 'charge_already_refunded', message: 'refunded' }),
    );
    await expect(gateway.createRefund({ chargeId: 'ch_1', metadata: {} }, 'k')).rejects.toThrow(
      ConflictError,
    );
  });

  it('sends a refund without an amount as a full refund', async () => {
    const { gateway, sent } = gatewayAnswering(200, {
      id: 're_1',
      object: 'refund',
      amount: 2900,
      currency: 'usd',
      status: 'succeeded',
      charge: 'ch_1',
    });
    const refund = await gateway.createRefund({ chargeId: 'ch_1', metadata: { reason: 'duplicate' } }, 'k');
    expect(sent[0]?.form.has('amount')).toBe(false);
    expect(refund).toEqual({
      refundId: 're_1',
      chargeId: 'ch_1',
      amount: 2900,
      currency: 'usd',
      status: 'succeeded',
    });
  });

  it('credits a customer balance with a negative transaction, the key and the reason', async () => {
    const { gateway, sent } = gatewayAnswering(200, {
      id: 'cbtxn_1',
      object: 'customer_balance_transaction',
      amount: -1500,
      currency: 'usd',
      ending_balance: -1500,
      created: 1_780_000_000,
    });
    const credit = await gateway.createBalanceCredit(
      {
        customerId: 'cus_1',
        amount: 1500,
        currency: 'usd',
        description: 'Outage',
        metadata: { tenantId: 't1' },
      },
      'plinth-admin-credit-k',
    );
    expect(sent[0]?.path).toBe('/v1/customers/cus_1/balance_transactions');
    expect(Object.fromEntries(sent[0]?.form ?? [])).toEqual({
      amount: '-1500',
      currency: 'usd',
      description: 'Outage',
      'metadata[tenantId]': 't1',
    });
    expect(sent[0]?.headers.get('idempotency-key')).toBe('plinth-admin-credit-k');
    expect(credit).toEqual({
      transactionId: 'cbtxn_1',
      amount: 1500,
      currency: 'usd',
      endingBalance: -1500,
      created: 1_780_000_000,
    });
  });

  it('comps with a single-use 100% repeating coupon, then applies it without proration', async () => {
    const { gateway, sent } = gatewayAnswering(200, { id: 'Zcomp1', object: 'coupon', status: 'active' });
    await gateway.compSubscription(
      { subscriptionId: 'sub_1', months: 3, name: 'Comp', metadata: { plinthComp: 'true' } },
      'plinth-admin-comp-k',
    );
    expect(sent.map((r) => r.path)).toEqual(['/v1/coupons', '/v1/subscriptions/sub_1']);
    expect(Object.fromEntries(sent[0]?.form ?? [])).toEqual({
      percent_off: '100',
      duration: 'repeating',
      duration_in_months: '3',
      max_redemptions: '1',
      name: 'Comp',
      'metadata[plinthComp]': 'true',
    });
    expect(Object.fromEntries(sent[1]?.form ?? [])).toEqual({
      'discounts[0][coupon]': 'Zcomp1',
      proration_behavior: 'none',
    });
    expect(sent.map((r) => r.headers.get('idempotency-key'))).toEqual([
      'plinth-admin-comp-k-coupon',
      'plinth-admin-comp-k-apply',
    ]);
  });

  it('moves the item to the comped plan’s price when the comp names another plan', async () => {
    const { gateway, sent } = gatewayAnswering(200, { id: 'Zcomp1', object: 'coupon', status: 'active' });
    await gateway.compSubscription(
      {
        subscriptionId: 'sub_1',
        months: 1,
        name: 'Comp',
        priceId: 'price_biz',
        itemId: 'si_1',
        metadata: {},
      },
      'k',
    );
    expect(sent[1]?.form.get('items[0][id]')).toBe('si_1');
    expect(sent[1]?.form.get('items[0][price]')).toBe('price_biz');
  });

  it('cancels a subscription now without proration, with the key', async () => {
    const { gateway, sent } = gatewayAnswering(200, {
      id: 'sub_1',
      object: 'subscription',
      status: 'canceled',
    });
    const result = await gateway.cancelSubscriptionNow('sub_1', 'plinth-admin-cancel-k');
    expect(sent[0]).toMatchObject({ method: 'DELETE', path: '/v1/subscriptions/sub_1' });
    expect(sent[0]?.form.get('prorate')).toBe('false');
    expect(sent[0]?.headers.get('idempotency-key')).toBe('plinth-admin-cancel-k');
    expect(result).toEqual({ status: 'canceled' });
  });

  it('turns a Stripe error on a credit into a 502', async () => {
    const { gateway } = gatewayAnswering(
      400,
      stripeError({ code: 'resource_missing', message: 'No such customer' }),
    );
    await expect(
      gateway.createBalanceCredit(
        { customerId: 'cus_1', amount: 1, currency: 'usd', description: 'x', metadata: {} },
        'k',
      ),
    ).rejects.toThrow(UpstreamError);
  });
});
