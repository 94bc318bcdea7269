import { createAccountsRepository } from '#shared/admin/accounts.repository.ts';
import { createAccountsService } from '#shared/admin/accounts.service.ts';
import { createPlatformAuditLog } from '#shared/admin/platform-audit-log.ts';
import { createSearchRepository } from '#shared/admin/search.repository.ts';
import type { UserAdmin } from '#shared/admin/user-admin.ts';
import { deferred } from '#shared/app/deferred.ts';
import { operatorGuardFor } from '#shared/app/identity.ts';
import { createRuntime } from '#shared/app/runtime.ts';
import { createApiHandler, implement } from '#shared/http/api-handler.ts';
import { adminRoutes as routes } from '#shared/http/routes/admin.ts';
import { emailDeliveryStatus } from '#shared/mail/suppression.ts';
import { traceClient } from '#shared/observability/tracer.ts';
import { createSupportRepository } from '#shared/support/support.repository.ts';

const { env, db, clock, newId } = createRuntime();

// Billing adjustments (refunds, credits, comps, cancellations) are functions/admin-billing's, the one
// operator function that calls Stripe.

// The Cognito client is loaded on the first request that asks the pool (the operator guard's MFA
// check, a suspension, a reset), not at cold start.
const users = deferred<UserAdmin>(async () => {
  const [{ CognitoIdentityProviderClient }, { createCognitoUserAdmin }] = await Promise.all([
    import('@aws-sdk/client-cognito-identity-provider'),
    import('#shared/admin/user-admin.ts'),
  ]);
  return createCognitoUserAdmin(
    traceClient(new CognitoIdentityProviderClient({ region: env.AWS_REGION })),
    env.USER_POOL_ID,
  );
});
const accounts = createAccountsService({
  accounts: createAccountsRepository(db, { clock, newId }),
  search: createSearchRepository(db),
  auditLog: createPlatformAuditLog(db),
  users,
  clock,
  tickets: createSupportRepository(db),
  emailDelivery: (emails) => emailDeliveryStatus(db, emails),
});

export const handler = createApiHandler(
  'admin',
  routes,
  [
    implement(routes.searchTenants, async ({ query, operator }) => accounts.searchTenants(operator, query)),
    implement(routes.getAdminTenant, async ({ params, operator }) =>
      accounts.getTenant(operator, params.tenantId),
    ),
    implement(routes.suspendTenant, async ({ params, body, operator, request }) =>
      accounts.suspendTenant(operator, params.tenantId, body, request),
    ),
    implement(routes.reactivateTenant, async ({ params, body, operator, request }) =>
      accounts.reactivateTenant(operator, params.tenantId, body, request),
    ),
    implement(routes.searchUsers, async ({ query, operator }) => accounts.searchUsers(operator, query)),
    implement(routes.getAdminUser, async ({ params, operator }) => accounts.getUser(operator, params.userId)),
    implement(routes.suspendUser, async ({ params, body, operator, request }) =>
      accounts.suspendUser(operator, params.userId, body, request),
    ),
    implement(routes.reactivateUser, async ({ params, body, operator, request }) =>
      accounts.reactivateUser(operator, params.userId, body, request),
    ),
    implement(routes.resetUserPassword, async ({ params, body, operator, request }) =>
      accounts.resetPassword(operator, params.userId, body, request),
    ),
    implement(routes.listPlatformAuditLog, async ({ query, operator }) =>
      accounts.listAuditLog(operator, query),
    ),
  ],
  { operators: operatorGuardFor(env, clock) },
);
