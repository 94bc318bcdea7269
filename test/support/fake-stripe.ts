import type {
  CheckoutSessionStatus,
  InvoicePreview,
  PreviewInput,
  StripeGateway,
  SubscriptionSnapshot,
} from '#shared/billing/stripe-gateway.ts';

/** One call the use case made on the gateway: the method, its arguments, and the idempotency key. */
export interface GatewayCall {
  readonly method: keyof StripeGateway;
  readonly args: readonly unknown[];
  readonly idempotencyKey: string | undefined;
}

export interface FakeStripeOptions {
  /** What `getSubscription` answers (merged over an active monthly subscription). */
  readonly subscription?: Partial<SubscriptionSnapshot>;
  /** What `previewPriceChange` answers; by default a fixed invoice per proration behaviour. */
  readonly preview?: (input: PreviewInput) => InvoicePreview;
  /** Every call throws this (a Stripe failure, already mapped by the real gateway). */
  readonly failWith?: Error;
  /** The pending price `getSchedule` reports (default none). */
  readonly scheduleNextPriceId?: string;
  /** What `getCheckoutSessionStatus` answers (default `open`). */
  readonly checkoutStatus?: CheckoutSessionStatus;
  /** Throws this from the named method only, on its first call (a failure mid-sequence). */
  readonly failOnce?: { readonly method: keyof StripeGateway; readonly error: Error };
}

export const FAKE_PERIOD_START = 1_772_323_200; // 2026-03-01T00:00:00Z
export const FAKE_PERIOD_END = 1_775_001_600; // 2026-04-01T00:00:00Z

const defaultPreview = (input: PreviewInput): InvoicePreview =>
  input.prorationBehavior === 'always_invoice'
    ? {
        currency: 'usd',
        amountDue: 3500,
        total: 3500,
        lines: [
          {
            amount: -1450,
            proration: true,
            periodStart: input.prorationDate ?? 0,
            periodEnd: FAKE_PERIOD_END,
          },
          {
            amount: 4950,
            proration: true,
            periodStart: input.prorationDate ?? 0,
            periodEnd: FAKE_PERIOD_END,
          },
        ],
      }
    : {
        currency: 'usd',
        amountDue: 9900,
        total: 9900,
        lines: [
          {
            amount: 9900,
            proration: false,
            periodStart: FAKE_PERIOD_END,
            periodEnd: FAKE_PERIOD_END + 2_678_400,
          },
        ],
      };

/**
 * An in-memory Stripe gateway for unit tests of the billing use cases: answers with fixed objects
 * and records every call with its idempotency key (the key is always the last argument).
 */
export function fakeStripe(options: FakeStripeOptions = {}) {
  const calls: GatewayCall[] = [];
  const subscription: SubscriptionSnapshot = {
    subscriptionId: 'sub_live',
    status: 'active',
    itemId: 'si_item',
    priceId: 'price_team_month',
    quantity: 1,
    currentPeriodEnd: FAKE_PERIOD_END,
    cancelAtPeriodEnd: false,
    scheduleId: null,
    ...options.subscription,
  };
  let failOnce = options.failOnce;
  const record = (method: keyof StripeGateway, args: unknown[], keyed: boolean) => {
    calls.push({ method, args, idempotencyKey: keyed ? (args.at(-1) as string) : undefined });
    if (options.failWith) throw options.failWith;
    if (failOnce?.method === method) {
      const { error } = failOnce;
      failOnce = undefined;
      throw error;
    }
  };

  const gateway: StripeGateway = {
    async createCustomer(...args) {
      record('createCustomer', args, true);
      return { customerId: 'cus_new' };
    },
    async createCheckoutSession(...args) {
      record('createCheckoutSession', args, true);
      return { sessionId: 'cs_test_1', url: 'https://checkout.stripe.test/c/cs_test_1' };
    },
    async getCheckoutSessionStatus(...args) {
      record('getCheckoutSessionStatus', args, false);
      return options.checkoutStatus ?? 'open';
    },
    async expireCheckoutSession(...args) {
      record('expireCheckoutSession', args, true);
    },
    async createPortalSession(...args) {
      record('createPortalSession', args, true);
      return { url: 'https://billing.stripe.test/p/session' };
    },
    async getSubscription(...args) {
      record('getSubscription', args, false);
      return subscription;
    },
    async previewPriceChange(...args) {
      record('previewPriceChange', args, true);
      return (options.preview ?? defaultPreview)(args[0]);
    },
    async changePriceNow(...args) {
      record('changePriceNow', args, true);
      return { status: 'active' };
    },
    async createScheduleFromSubscription(...args) {
      record('createScheduleFromSubscription', args, true);
      return { scheduleId: 'sub_sched_new', currentPhaseStart: FAKE_PERIOD_START, nextPriceId: null };
    },
    async getSchedule(...args) {
      record('getSchedule', args, false);
      return {
        scheduleId: args[0],
        currentPhaseStart: FAKE_PERIOD_START - 100,
        nextPriceId: options.scheduleNextPriceId ?? null,
      };
    },
    async setPriceFromPeriodEnd(...args) {
      record('setPriceFromPeriodEnd', args, true);
    },
    async releaseSchedule(...args) {
      record('releaseSchedule', args, true);
    },
    async setCancelAtPeriodEnd(...args) {
      record('setCancelAtPeriodEnd', args, true);
      return { status: 'active', cancelAtPeriodEnd: args[1] };
    },
    async createRefund(...args) {
      record('createRefund', args, true);
      const [input] = args;
      return {
        refundId: 're_1',
        chargeId: input.chargeId,
        amount: input.amount ?? 2900,
        currency: 'usd',
        status: 'succeeded',
      };
    },
    async createBalanceCredit(...args) {
      record('createBalanceCredit', args, true);
      const [input] = args;
      return {
        transactionId: 'cbtxn_1',
        amount: input.amount,
        currency: input.currency,
        endingBalance: -input.amount,
        created: FAKE_PERIOD_START,
      };
    },
    async compSubscription(...args) {
      record('compSubscription', args, true);
      return { couponId: 'coupon_comp_1', status: 'active' };
    },
    async cancelSubscriptionNow(...args) {
      record('cancelSubscriptionNow', args, true);
      return { status: 'canceled' };
    },
  };

  return {
    gateway,
    calls,
    /** The calls of one method, in order. */
    callsOf: (method: keyof StripeGateway) => calls.filter((c) => c.method === method),
  };
}
