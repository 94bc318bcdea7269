import { PaymentRequiredError } from '../http/errors.ts';
import type { BillingState } from './billing.schema.ts';
import { type Entitlements, type Feature, featureNames, type PlanId, planIds, plans } from './plans.ts';
import { grantsPaidPlan } from './subscription-status.ts';

/**
 * The plan whose entitlements apply now: the paid plan while the subscription is live, the free
 * plan after a final failure (`unpaid`, `canceled`, …) — data is kept, limits shrink.
 */
export function effectivePlan(billing: Pick<BillingState, 'plan' | 'status'>): PlanId {
  return grantsPaidPlan(billing.status) ? billing.plan : 'free';
}

export function entitlementsOf(billing: Pick<BillingState, 'plan' | 'status'>): Entitlements {
  return plans[effectivePlan(billing)].entitlements;
}

/** The cheapest plan that lifts a limit to at least `needed`, for error messages. */
export function planLifting(limit: 'seats' | 'projects', needed: number): PlanId | undefined {
  return Object.values(plans).find((p) => p.entitlements[limit] >= needed)?.id;
}

/** The cheapest plan that includes `feature`. */
export function planIncluding(feature: Feature): PlanId | undefined {
  return planIds.find((id) => plans[id].entitlements.features.includes(feature));
}

/**
 * Refuses with a 402 a feature the tenant's effective plan does not include, naming the plan that
 * does ("The Free plan does not include the audit log; upgrade to Team to use it.").
 */
export function assertFeature(
  billing: Pick<BillingState, 'plan' | 'status'>,
  entitlements: Entitlements,
  feature: Feature,
): void {
  if (entitlements.features.includes(feature)) return;
  const current = plans[effectivePlan(billing)].name;
  const upgrade = planIncluding(feature);
  throw new PaymentRequiredError(
    `The ${current} plan does not include ${featureNames[feature]}` +
      (upgrade ? `; upgrade to ${plans[upgrade].name} to use it.` : '.'),
  );
}
