import { createRuntime } from '#shared/app/runtime.ts';
import { readBillingEnv } from '#shared/billing/billing.env.ts';
import { createBillingRepository } from '#shared/billing/billing.repository.ts';
import { createBillingService } from '#shared/billing/billing.service.ts';
import { stripeClientFromEnv } from '#shared/billing/stripe-client.ts';
import { createStripeGateway } from '#shared/billing/stripe-gateway.ts';
import { createApiHandler, implement } from '#shared/http/api-handler.ts';
import { routes } from '#shared/http/routes.ts';

const { db, clock, newId, tenancy } = createRuntime();
const billingEnv = readBillingEnv();
// The secret key comes from SSM at cold start, before the first request is taken.
const stripe = createStripeGateway(await stripeClientFromEnv(billingEnv));
const billing = createBillingService({
  billing: createBillingRepository(db, { clock, newId }),
  stripe,
  clock,
  priceIds: billingEnv.STRIPE_PRICE_IDS,
  appUrl: billingEnv.APP_URL,
  allowedRedirectOrigins: billingEnv.ALLOWED_REDIRECT_ORIGINS,
});

export const handler = createApiHandler('billing', [
  implement(routes.listPlans, async () => billing.listPlans()),
  implement(routes.getBilling, async ({ params, caller, request }) =>
    billing.get(await tenancy.resolve(caller, params.tenantId, request)),
  ),
  implement(routes.listInvoices, async ({ params, query, caller, request }) =>
    billing.listInvoices(await tenancy.resolve(caller, params.tenantId, request), query),
  ),
  implement(routes.createCheckout, async ({ params, body, caller, request }) =>
    billing.checkout(await tenancy.resolve(caller, params.tenantId, request), body),
  ),
  implement(routes.createPortalSession, async ({ params, body, caller, request }) =>
    billing.portal(await tenancy.resolve(caller, params.tenantId, request), body),
  ),
  implement(routes.previewChange, async ({ params, body, caller, request }) =>
    billing.previewChange(await tenancy.resolve(caller, params.tenantId, request), body),
  ),
  implement(routes.applyChange, async ({ params, body, caller, request }) =>
    billing.applyChange(await tenancy.resolve(caller, params.tenantId, request), body),
  ),
  implement(routes.cancelSubscription, async ({ params, caller, request }) =>
    billing.cancel(await tenancy.resolve(caller, params.tenantId, request)),
  ),
  implement(routes.resumeSubscription, async ({ params, caller, request }) =>
    billing.resume(await tenancy.resolve(caller, params.tenantId, request)),
  ),
]);
