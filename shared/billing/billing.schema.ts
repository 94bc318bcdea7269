import * as z from 'zod';
import { lazyValue } from '../app/deferred.ts';
import { tenantParams } from '../http/common.schema.ts';
import { moneySchema } from './money.schema.ts';
import { billingIntervalSchema, featureSchema, paidPlanIdSchema, planIdSchema } from './plans.ts';
import { subscriptionStatusSchema } from './subscription-status.schema.ts';

export { type Money, moneySchema } from './money.schema.ts';
export { type SubscriptionStatus, subscriptionStatusSchema } from './subscription-status.schema.ts';

/**
 * A second live subscription Stripe reported for a tenant that already had one (two checkouts that
 * both completed). The first one stays the tenant's plan; this one is shown until it ends, so an
 * operator cancels and refunds it.
 */
export const duplicateSubscriptionSchema = /* @__PURE__ */ lazyValue(() =>
  z.object({
    subscriptionId: z.string(),
    status: subscriptionStatusSchema(),
    plan: planIdSchema(),
    interval: billingIntervalSchema().nullable(),
    /** When the webhook first saw it (the Stripe event's time). */
    detectedAt: z.iso.datetime(),
  }),
);
export type DuplicateSubscription = z.infer<ReturnType<typeof duplicateSubscriptionSchema>>;

/** A dispute (chargeback or inquiry) of one of the tenant's payments, as Stripe last described it. */
export const billingDisputeSchema = /* @__PURE__ */ lazyValue(() =>
  z.object({
    disputeId: z.string(),
    chargeId: z.string(),
    amount: moneySchema(),
    /** Stripe's reason code (`fraudulent`, `product_not_received`, …). */
    reason: z.string().nullable(),
    /** Stripe's status: `needs_response`, `under_review`, `won`, `lost`, … */
    status: z.string(),
    /** Evidence must reach Stripe by then, or the dispute is lost. */
    evidenceDueBy: z.iso.datetime().nullable(),
    openedAt: z.iso.datetime(),
    /** Set by `charge.dispute.closed`. */
    closedAt: z.iso.datetime().nullable(),
  }),
);
export type BillingDispute = z.infer<ReturnType<typeof billingDisputeSchema>>;

/**
 * An operator's comp running on the subscription (a 100% coupon Plinth created, recognised by the
 * webhook from the coupon's `plinthComp` metadata): mirrored from Stripe like the rest.
 */
export const billingCompSchema = /* @__PURE__ */ lazyValue(() =>
  z.object({
    couponId: z.string(),
    discountId: z.string(),
    /** When Stripe ends the discount; null when Stripe does not say. */
    endsAt: z.iso.datetime().nullable(),
    /** What the subscription charges a month without the comp: its MRR again once the comp ends. */
    regularMonthlyAmount: moneySchema(),
  }),
);
export type BillingComp = z.infer<ReturnType<typeof billingCompSchema>>;

/**
 * The tenant's billing state as mirrored from Stripe (item `keys.billing`). Stripe is the source
 * of truth; this holds what the product needs to decide access, updated only by webhooks (and by the
 * dunning sweep, which sets `restricted`). Absent item = free plan, status `none`.
 */
export const billingStateSchema = /* @__PURE__ */ lazyValue(() =>
  z.object({
    tenantId: z.string(),
    plan: planIdSchema(),
    interval: billingIntervalSchema().nullable(),
    status: subscriptionStatusSchema(),
    customerId: z.string().nullable(),
    subscriptionId: z.string().nullable(),
    currentPeriodEnd: z.iso.datetime().nullable(),
    cancelAtPeriodEnd: z.boolean(),
    trialEnd: z.iso.datetime().nullable(),
    /** When the subscription went past due; null otherwise. */
    pastDueSince: z.iso.datetime().nullable(),
    /** When full access ends unless the customer pays (pastDueSince + grace period). */
    graceEndsAt: z.iso.datetime().nullable(),
    /** Set by the dunning sweep once the grace period is over: writes get 402 until payment. */
    restricted: z.boolean(),
    /** Monthly-normalised recurring amount (annual / 12, quantity and discounts applied, tax excluded). */
    monthlyAmount: moneySchema(),
    /** `created` (epoch seconds) of the Stripe event whose state this is; older events change nothing. */
    stripeUpdatedAt: z.number().int(),
    updatedAt: z.iso.datetime(),
    /**
     * The Checkout Session the API handed out last (written by the API with a conditional write, so
     * one tenant has one open checkout at a time) and when Stripe expires it. Absent: none yet.
     */
    checkoutSessionId: z.string().nullable().optional(),
    checkoutExpiresAt: z.iso.datetime().nullable().optional(),
    /** Live subscriptions besides the one above (should be none; each is an error to resolve). */
    duplicateSubscriptions: z.array(duplicateSubscriptionSchema()),
    /** The tenant's disputed payments, newest first. */
    disputes: z.array(billingDisputeSchema()),
    /** A running comp (absent on items written before comps existed: none). */
    comp: billingCompSchema().nullable().optional(),
  }),
);
export type BillingState = z.infer<ReturnType<typeof billingStateSchema>>;

