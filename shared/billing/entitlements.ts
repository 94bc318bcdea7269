import type { BillingState, SubscriptionStatus } from './billing.schema.ts';
import { type Entitlements, type PlanId, plans } from './plans.ts';

/** Statuses under which the paid plan's entitlements apply (past due: during and after the grace period). */
const PAYING: ReadonlySet<SubscriptionStatus> = new Set(['trialing', 'active', 'past_due']);

/**
 * The plan whose entitlements apply now: the paid plan while the subscription is live, the free
 * plan after a final failure (`unpaid`, `canceled`, …) — data is kept, limits shrink.
 */
export function effectivePlan(billing: Pick<BillingState, 'plan' | 'status'>): PlanId {
  return PAYING.has(billing.status) ? billing.plan : 'free';
}

export function entitlementsOf(billing: Pick<BillingState, 'plan' | 'status'>): Entitlements {
  return plans[effectivePlan(billing)].entitlements;
}

/** The cheapest plan that lifts a limit to at least `needed`, for error messages. */
export function planLifting(limit: 'seats' | 'projects', needed: number): PlanId | undefined {
  return Object.values(plans).find((p) => p.entitlements[limit] >= needed)?.id;
}
