import { lazyIdentityDirectory, operatorGuardFor } from '#shared/app/identity.ts';
import { createRuntime } from '#shared/app/runtime.ts';
import { createApiHandler, implement } from '#shared/http/api-handler.ts';
import { impersonationRoutes as routes } from '#shared/http/routes/impersonation.ts';
import { createImpersonationRepository } from '#shared/impersonation/impersonation.repository.ts';
import { createImpersonationService } from '#shared/impersonation/impersonation.service.ts';
import { createTenantRepository } from '#shared/tenants/tenants.repository.ts';

const { env, db, clock, newId } = createRuntime();
const directory = lazyIdentityDirectory(env);
const sessions = createImpersonationService({
  sessions: createImpersonationRepository(db, { clock, newId }),
  tenants: createTenantRepository(db, { clock, newId }),
  directory,
  clock,
  newId,
});

export const handler = createApiHandler(
  'impersonation',
  routes,
  [
    implement(routes.openImpersonation, async ({ body, caller, request }) =>
      sessions.open(caller, body, request),
    ),
    implement(routes.listImpersonations, async ({ query, caller }) => sessions.listOpen(caller, query)),
    implement(routes.endImpersonation, async ({ params, caller, request }) => {
      await sessions.end(caller, params.sessionId, request);
      return undefined;
    }),
  ],
  { operators: operatorGuardFor(env, clock, directory) },
);
