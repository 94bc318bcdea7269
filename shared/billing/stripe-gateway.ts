import type Stripe from 'stripe';
import { ConflictError, UpstreamError } from '../http/errors.ts';
import { logger } from '../observability/logger.ts';
import type { BillingInterval } from './plans.ts';
import { type SubscriptionStatus, subscriptionStatusSchema } from './subscription-status.schema.ts';

/**
 * The outbound side of billing: the few Stripe operations Plinth performs, in Plinth's terms. The
 * use cases depend on this interface (unit tests pass a fake); {@link createStripeGateway} is the
 * stripe-node implementation. Every POST takes an idempotency key (see {@link idempotencyKey}).
 */
export interface StripeGateway {
  createCustomer(input: CustomerInput, idempotencyKey: string): Promise<{ customerId: string }>;
  createCheckoutSession(input: CheckoutInput, idempotencyKey: string): Promise<CheckoutSession>;
  /** Where a Checkout Session stands: `open` (can still be paid), `complete` or `expired`. */
  getCheckoutSessionStatus(sessionId: string): Promise<CheckoutSessionStatus>;
  /** Expires an open Checkout Session: it can no longer be paid. */
  expireCheckoutSession(sessionId: string, idempotencyKey: string): Promise<void>;
  createPortalSession(
    input: { customerId: string; returnUrl: string },
    idempotencyKey: string,
  ): Promise<{ url: string }>;
  getSubscription(subscriptionId: string): Promise<SubscriptionSnapshot>;
  /** Stripe's invoice preview of changing the subscription's one item to `priceId`. */
  previewPriceChange(input: PreviewInput, idempotencyKey: string): Promise<InvoicePreview>;
  /** Moves the item to `priceId` now, invoicing the prorations at once (computed at `prorationDate`). */
  changePriceNow(input: ChangeNowInput, idempotencyKey: string): Promise<{ status: SubscriptionStatus }>;
  /** Puts the subscription under a new subscription schedule that mirrors its current state. */
  createScheduleFromSubscription(subscriptionId: string, idempotencyKey: string): Promise<ScheduleSnapshot>;
  getSchedule(scheduleId: string): Promise<ScheduleSnapshot>;
  /** Keeps the current price until `current.endsAt`, then switches to `next` with no proration. */
  setPriceFromPeriodEnd(input: PeriodEndChangeInput, idempotencyKey: string): Promise<void>;
  /** Detaches the schedule; the subscription keeps its current price and drops any pending phase. */
  releaseSchedule(scheduleId: string, idempotencyKey: string): Promise<void>;
  setCancelAtPeriodEnd(
    subscriptionId: string,
    cancelAtPeriodEnd: boolean,
    idempotencyKey: string,
  ): Promise<{ status: SubscriptionStatus; cancelAtPeriodEnd: boolean }>;
  createRefund(input: RefundInput, idempotencyKey: string): Promise<RefundResult>;
  /**
   * Credits the customer's balance (a negative customer balance transaction): Stripe applies it to
   * the customer's next invoices before charging.
   */
  createBalanceCredit(input: BalanceCreditInput, idempotencyKey: string): Promise<BalanceCredit>;
  /**
   * Comps a subscription: a single-use 100% coupon for `months` billing months, applied to the
   * subscription without proration (and, with `priceId`, the item moved to that price).
   */
  compSubscription(input: CompInput, idempotencyKey: string): Promise<CompResult>;
  /** Cancels the subscription now (no proration credit, nothing more invoiced). */
  cancelSubscriptionNow(
    subscriptionId: string,
    idempotencyKey: string,
  ): Promise<{ status: SubscriptionStatus }>;
}

export interface BalanceCreditInput {
  readonly customerId: string;
  /** Minor units, positive: the credit given (sent to Stripe as a negative amount). */
  readonly amount: number;
  readonly currency: string;
  readonly description: string;
  readonly metadata: Readonly<Record<string, string>>;
}

export interface BalanceCredit {
  readonly transactionId: string;
  /** Minor units, positive: the credit given. */
  readonly amount: number;
  readonly currency: string;
  /** The customer's balance after the credit (negative: credit left for future invoices). */
  readonly endingBalance: number;
  /** Epoch seconds. */
  readonly created: number;
}

export interface CompInput {
  readonly subscriptionId: string;
  /** Whole billing months the coupon discounts (Stripe's `duration_in_months`). */
  readonly months: number;
  /** The coupon's name, shown on the customer's invoices. */
  readonly name: string;
  /** With `itemId`: the price the subscription moves to (a comped plan other than its own). */
  readonly priceId?: string | undefined;
  readonly itemId?: string | undefined;
  /** On the coupon; the webhook recognises a comp by `plinthComp: 'true'`. */
  readonly metadata: Readonly<Record<string, string>>;
}

