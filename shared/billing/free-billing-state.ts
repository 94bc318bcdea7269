import type { BillingState } from './billing.schema.ts';

/**
 * The state of a tenant that has no billing item. In a module of its own, importing only types:
 * every API function's tenancy check uses it, and importing billing.schema.ts for it would build
 * all of billing's zod schemas at each function's cold start.
 */
export function freeBillingState(tenantId: string, now: string): BillingState {
  return {
    tenantId,
    plan: 'free',
    interval: null,
    status: 'none',
    customerId: null,
    subscriptionId: null,
    currentPeriodEnd: null,
    cancelAtPeriodEnd: false,
    trialEnd: null,
    pastDueSince: null,
    graceEndsAt: null,
    restricted: false,
    monthlyAmount: { amount: 0, currency: 'usd' },
    stripeUpdatedAt: 0,
    updatedAt: now,
    duplicateSubscriptions: [],
    disputes: [],
  };
}
