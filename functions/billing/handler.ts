import { deferred } from '#shared/app/deferred.ts';
import { createRuntime } from '#shared/app/runtime.ts';
import { readBillingEnv } from '#shared/billing/billing.env.ts';
import { createBillingRepository } from '#shared/billing/billing.repository.ts';
import { createBillingService } from '#shared/billing/billing.service.ts';
import { lazyStripeClient } from '#shared/billing/stripe-client.ts';
import type { StripeGateway } from '#shared/billing/stripe-gateway.ts';
import { createApiHandler, implement } from '#shared/http/api-handler.ts';
import { billingRoutes as routes } from '#shared/http/routes/billing.ts';

const { db, clock, newId, tenancy } = createRuntime();
const billingEnv = readBillingEnv();
// stripe-node and the secret key (SSM) are loaded on the first request that calls Stripe, not at
// cold start: the read-only routes (plans, billing state, invoices) never load them.
const stripeClient = lazyStripeClient(billingEnv);
const stripe = deferred<StripeGateway>(async () => {
  const { createStripeGateway } = await import('#shared/billing/stripe-gateway.ts');
  return createStripeGateway(await stripeClient());
});
const billing = createBillingService({
  billing: createBillingRepository(db, { clock, newId }),
  stripe,
  clock,
  priceIds: billingEnv.STRIPE_PRICE_IDS,
  appUrl: billingEnv.APP_URL,
  allowedRedirectOrigins: billingEnv.ALLOWED_REDIRECT_ORIGINS,
});

// A suspended tenant's billing admins can still pay, cancel and read their invoices.
const BILLING = { billing: true } as const;

export const handler = createApiHandler('billing', routes, [
  implement(routes.listPlans, async () => billing.listPlans()),
  implement(routes.getBilling, async ({ params, caller, request }) =>
    billing.get(await tenancy.resolve(caller, params.tenantId, request, BILLING)),
  ),
  implement(routes.listInvoices, async ({ params, query, caller, request }) =>
    billing.listInvoices(await tenancy.resolve(caller, params.tenantId, request, BILLING), query),
  ),
  implement(routes.createCheckout, async ({ params, body, caller, request }) =>
    billing.checkout(await tenancy.resolve(caller, params.tenantId, request, BILLING), body),
  ),
  implement(routes.createPortalSession, async ({ params, body, caller, request }) =>
    billing.portal(await tenancy.resolve(caller, params.tenantId, request, BILLING), body),
  ),
  implement(routes.previewChange, async ({ params, body, caller, request }) =>
    billing.previewChange(await tenancy.resolve(caller, params.tenantId, request, BILLING), body),
  ),
  implement(routes.applyChange, async ({ params, body, caller, request }) =>
    billing.applyChange(await tenancy.resolve(caller, params.tenantId, request, BILLING), body),
  ),
  implement(routes.cancelSubscription, async ({ params, caller, request }) =>
    billing.cancel(await tenancy.resolve(caller, params.tenantId, request, BILLING)),
  ),
  implement(routes.resumeSubscription, async ({ params, caller, request }) =>
    billing.resume(await tenancy.resolve(caller, params.tenantId, request, BILLING)),
  ),
]);
