import type { BillingState, SubscriptionStatus } from './billing.schema.ts';

/**
 * The one definition of which subscription statuses mean what. Three different questions are asked
 * of a status, so there are three named sets, and every decision uses one of them:
 *
 * - **Live** (`LIVE_STATUSES`, {@link isLiveStatus}): the subscription still exists at Stripe and
 *   still bills, or can still bill, the tenant: `trialing`, `active`, `past_due`, `unpaid` (an
 *   `unpaid` subscription keeps its open invoice, which the customer can still pay to reactivate
 *   it). A tenant with a live subscription must not start another checkout, must not be deleted,
 *   and is the one whose plan changes, cancels and resumes apply.
 *   `paused` is deliberately not live: Stripe pauses a subscription whose trial ended without a
 *   payment method; it creates no invoices and charges nothing until someone resumes it through
 *   the API (Plinth never does), so it neither blocks a new checkout (which is how that tenant
 *   pays) nor a deletion, and it yields no revenue. `incomplete` is not live either: its first
 *   invoice was never paid and Stripe expires it after 23 hours.
 * - **Paid plan** (`PAID_PLAN_STATUSES`, {@link grantsPaidPlan}): the paid plan's entitlements
 *   apply: `trialing`, `active`, `past_due` (during and after the grace period). An `unpaid`
 *   subscription is live but its tenant has fallen to the free plan's entitlements.
 * - **MRR** (`MRR_STATUSES`, {@link countsForMrr}): the amount counts as monthly recurring revenue:
 *   `active` and `past_due` (also while restricted: the customer still owes and is still billed).
 *   `trialing` (nothing paid yet), `incomplete`, `incomplete_expired`, `unpaid`, `paused` and
 *   `canceled` count zero, and so does `none` (never subscribed).
 */
export const LIVE_STATUSES: ReadonlySet<SubscriptionStatus> = new Set<SubscriptionStatus>([
  'trialing',
  'active',
  'past_due',
  'unpaid',
]);

/** Statuses under which the paid plan's entitlements apply. */
export const PAID_PLAN_STATUSES: ReadonlySet<SubscriptionStatus> = new Set<SubscriptionStatus>([
  'trialing',
  'active',
  'past_due',
]);

/** Whether a subscription in `status` still exists at Stripe and bills (or can bill) the tenant. */
export const isLiveStatus = (status: SubscriptionStatus): boolean => LIVE_STATUSES.has(status);

/** Whether a subscription in `status` grants its paid plan's entitlements. */
export const grantsPaidPlan = (status: SubscriptionStatus): boolean => PAID_PLAN_STATUSES.has(status);

/** Statuses whose subscription's amount counts for MRR (see above). */
export const MRR_STATUSES: ReadonlySet<SubscriptionStatus> = new Set<SubscriptionStatus>([
  'active',
  'past_due',
]);

/** Whether a subscription in this status contributes its amount to MRR. */
export const countsForMrr = (status: SubscriptionStatus): boolean => MRR_STATUSES.has(status);

/**
 * Statuses in which a subscription set to cancel at the period end will never charge again: it
 * ends at the period (or trial) end with no further invoice. A `past_due` or `unpaid` one still
 * has an open invoice that Stripe collects whatever the cancellation.
 */
export const ENDS_WITHOUT_CHARGE_WHEN_CANCELED: ReadonlySet<SubscriptionStatus> = new Set<SubscriptionStatus>(
  ['trialing', 'active'],
);

/**
 * Why a tenant in this billing state cannot be deleted yet, or undefined when it can: a live
 * subscription that can still charge the tenant (not set to end without another charge) must be
 * canceled first, or Stripe would keep charging a tenant that no longer exists.
 */
export function subscriptionBlockingDeletion(
  billing: Pick<BillingState, 'status' | 'cancelAtPeriodEnd' | 'plan'>,
): string | undefined {
  if (!isLiveStatus(billing.status)) return undefined;
  if (billing.cancelAtPeriodEnd && ENDS_WITHOUT_CHARGE_WHEN_CANCELED.has(billing.status)) return undefined;
  if (ENDS_WITHOUT_CHARGE_WHEN_CANCELED.has(billing.status)) {
    return `This tenant has a live ${billing.plan} subscription (${billing.status}): cancel it first (POST …/billing/cancel), then delete the tenant.`;
  }
  return `This tenant's ${billing.plan} subscription is ${billing.status} with an invoice Stripe is still collecting: pay it in the billing portal or wait until the subscription ends, then delete the tenant.`;
}