// Defined where no schema is built: the tenancy check of every API function uses it at init.
export { freeBillingState } from './free-billing-state.ts';

const entitlementsSchema = /* @__PURE__ */ lazyValue(() =>
  z.object({
    seats: z.number().int(),
    projects: z.number().int(),
    features: z.array(featureSchema()),
  }),
);

export const planResponse = /* @__PURE__ */ lazyValue(() =>
  z.object({
    id: planIdSchema(),
    name: z.string(),
    currency: z.string(),
    prices: z.object({ month: z.number().int(), year: z.number().int() }).nullable(),
    entitlements: entitlementsSchema(),
  }),
);
export const planListResponse = /* @__PURE__ */ lazyValue(() => z.object({ items: z.array(planResponse()) }));

export const billingResponse = /* @__PURE__ */ lazyValue(() =>
  z.object({
    tenantId: z.string(),
    /** The plan paid for. */
    plan: planIdSchema(),
    /** The plan whose entitlements apply now (free after a final payment failure). */
    effectivePlan: planIdSchema(),
    status: subscriptionStatusSchema(),
    interval: billingIntervalSchema().nullable(),
    currentPeriodEnd: z.iso.datetime().nullable(),
    cancelAtPeriodEnd: z.boolean(),
    trialEnd: z.iso.datetime().nullable(),
    pastDueSince: z.iso.datetime().nullable(),
    graceEndsAt: z.iso.datetime().nullable(),
    restricted: z.boolean(),
    /**
     * Live subscriptions Stripe reported besides the one this state follows (two checkouts that both
     * completed). The plan above stays the first one's; an operator cancels and refunds these.
     */
    duplicateSubscriptions: z.array(duplicateSubscriptionSchema()),
    /** Disputed payments (chargebacks, inquiries), newest first; open ones need evidence by `evidenceDueBy`. */
    disputes: z.array(billingDisputeSchema()),
    entitlements: entitlementsSchema(),
    usage: z.object({ seats: z.number().int(), projects: z.number().int() }),
  }),
);

export const checkoutBody = /* @__PURE__ */ lazyValue(() =>
  z.strictObject({
    plan: paidPlanIdSchema(),
    interval: billingIntervalSchema(),
    /**
     * Where Stripe sends the customer back; default: the app's billing page. On the app's origin or
     * one of the stage's `allowedRedirectOrigins`, else a 400.
     */
    successUrl: z.url().optional(),
    cancelUrl: z.url().optional(),
  }),
);
export const checkoutResponse = /* @__PURE__ */ lazyValue(() =>
  z.object({ sessionId: z.string(), url: z.string() }),
);

export const portalBody = /* @__PURE__ */ lazyValue(() => z.strictObject({ returnUrl: z.url().optional() }));
export const portalResponse = /* @__PURE__ */ lazyValue(() => z.object({ url: z.string() }));

export const changeBody = /* @__PURE__ */ lazyValue(() =>
  z.strictObject({
    plan: paidPlanIdSchema(),
    interval: billingIntervalSchema(),
    /**
     * From the preview: applying with the same proration date charges exactly what was previewed.
     * Epoch seconds; absent = now.
     */
    prorationDate: z.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional(),
  }),
);
export const changePreviewResponse = /* @__PURE__ */ lazyValue(() =>
  z.object({
    plan: paidPlanIdSchema(),
    interval: billingIntervalSchema(),
    kind: z.enum(['upgrade', 'downgrade', 'interval-change', 'no-change']),
    /** Upgrades take effect now (prorated, invoiced now); downgrades at the end of the paid period. */
    effective: z.enum(['now', 'period-end']),
    prorationDate: z.number().int(),
    /** What is invoiced now (prorations), in minor units; 0 for downgrades. */
    amountDueNow: z.number().int(),
    /** The next regular invoice's total. */
    nextInvoiceAmount: z.number().int(),
    currency: z.string(),
    nextInvoiceAt: z.iso.datetime().nullable(),
  }),
);
export const changeResponse = /* @__PURE__ */ lazyValue(() =>
  z.object({
    status: subscriptionStatusSchema(),
    plan: paidPlanIdSchema(),
    interval: billingIntervalSchema(),
    effective: z.enum(['now', 'period-end']),
  }),
);

export const invoiceSchema = /* @__PURE__ */ lazyValue(() =>
  z.object({
    invoiceId: z.string(),
    number: z.string().nullable(),
    status: z.enum(['draft', 'open', 'paid', 'uncollectible', 'void']),
    currency: z.string(),
    amountDue: z.number().int(),
    amountPaid: z.number().int(),
    tax: z.number().int(),
    total: z.number().int(),
    createdAt: z.iso.datetime(),
    paidAt: z.iso.datetime().nullable(),
    hostedInvoiceUrl: z.string().nullable(),
    chargeId: z.string().nullable(),
    amountRefunded: z.number().int(),
    refunds: z.array(
      z.object({
        refundId: z.string(),
        amount: z.number().int(),
        status: z.string(),
        reason: z.string().nullable(),
        createdAt: z.iso.datetime(),
      }),
    ),
  }),
);
export type Invoice = z.infer<ReturnType<typeof invoiceSchema>>;

export { tenantParams };
