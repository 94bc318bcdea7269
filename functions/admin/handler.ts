import { createAdminRepository } from '#shared/admin/admin.repository.ts';
import { createRefundService } from '#shared/admin/refunds.service.ts';
import { createRuntime } from '#shared/app/runtime.ts';
import { readBillingEnv } from '#shared/billing/billing.env.ts';
import { stripeClientFromEnv } from '#shared/billing/stripe-client.ts';
import { createStripeGateway } from '#shared/billing/stripe-gateway.ts';
import { createApiHandler, implement } from '#shared/http/api-handler.ts';
import { routes } from '#shared/http/routes.ts';

const { db, clock, newId } = createRuntime();
// The secret key comes from SSM at cold start, before the first request is taken.
const stripe = createStripeGateway(await stripeClientFromEnv(readBillingEnv()));
const refunds = createRefundService({ admin: createAdminRepository(db, { clock, newId }), stripe });

export const handler = createApiHandler('admin', [
  implement(routes.createRefund, async ({ params, body, caller, request }) =>
    refunds.refund(caller, params.tenantId, body, request),
  ),
]);
