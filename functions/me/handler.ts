import { lazyIdentityDirectory } from '#shared/app/identity.ts';
import { impersonationGateFor } from '#shared/app/impersonation.ts';
import { createRuntime } from '#shared/app/runtime.ts';
import { createApiHandler, implement } from '#shared/http/api-handler.ts';
import { meRoutes as routes } from '#shared/http/routes/me.ts';
import { createTenantRepository } from '#shared/tenants/tenants.repository.ts';
import { createMeService } from '#shared/users/me.service.ts';

const runtime = createRuntime({ tableAccess: 'read' });
const { env, db, clock, newId, userGate } = runtime;
// The Cognito client is loaded on the first request (which asks the pool for the caller's email),
// not at cold start, as in the tenants function.
const directory = lazyIdentityDirectory(env);
const me = createMeService({ tenants: createTenantRepository(db, { clock, newId }), directory });

export const handler = createApiHandler(
  'me',
  routes,
  [
    implement(routes.getMe, async ({ caller }) => {
      await userGate.check(caller);
      return me.get(caller);
    }),
  ],
  { impersonation: impersonationGateFor(runtime) },
);