export interface CompResult {
  readonly couponId: string;
  readonly status: SubscriptionStatus;
}

export interface CustomerInput {
  readonly tenantId: string;
  readonly name: string;
}

export interface CheckoutInput {
  readonly tenantId: string;
  readonly customerId: string;
  readonly priceId: string;
  readonly successUrl: string;
  readonly cancelUrl: string;
  /** Epoch seconds when Stripe expires the session if unpaid (30 minutes to 24 hours ahead). */
  readonly expiresAt: number;
}

export type CheckoutSessionStatus = 'open' | 'complete' | 'expired';

export interface CheckoutSession {
  readonly sessionId: string;
  readonly url: string;
}

/** What the use cases need of a Stripe subscription with one item (Plinth sells one price per tenant). */
export interface SubscriptionSnapshot {
  readonly subscriptionId: string;
  readonly status: SubscriptionStatus;
  readonly itemId: string;
  readonly priceId: string;
  readonly quantity: number;
  /** Epoch seconds; on the item since Stripe's 2025 API versions. */
  readonly currentPeriodEnd: number;
  readonly cancelAtPeriodEnd: boolean;
  /** The subscription schedule managing it (a pending period-end change), if any. */
  readonly scheduleId: string | null;
}

export interface ScheduleSnapshot {
  readonly scheduleId: string;
  /** Epoch seconds: Stripe requires the current phase's start unchanged when phases are rewritten. */
  readonly currentPhaseStart: number;
  /** The price of the phase after the current one (a pending change), or null when there is none. */
  readonly nextPriceId: string | null;
}

export interface PreviewInput {
  readonly subscriptionId: string;
  readonly itemId: string;
  readonly priceId: string;
  /** `always_invoice`: the invoice the change creates now; `none`: the next invoice at the new price. */
  readonly prorationBehavior: 'always_invoice' | 'none';
  /** Sent with `always_invoice` only: prorations are computed as of this time (epoch seconds). */
  readonly prorationDate?: number | undefined;
}

export interface InvoicePreviewLine {
  readonly amount: number;
  /** A proration line (`parent.*_details.proration`), as Stripe recommends identifying them. */
  readonly proration: boolean;
  readonly periodStart: number;
  readonly periodEnd: number;
}

export interface InvoicePreview {
  readonly currency: string;
  /** What would be collected for this invoice (after credits and customer balance). */
  readonly amountDue: number;
  /** Total with tax and discounts. */
  readonly total: number;
  readonly lines: readonly InvoicePreviewLine[];
}

export interface ChangeNowInput {
  readonly subscriptionId: string;
  readonly itemId: string;
  readonly priceId: string;
  readonly prorationDate: number;
}

export interface PeriodEndChangeInput {
  readonly scheduleId: string;
  readonly current: {
    readonly priceId: string;
    readonly quantity: number;
    readonly startsAt: number;
    readonly endsAt: number;
  };
  readonly next: { readonly priceId: string; readonly quantity: number; readonly interval: BillingInterval };
}

export interface RefundInput {
  readonly chargeId: string;
  /** Minor units; absent = the whole remaining amount. */
  readonly amount?: number | undefined;
  readonly metadata: Readonly<Record<string, string>>;
}

export interface RefundResult {
  readonly refundId: string;
  readonly chargeId: string;
  readonly amount: number;
  readonly currency: string;
  readonly status: string;
}

export { idempotencyKey } from './idempotency-key.ts';

/** Stripe codes that are a conflict with the object's state rather than a fault of ours. */
const CONFLICTS: Readonly<Record<string, string>> = {
  charge_already_refunded: 'The charge has already been refunded in full.',
};

/**
 * Runs one Stripe call; any Stripe failure becomes a 502 with a log line. Stripe's message is never
 * passed on (not even as `cause`): some echo credentials. Its type, code and request id are enough
 * to find the request in Stripe's dashboard.
 */
async function callStripe<T>(errors: Stripe['errors'], operation: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (!(error instanceof errors.StripeError)) throw error;
    const facts = {
      operation,
      stripeErrorType: error.type,
      stripeCode: error.code,
      stripeParam: error.param,
      stripeStatus: error.statusCode,
      stripeRequestId: error.requestId,
    };
    const conflict = error.code ? CONFLICTS[error.code] : undefined;
    if (conflict) {
      logger.info('Stripe refused a request as a conflict', facts);
      throw new ConflictError(conflict);
    }
    // A 4xx here means we sent a request Stripe rejects: a bug or a configuration error (price ids, key).
    logger.error('Stripe request failed', facts);
    throw new UpstreamError('The payment provider could not complete the request; nothing was changed.');
  }
}

