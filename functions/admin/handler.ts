import { operatorGuardFor } from '#shared/app/identity.ts';
import { createRuntime } from '#shared/app/runtime.ts';
import { createApiHandler } from '#shared/http/api-handler.ts';
import { adminRoutes as routes } from '#shared/http/routes/admin.ts';

const { env, clock } = createRuntime();

// Billing adjustments (refunds, credits, comps, cancellations) moved to functions/admin-billing,
// the one operator function that calls Stripe.
export const handler = createApiHandler('admin', routes, [], { operators: operatorGuardFor(env, clock) });
