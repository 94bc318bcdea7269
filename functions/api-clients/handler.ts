import { createApiClientRepository } from '#shared/api-clients/api-clients.repository.ts';
import { createApiClientService } from '#shared/api-clients/api-clients.service.ts';
import { createRuntime } from '#shared/app/runtime.ts';
import { createApiHandler, implement } from '#shared/http/api-handler.ts';
import { apiClientsRoutes as routes } from '#shared/http/routes/api-clients.ts';

const runtime = createRuntime();
const { db, clock, newId, tenancy } = runtime;
const clients = createApiClientService({
  clients: createApiClientRepository(db, { clock, newId }),
  clock,
  newId,
});

// Credentials: no impersonation gate, since every route here is `impersonation: 'never'`.
export const handler = createApiHandler('api-clients', routes, [
  implement(routes.createApiClient, async ({ params, body, caller, request }) =>
    clients.create(await tenancy.resolve(caller, params.tenantId, request), body),
  ),
  implement(routes.listApiClients, async ({ params, query, caller, request }) =>
    clients.list(await tenancy.resolve(caller, params.tenantId, request), query),
  ),
  implement(routes.rotateApiClientKey, async ({ params, caller, request }) =>
    clients.rotate(await tenancy.resolve(caller, params.tenantId, request), params.clientId),
  ),
  implement(routes.revokeApiClient, async ({ params, caller, request }) => {
    await clients.revoke(await tenancy.resolve(caller, params.tenantId, request), params.clientId);
    return undefined;
  }),
]);