/** Stripe's status list is open-ended in its types; one we do not know is an upstream surprise. */
function statusOf(subscription: Stripe.Subscription): SubscriptionStatus {
  const parsed = subscriptionStatusSchema().safeParse(subscription.status);
  if (!parsed.success || parsed.data === 'none') {
    throw new UpstreamError(`Stripe subscription ${subscription.id} has an unknown status.`);
  }
  return parsed.data;
}

const idOf = (value: string | { id: string } | null | undefined): string | null =>
  value == null ? null : typeof value === 'string' ? value : value.id;

function snapshotOf(subscription: Stripe.Subscription): SubscriptionSnapshot {
  const item = subscription.items.data[0];
  if (!item) {
    throw new UpstreamError(`Stripe subscription ${subscription.id} has no items.`);
  }
  return {
    subscriptionId: subscription.id,
    status: statusOf(subscription),
    itemId: item.id,
    priceId: item.price.id,
    quantity: item.quantity ?? 1,
    currentPeriodEnd: item.current_period_end,
    cancelAtPeriodEnd: subscription.cancel_at_period_end,
    scheduleId: idOf(subscription.schedule),
  };
}

function scheduleOf(schedule: Stripe.SubscriptionSchedule): ScheduleSnapshot {
  const start = schedule.current_phase?.start_date ?? schedule.phases[0]?.start_date;
  if (start === undefined) {
    throw new UpstreamError(`Stripe subscription schedule ${schedule.id} has no current phase.`);
  }
  const next = schedule.phases.find((phase) => phase.start_date > start);
  return { scheduleId: schedule.id, currentPhaseStart: start, nextPriceId: idOf(next?.items[0]?.price) };
}

function previewOf(invoice: Stripe.Invoice): InvoicePreview {
  // A one-item subscription's preview has a handful of lines, well inside the first page.
  return {
    currency: invoice.currency,
    amountDue: invoice.amount_due,
    total: invoice.total,
    lines: invoice.lines.data.map((line) => ({
      amount: line.amount,
      proration:
        line.parent?.subscription_item_details?.proration === true ||
        line.parent?.invoice_item_details?.proration === true,
      periodStart: line.period.start,
      periodEnd: line.period.end,
    })),
  };
}

