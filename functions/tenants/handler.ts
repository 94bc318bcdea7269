import { lazyIdentityDirectory } from '#shared/app/identity.ts';
import { impersonationGateFor } from '#shared/app/impersonation.ts';
import { createRuntime } from '#shared/app/runtime.ts';
import { createApiHandler, implement } from '#shared/http/api-handler.ts';
import { tenantsRoutes as routes } from '#shared/http/routes/tenants.ts';
import { createTenantRepository } from '#shared/tenants/tenants.repository.ts';
import { createTenantService } from '#shared/tenants/tenants.service.ts';

const runtime = createRuntime();
const { env, db, clock, newId, tenancy, userGate } = runtime;
// The Cognito client is loaded on the first tenant creation (which needs the caller's verified
// email), not at cold start: the other routes never call it.
const directory = lazyIdentityDirectory(env);
const tenants = createTenantService({
  tenants: createTenantRepository(db, { clock, newId }),
  directory,
  clock,
  newId,
});

export const handler = createApiHandler(
  'tenants',
  routes,
  [
    // Routes that resolve no tenant check the user's suspension with one read of their profile.
    implement(routes.listTenants, async ({ caller }) => {
      await userGate.check(caller);
      return tenants.listMine(caller);
    }),
    implement(routes.createTenant, async ({ caller, body, request }) => {
      await userGate.check(caller);
      return tenants.create(caller, body, request);
    }),
    implement(routes.getTenant, async ({ params, caller, request }) =>
      // Open to members without MFA on a tenant that requires it, so they can see why they are refused.
      tenants.get(await tenancy.resolve(caller, params.tenantId, request, { openWithoutMfa: true })),
    ),
    implement(routes.updateTenant, async ({ params, body, caller, request }) =>
      tenants.update(await tenancy.resolve(caller, params.tenantId, request), body),
    ),
    implement(routes.deleteTenant, async ({ params, caller, request }) => {
      await tenants.remove(await tenancy.resolve(caller, params.tenantId, request));
      return undefined;
    }),
  ],
  { impersonation: impersonationGateFor(runtime) },
);
