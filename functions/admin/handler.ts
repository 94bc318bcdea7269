import { createAdminRepository } from '#shared/admin/admin.repository.ts';
import { createRefundService } from '#shared/admin/refunds.service.ts';
import { deferred } from '#shared/app/deferred.ts';
import { operatorGuardFor } from '#shared/app/identity.ts';
import { createRuntime } from '#shared/app/runtime.ts';
import { readStripeClientEnv } from '#shared/billing/stripe-client.env.ts';
import { lazyStripeClient } from '#shared/billing/stripe-client.ts';
import type { StripeGateway } from '#shared/billing/stripe-gateway.ts';
import { createApiHandler, implement } from '#shared/http/api-handler.ts';
import { adminRoutes as routes } from '#shared/http/routes/admin.ts';

const { env, db, clock, newId } = createRuntime();
// stripe-node and the secret key (SSM) are loaded on the first request that calls Stripe (a refund
// that passed its checks), not at cold start.
const stripeClient = lazyStripeClient(readStripeClientEnv());
const stripe = deferred<StripeGateway>(async () => {
  const { createStripeGateway } = await import('#shared/billing/stripe-gateway.ts');
  return createStripeGateway(await stripeClient());
});
const refunds = createRefundService({ admin: createAdminRepository(db, { clock, newId }), stripe });

export const handler = createApiHandler(
  'admin',
  routes,
  [
    implement(routes.createRefund, async ({ params, body, caller, request }) =>
      refunds.refund(caller, params.tenantId, body, request),
    ),
  ],
  { operators: operatorGuardFor(env, clock) },
);
