import * as z from 'zod';
import { lazyValue } from '../../app/deferred.ts';
import { stripeSubscriptionStatuses } from '../subscription-status.schema.ts';

/**
 * The parts of Stripe's event payloads the webhook reads, as zod schemas: the edge validation of
 * what Stripe sends. Checked against Stripe's OpenAPI spec (2026-08-26.dahlia, the one stripe-mock
 * speaks) and stripe-node's types (2026-10-28.endive): subscription periods live on the items,
 * discounts are ids unless expanded, and an invoice names neither its charge nor its payment intent
 * (they moved to `invoice.payments`, which webhooks do not include). Unknown fields are dropped.
 */

/** An expandable reference: an id, or the object when expanded. Read as the id. */
const expandable = (prefix?: string) =>
  z
    .union([prefix ? z.string().startsWith(prefix) : z.string(), z.object({ id: z.string() })])
    .transform((value) => (typeof value === 'string' ? value : value.id));

const metadata = /* @__PURE__ */ lazyValue(() =>
  z
    .record(z.string(), z.string())
    .nullish()
    .transform((value) => value ?? {}),
);

const currency = /* @__PURE__ */ lazyValue(() =>
  z
    .string()
    .length(3)
    .transform((value) => value.toLowerCase()),
);

export const couponSchema = /* @__PURE__ */ lazyValue(() =>
  z.object({
    id: z.string(),
    percent_off: z.number().min(0).max(100).nullish(),
    amount_off: z.number().int().nonnegative().nullish(),
    currency: currency().nullish(),
    duration: z.string(),
    /** Plinth's comps carry `plinthComp: 'true'` (shared/admin/billing/admin-billing.service.ts). */
    metadata: metadata(),
  }),
);
export type StripeCoupon = z.infer<ReturnType<typeof couponSchema>>;

/** A discount as Stripe sends it: its id, or the object when expanded (`source.coupon` likewise). */
export const discountSchema = /* @__PURE__ */ lazyValue(() =>
  z.union([
    z.string(),
    z.object({
      id: z.string(),
      end: z.number().int().nullish(),
      source: z.object({ coupon: z.union([z.string(), couponSchema()]).nullish() }).nullish(),
    }),
  ]),
);
export type StripeDiscount = z.infer<ReturnType<typeof discountSchema>>;

/**
 * The discount of a `customer.discount.*` event: the subscription it belonged to and its coupon
 * (an id since 2025-09-30.clover, the object before).
 */
export const discountEventSchema = /* @__PURE__ */ lazyValue(() =>
  z.object({
    id: z.string().startsWith('di_'),
    object: z.literal('discount'),
    customer: expandable('cus_').nullish(),
    subscription: expandable('sub_').nullish(),
    end: z.number().int().nullish(),
    source: z.object({ coupon: z.union([z.string(), couponSchema()]).nullish() }).nullish(),
  }),
);
export type StripeDiscountEvent = z.infer<ReturnType<typeof discountEventSchema>>;

export const priceSchema = /* @__PURE__ */ lazyValue(() =>
  z.object({
    id: z.string(),
    currency: currency(),
    unit_amount: z.number().int().nullish(),
    unit_amount_decimal: z.string().nullish(),
    recurring: z
      .object({
        interval: z.enum(['day', 'week', 'month', 'year']),
        interval_count: z.number().int().positive(),
      })
      .nullish(),
    transform_quantity: z
      .object({ divide_by: z.number().int().positive(), round: z.enum(['up', 'down']) })
      .nullish(),
  }),
);
export type StripePrice = z.infer<ReturnType<typeof priceSchema>>;

export const subscriptionItemSchema = /* @__PURE__ */ lazyValue(() =>
  z.object({
    id: z.string(),
    price: priceSchema(),
    quantity: z.number().int().nonnegative().nullish(),
    /** Since 2025-03-31.basil the billing period is per item, not on the subscription. */
    current_period_end: z.number().int(),
    discounts: z.array(discountSchema()).nullish(),
  }),
);

export const subscriptionSchema = /* @__PURE__ */ lazyValue(() =>
  z.object({
    id: z.string().startsWith('sub_'),
    object: z.literal('subscription'),
    customer: expandable('cus_'),
    status: z.enum(stripeSubscriptionStatuses),
    currency: currency(),
    cancel_at_period_end: z.boolean(),
    cancel_at: z.number().int().nullish(),
    trial_end: z.number().int().nullish(),
    metadata: metadata(),
    discounts: z.array(discountSchema()).nullish(),
    items: z.object({ data: z.array(subscriptionItemSchema()) }),
  }),
);
export type StripeSubscription = z.infer<ReturnType<typeof subscriptionSchema>>;

const invoicePaymentSchema = /* @__PURE__ */ lazyValue(() =>
  z.object({
    status: z.string(),
    payment: z.object({
      type: z.string(),
      charge: expandable().nullish(),
      payment_intent: z
        .union([z.string(), z.object({ id: z.string(), latest_charge: expandable().nullish() })])
        .nullish(),
    }),
  }),
);

