import * as z from 'zod';
import { lazyValue } from '../app/deferred.ts';
import { moneySchema } from '../billing/money.schema.ts';
import { billingIntervalSchema, planIdSchema } from '../billing/plans.ts';
import { subscriptionStatusSchema } from '../billing/subscription-status.schema.ts';
import { EVENT_SOURCE } from './bus.ts';

/**
 * The subscription events on the bus: one zod schema per `detail-type`, versioned. They are the
 * contract: publishers build details with them and consumers (analytics, notifications) parse with
 * them. A breaking change gets a new version (`… v2`) alongside the old one.
 */
export const subscriptionDetail = /* @__PURE__ */ lazyValue(() =>
  z.object({
    /** The Plinth event id (also the EventBridge entry's idempotency handle for consumers). */
    eventId: z.string(),
    tenantId: z.string(),
    subscriptionId: z.string().nullable(),
    plan: planIdSchema(),
    interval: billingIntervalSchema().nullable(),
    status: subscriptionStatusSchema(),
    /** Monthly-normalised recurring amount: annual / 12, quantity and discounts applied, tax excluded. */
    amount: moneySchema(),
    previousAmount: moneySchema(),
    /**
     * After the change an operator's comp (a 100% coupon) holds the subscription's MRR at 0: MRR
     * analytics records `comp` / `comp_end` movements instead of churn and reactivation. Absent: no.
     */
    comp: z.boolean().optional(),
    stripeEventId: z.string().nullable(),
    /** When the change happened (the Stripe event's time, or the sweep's). */
    occurredAt: z.iso.datetime(),
  }),
);
export type SubscriptionDetail = z.infer<ReturnType<typeof subscriptionDetail>>;

export const invoiceDetail = /* @__PURE__ */ lazyValue(() =>
  subscriptionDetail().extend({
    invoiceId: z.string(),
    /** What the invoice charged or tried to charge, tax included. */
    invoiceAmount: moneySchema(),
    attemptCount: z.number().int().nonnegative(),
  }),
);
export type InvoiceDetail = z.infer<ReturnType<typeof invoiceDetail>>;

export const refundDetail = /* @__PURE__ */ lazyValue(() =>
  subscriptionDetail().extend({
    refundId: z.string(),
    chargeId: z.string(),
    refundAmount: moneySchema(),
    reason: z.string().nullable(),
  }),
);
export type RefundDetail = z.infer<ReturnType<typeof refundDetail>>;

/** A renewal is coming (Stripe's `invoice.upcoming`): annual plans remind their billing admins. */
export const renewalDetail = /* @__PURE__ */ lazyValue(() =>
  subscriptionDetail().extend({
    /** When the renewal is charged. */
    renewsAt: z.iso.datetime(),
    /** What the renewal invoice will charge, tax included (Stripe's preview of it). */
    invoiceAmount: moneySchema(),
  }),
);
export type RenewalDetail = z.infer<ReturnType<typeof renewalDetail>>;

/** A customer disputed a payment (`charge.dispute.created`), or the dispute ended (`.closed`). */
export const disputeDetail = /* @__PURE__ */ lazyValue(() =>
  subscriptionDetail().extend({
    disputeId: z.string(),
    chargeId: z.string(),
    disputeAmount: moneySchema(),
    /** Stripe's reason code (`fraudulent`, `product_not_received`, …). */
    reason: z.string().nullable(),
    /** Stripe's dispute status (`needs_response`, `won`, `lost`, …). */
    disputeStatus: z.string(),
    /** When evidence is due at Stripe; null once closed or when Stripe names none. */
    evidenceDueBy: z.iso.datetime().nullable(),
  }),
);
export type DisputeDetail = z.infer<ReturnType<typeof disputeDetail>>;

/** detail-type → schema. */
export const subscriptionEvents = {
  'Subscription Started v1': subscriptionDetail(),
  'Subscription Changed v1': subscriptionDetail(),
  'Subscription Past Due v1': subscriptionDetail(),
  'Subscription Restricted v1': subscriptionDetail(),
  'Subscription Canceled v1': subscriptionDetail(),
  'Subscription Reactivated v1': subscriptionDetail(),
  'Invoice Paid v1': invoiceDetail(),
  'Payment Failed v1': invoiceDetail(),
  'Refund Issued v1': refundDetail(),
  'Renewal Upcoming v1': renewalDetail(),
  'Dispute Opened v1': disputeDetail(),
  'Dispute Closed v1': disputeDetail(),
} as const;

export type SubscriptionEventType = keyof typeof subscriptionEvents;
export type DetailOf<T extends SubscriptionEventType> = z.infer<(typeof subscriptionEvents)[T]>;

/** One event as stored in the outbox and put on the bus. */
export interface DomainEvent<T extends SubscriptionEventType = SubscriptionEventType> {
  readonly source: typeof EVENT_SOURCE;
  readonly detailType: T;
  readonly detail: DetailOf<T>;
}

/** Builds an event, validating its detail against its schema (a bug here fails loudly, before any write). */
export function subscriptionEvent<T extends SubscriptionEventType>(
  detailType: T,
  detail: DetailOf<T>,
): DomainEvent<T> {
  return {
    source: EVENT_SOURCE,
    detailType,
    detail: subscriptionEvents[detailType].parse(detail) as DetailOf<T>,
  };
}

/** Parses a bus event's detail for a consumer; throws on a detail that breaks the contract. */
export function parseSubscriptionEvent<T extends SubscriptionEventType>(
  detailType: T,
  detail: unknown,
): DetailOf<T> {
  return subscriptionEvents[detailType].parse(detail) as DetailOf<T>;
}
