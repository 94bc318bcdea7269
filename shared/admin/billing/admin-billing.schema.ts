import * as z from 'zod';
import { lazyValue } from '../../app/deferred.ts';
import {
  billingCompSchema,
  billingDisputeSchema,
  billingStateSchema,
  duplicateSubscriptionSchema,
  invoiceSchema,
  subscriptionStatusSchema,
} from '../../billing/billing.schema.ts';
import { paidPlanIdSchema } from '../../billing/plans.ts';

/**
 * The operators' billing routes (`/admin/tenants/{tenantId}/billing|credits|comps|cancellation`):
 * requests and answers. Every change takes a `reason` (audited).
 */

const reason = /* @__PURE__ */ lazyValue(() => z.string().trim().min(3).max(500));

/** A credit an operator gave a tenant: a Stripe customer balance transaction, as recorded. */
export const creditSchema = /* @__PURE__ */ lazyValue(() =>
  z.object({
    /** Stripe's customer balance transaction (`cbtxn_…`). */
    creditId: z.string(),
    /** Minor units, positive: what the next invoices are lowered by. */
    amount: z.number().int(),
    currency: z.string(),
    /** The customer's balance after it (negative: credit left). */
    endingBalance: z.number().int(),
    reason: z.string(),
    operatorId: z.string(),
    createdAt: z.iso.datetime(),
  }),
);
export type Credit = z.infer<ReturnType<typeof creditSchema>>;

/** A refund of one of the tenant's payments, with the invoice it belongs to. */
export const adminRefundSchema = /* @__PURE__ */ lazyValue(() =>
  invoiceSchema().shape.refunds.element.extend({
    invoiceId: z.string(),
    chargeId: z.string().nullable(),
    currency: z.string(),
  }),
);

/** How many invoices and credits the billing view lists (the newest). */
export const ADMIN_BILLING_LIST_LIMIT = 25;

export const adminBillingResponse = /* @__PURE__ */ lazyValue(() =>
  z.object({
    tenantId: z.string(),
    /** The subscription as mirrored from Stripe's webhooks (free plan and `none` when never subscribed). */
    subscription: billingStateSchema()
      .pick({
        plan: true,
        interval: true,
        status: true,
        customerId: true,
        subscriptionId: true,
        currentPeriodEnd: true,
        cancelAtPeriodEnd: true,
        trialEnd: true,
        pastDueSince: true,
        graceEndsAt: true,
        restricted: true,
        // The MRR the tenant contributes now (0 while comped).
        monthlyAmount: true,
      })
      .extend({
        /** A running comp, if any. */
        comp: billingCompSchema().nullable(),
        duplicateSubscriptions: z.array(duplicateSubscriptionSchema()),
        updatedAt: z.iso.datetime(),
      }),
    /** The newest invoices, each with its refunds. */
    invoices: z.array(invoiceSchema()),
    /** The refunds of those invoices, newest first. */
    refunds: z.array(adminRefundSchema()),
    /** Disputed payments, newest first. */
    disputes: z.array(billingDisputeSchema()),
    /** The newest credits operators gave. */
    credits: z.array(creditSchema()),
  }),
);
export type AdminBillingView = z.infer<ReturnType<typeof adminBillingResponse>>;

export const creditBody = /* @__PURE__ */ lazyValue(() =>
  z.strictObject({
    /** Minor units of the plan catalogue's currency, positive (at most 1,000,000.00). */
    amount: z.number().int().positive().max(100_000_000),
    reason: reason(),
  }),
);
export const creditResponse = /* @__PURE__ */ lazyValue(() => creditSchema());

export const compBody = /* @__PURE__ */ lazyValue(() =>
  z.strictObject({
    /** The plan to give for free; default: the tenant's current plan. */
    plan: paidPlanIdSchema().optional(),
    /** Until when (a future date or time): rounded up to whole billing months at Stripe. */
    until: z.union([z.iso.datetime({ offset: true }), z.iso.date()]),
    reason: reason(),
  }),
);
export const compResponse = /* @__PURE__ */ lazyValue(() =>
  z.object({
    subscriptionId: z.string(),
    plan: paidPlanIdSchema(),
    couponId: z.string(),
    /** The billing months the 100% coupon covers. */
    months: z.number().int(),
    /** The date asked for. */
    until: z.iso.datetime(),
    /**
     * `pending`: Stripe accepted the comp; the mirror (and MRR) changes when its webhook arrives.
     */
    mirror: z.literal('pending'),
  }),
);

export const cancellationBody = /* @__PURE__ */ lazyValue(() =>
  z.strictObject({
    /** true: the subscription ends at the end of the paid period; false: now. */
    atPeriodEnd: z.boolean(),
    reason: reason(),
  }),
);
export const cancellationResponse = /* @__PURE__ */ lazyValue(() =>
  z.object({
    subscriptionId: z.string(),
    atPeriodEnd: z.boolean(),
    /** The subscription's status as Stripe answered. */
    status: subscriptionStatusSchema(),
    mirror: z.literal('pending'),
  }),
);