export const invoiceStatuses = ['draft', 'open', 'paid', 'uncollectible', 'void'] as const;

export const invoiceSchema = /* @__PURE__ */ lazyValue(() =>
  z.object({
    /** Absent on `invoice.upcoming` (a preview has no id). */
    id: z.string().startsWith('in_').nullish(),
    object: z.literal('invoice'),
    customer: expandable('cus_'),
    status: z.enum(invoiceStatuses).nullish(),
    currency: currency(),
    amount_due: z.number().int(),
    amount_paid: z.number().int(),
    total: z.number().int(),
    /** Replaced `tax` and `total_tax_amounts` in 2025-03-31.basil. */
    total_taxes: z.array(z.object({ amount: z.number().int() })).nullish(),
    attempt_count: z.number().int().nonnegative(),
    billing_reason: z.string().nullish(),
    created: z.number().int(),
    number: z.string().nullish(),
    hosted_invoice_url: z.string().nullish(),
    next_payment_attempt: z.number().int().nullish(),
    period_end: z.number().int().nullish(),
    status_transitions: z.object({ paid_at: z.number().int().nullish() }).nullish(),
    /** Replaced `invoice.subscription` in 2025-03-31.basil; `metadata` is the subscription's, as a snapshot. */
    parent: z
      .object({
        subscription_details: z.object({ subscription: expandable('sub_'), metadata: metadata() }).nullish(),
      })
      .nullish(),
    /** Only when included (`expand[]=payments`); webhooks leave it out. */
    payments: z.object({ data: z.array(invoicePaymentSchema()) }).nullish(),
  }),
);
export type StripeInvoice = z.infer<ReturnType<typeof invoiceSchema>>;

export const refundSchema = /* @__PURE__ */ lazyValue(() =>
  z.object({
    id: z.string().startsWith('re_'),
    object: z.literal('refund'),
    amount: z.number().int().nonnegative(),
    currency: currency(),
    status: z.string().nullish(),
    reason: z.string().nullish(),
    charge: expandable('ch_').nullish(),
    customer: expandable('cus_').nullish(),
    created: z.number().int(),
    metadata: metadata(),
  }),
);
export type StripeRefund = z.infer<ReturnType<typeof refundSchema>>;

export const chargeSchema = /* @__PURE__ */ lazyValue(() =>
  z.object({
    id: z.string().startsWith('ch_'),
    object: z.literal('charge'),
    customer: expandable('cus_').nullish(),
    amount: z.number().int(),
    amount_refunded: z.number().int().nonnegative(),
    currency: currency(),
    metadata: metadata(),
    /** Only when expanded (since 2022-11-15 a charge does not carry its refunds). */
    refunds: z.object({ data: z.array(refundSchema()) }).nullish(),
  }),
);
export type StripeCharge = z.infer<ReturnType<typeof chargeSchema>>;

export const checkoutSessionSchema = /* @__PURE__ */ lazyValue(() =>
  z.object({
    id: z.string().startsWith('cs_'),
    object: z.literal('checkout.session'),
    mode: z.string(),
    client_reference_id: z.string().nullish(),
    customer: expandable('cus_').nullish(),
    subscription: expandable('sub_').nullish(),
    metadata: metadata(),
  }),
);
export type StripeCheckoutSession = z.infer<ReturnType<typeof checkoutSessionSchema>>;

export const disputeSchema = /* @__PURE__ */ lazyValue(() =>
  z.object({
    id: z.string().startsWith('du_').or(z.string().startsWith('dp_')),
    object: z.literal('dispute'),
    charge: expandable('ch_'),
    amount: z.number().int(),
    currency: currency(),
    reason: z.string().nullish(),
    status: z.string().nullish(),
    created: z.number().int(),
    /** `due_by`: evidence must reach Stripe by then (epoch seconds). */
    evidence_details: z.object({ due_by: z.number().int().nullish() }).nullish(),
  }),
);
export type StripeDispute = z.infer<ReturnType<typeof disputeSchema>>;

/** The envelope of every webhook event; `data.object` is parsed by the handler of its type. */
export const stripeEventSchema = /* @__PURE__ */ lazyValue(() =>
  z.object({
    id: z.string().regex(/^evt_[A-Za-z0-9_]+$/, 'a Stripe event id (evt_…)'),
    object: z.literal('event'),
    type: z.string().min(1),
    /** Epoch seconds: the order of events, as far as Stripe tells it. */
    created: z.number().int().positive(),
    livemode: z.boolean().optional(),
    api_version: z.string().nullish(),
    data: z.object({ object: z.record(z.string(), z.unknown()) }),
  }),
);
export type StripeEvent = z.infer<ReturnType<typeof stripeEventSchema>>;
