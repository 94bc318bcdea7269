import type { RouteDefinition } from '../route.ts';

/**
 * The `admin` function's routes: operations for operators. Billing adjustments (refunds, credits,
 * comps, cancellations) are the `admin-billing` function's, so this one never loads Stripe.
 */
export const adminRoutes = {} as const satisfies Record<string, RouteDefinition>;
