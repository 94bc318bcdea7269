import { createAdminRepository } from '#shared/admin/admin.repository.ts';
import { createAdminBillingRepository } from '#shared/admin/billing/admin-billing.repository.ts';
import { createAdminBillingService } from '#shared/admin/billing/admin-billing.service.ts';
import { createRefundService } from '#shared/admin/billing/refunds.service.ts';
import { deferred } from '#shared/app/deferred.ts';
import { operatorGuardFor } from '#shared/app/identity.ts';
import { createRuntime } from '#shared/app/runtime.ts';
import { readBillingEnv } from '#shared/billing/billing.env.ts';
import { lazyStripeClient } from '#shared/billing/stripe-client.ts';
import type { StripeGateway } from '#shared/billing/stripe-gateway.ts';
import { createApiHandler, implement } from '#shared/http/api-handler.ts';
import { adminBillingRoutes as routes } from '#shared/http/routes/admin-billing.ts';

const { env, db, clock, newId } = createRuntime();
const billingEnv = readBillingEnv();
// stripe-node and the secret key (SSM) are loaded on the first request that calls Stripe (a change
// that passed its checks), not at cold start: the billing view never loads them.
const stripeClient = lazyStripeClient(billingEnv);
const stripe = deferred<StripeGateway>(async () => {
  const { createStripeGateway } = await import('#shared/billing/stripe-gateway.ts');
  return createStripeGateway(await stripeClient());
});
const refunds = createRefundService({ admin: createAdminRepository(db, { clock, newId }), stripe });
const billing = createAdminBillingService({
  repo: createAdminBillingRepository(db, { clock, newId }),
  stripe,
  priceIds: billingEnv.STRIPE_PRICE_IDS,
  clock,
});

export const handler = createApiHandler(
  'admin-billing',
  routes,
  [
    implement(routes.getTenantBilling, async ({ params, caller }) => billing.view(caller, params.tenantId)),
    implement(routes.createCredit, async ({ params, body, caller, request }) =>
      billing.credit(caller, params.tenantId, body, request),
    ),
    implement(routes.createComp, async ({ params, body, caller, request }) =>
      billing.comp(caller, params.tenantId, body, request),
    ),
    implement(routes.cancelTenantSubscription, async ({ params, body, caller, request }) =>
      billing.cancel(caller, params.tenantId, body, request),
    ),
    implement(routes.createRefund, async ({ params, body, caller, request }) =>
      refunds.refund(caller, params.tenantId, body, request),
    ),
  ],
  { operators: operatorGuardFor(env, clock) },
);