/** The stripe-node implementation; `stripe` is built once per container (stripe-client.ts). */
export function createStripeGateway(stripe: Stripe): StripeGateway {
  // The error classes come from the client: this module imports stripe-node's types only, so the
  // use cases that import it (for idempotencyKey) do not load stripe-node at cold start.
  const call = <T>(operation: string, run: () => Promise<T>) => callStripe(stripe.errors, operation, run);
  return {
    async createCustomer({ tenantId, name }, key) {
      const customer = await call('customers.create', () =>
        stripe.customers.create({ name, metadata: { tenantId } }, { idempotencyKey: key }),
      );
      return { customerId: customer.id };
    },

    async createCheckoutSession(input, key) {
      const session = await call('checkout.sessions.create', () =>
        stripe.checkout.sessions.create(
          {
            mode: 'subscription',
            customer: input.customerId,
            line_items: [{ price: input.priceId, quantity: 1 }],
            client_reference_id: input.tenantId,
            metadata: { tenantId: input.tenantId },
            subscription_data: { metadata: { tenantId: input.tenantId } },
            success_url: input.successUrl,
            cancel_url: input.cancelUrl,
            expires_at: input.expiresAt,
          },
          { idempotencyKey: key },
        ),
      );
      if (!session.url) throw new UpstreamError('Stripe returned a Checkout Session without a URL.');
      return { sessionId: session.id, url: session.url };
    },

    async getCheckoutSessionStatus(sessionId) {
      const session = await call('checkout.sessions.retrieve', () =>
        stripe.checkout.sessions.retrieve(sessionId),
      );
      const status: string | null = session.status;
      if (status === 'open' || status === 'complete' || status === 'expired') return status;
      throw new UpstreamError(`Stripe Checkout Session ${sessionId} has an unknown status.`);
    },

    async expireCheckoutSession(sessionId, key) {
      await call('checkout.sessions.expire', () =>
        stripe.checkout.sessions.expire(sessionId, {}, { idempotencyKey: key }),
      );
    },

    async createPortalSession({ customerId, returnUrl }, key) {
      const session = await call('billing_portal.sessions.create', () =>
        stripe.billingPortal.sessions.create(
          { customer: customerId, return_url: returnUrl },
          { idempotencyKey: key },
        ),
      );
      return { url: session.url };
    },

    async getSubscription(subscriptionId) {
      return snapshotOf(
        await call('subscriptions.retrieve', () => stripe.subscriptions.retrieve(subscriptionId)),
      );
    },

    async previewPriceChange(input, key) {
      const invoice = await call('invoices.createPreview', () =>
        stripe.invoices.createPreview(
          {
            subscription: input.subscriptionId,
            subscription_details: {
              items: [{ id: input.itemId, price: input.priceId }],
              proration_behavior: input.prorationBehavior,
              ...(input.prorationDate === undefined ? {} : { proration_date: input.prorationDate }),
            },
          },
          { idempotencyKey: key },
        ),
      );
      return previewOf(invoice);
    },

    async changePriceNow(input, key) {
      const subscription = await call('subscriptions.update', () =>
        stripe.subscriptions.update(
          input.subscriptionId,
          {
            items: [{ id: input.itemId, price: input.priceId }],
            proration_behavior: 'always_invoice',
            proration_date: input.prorationDate,
          },
          { idempotencyKey: key },
        ),
      );
      return { status: statusOf(subscription) };
    },

    async createScheduleFromSubscription(subscriptionId, key) {
      const schedule = await call('subscription_schedules.create', () =>
        stripe.subscriptionSchedules.create({ from_subscription: subscriptionId }, { idempotencyKey: key }),
      );
      return scheduleOf(schedule);
    },

    async getSchedule(scheduleId) {
      return scheduleOf(
        await call('subscription_schedules.retrieve', () =>
          stripe.subscriptionSchedules.retrieve(scheduleId),
        ),
      );
    },

    async setPriceFromPeriodEnd({ scheduleId, current, next }, key) {
      await call('subscription_schedules.update', () =>
        stripe.subscriptionSchedules.update(
          scheduleId,
          {
            // After the last phase the schedule lets go and the subscription renews on its own.
            end_behavior: 'release',
            proration_behavior: 'none',
            phases: [
              {
                items: [{ price: current.priceId, quantity: current.quantity }],
                start_date: current.startsAt,
                end_date: current.endsAt,
              },
              {
                items: [{ price: next.priceId, quantity: next.quantity }],
                duration: { interval: next.interval, interval_count: 1 },
                proration_behavior: 'none',
              },
            ],
          },
          { idempotencyKey: key },
        ),
      );
    },

    async releaseSchedule(scheduleId, key) {
      await call('subscription_schedules.release', () =>
        stripe.subscriptionSchedules.release(scheduleId, {}, { idempotencyKey: key }),
      );
    },

    async setCancelAtPeriodEnd(subscriptionId, cancelAtPeriodEnd, key) {
      const subscription = await call('subscriptions.update', () =>
        stripe.subscriptions.update(
          subscriptionId,
          { cancel_at_period_end: cancelAtPeriodEnd },
          { idempotencyKey: key },
        ),
      );
      return { status: statusOf(subscription), cancelAtPeriodEnd: subscription.cancel_at_period_end };
    },

    async createBalanceCredit(input, key) {
      const transaction = await call('customers.createBalanceTransaction', () =>
        stripe.customers.createBalanceTransaction(
          input.customerId,
          {
            amount: -input.amount,
            currency: input.currency,
            description: input.description,
            metadata: { ...input.metadata },
          },
          { idempotencyKey: key },
        ),
      );
      return {
        transactionId: transaction.id,
        amount: -transaction.amount,
        currency: transaction.currency,
        endingBalance: transaction.ending_balance,
        created: transaction.created,
      };
    },

    async compSubscription(input, key) {
      // Two calls, each with its own key derived from the request's: a retry after the second
      // failed re-uses the coupon the first created instead of making another.
      const coupon = await call('coupons.create', () =>
        stripe.coupons.create(
          {
            percent_off: 100,
            duration: 'repeating',
            duration_in_months: input.months,
            max_redemptions: 1,
            name: input.name,
            metadata: { ...input.metadata },
          },
          { idempotencyKey: `${key}-coupon` },
        ),
      );
      const subscription = await call('subscriptions.update', () =>
        stripe.subscriptions.update(
          input.subscriptionId,
          {
            discounts: [{ coupon: coupon.id }],
            proration_behavior: 'none',
            ...(input.priceId && input.itemId ? { items: [{ id: input.itemId, price: input.priceId }] } : {}),
          },
          { idempotencyKey: `${key}-apply` },
        ),
      );
      return { couponId: coupon.id, status: statusOf(subscription) };
    },

    async cancelSubscriptionNow(subscriptionId, key) {
      const subscription = await call('subscriptions.cancel', () =>
        stripe.subscriptions.cancel(subscriptionId, { prorate: false }, { idempotencyKey: key }),
      );
      return { status: statusOf(subscription) };
    },

    async createRefund({ chargeId, amount, metadata }, key) {
      const refund = await call('refunds.create', () =>
        stripe.refunds.create(
          { charge: chargeId, ...(amount === undefined ? {} : { amount }), metadata: { ...metadata } },
          { idempotencyKey: key },
        ),
      );
      return {
        refundId: refund.id,
        chargeId: idOf(refund.charge) ?? chargeId,
        amount: refund.amount,
        currency: refund.currency,
        status: refund.status ?? 'pending',
      };
    },
  };
}
