import {
  apiClientParams,
  apiClientSchema,
  createApiClientBody,
  issuedApiClientSchema,
} from '../../api-clients/api-clients.schema.ts';
import { lazyValue } from '../../app/deferred.ts';
import { pageOf, paginationQuery, tenantParams } from '../common.schema.ts';
import { defineRoute, type RouteDefinition } from '../route.ts';

/**
 * The `api-clients` function's routes: a tenant's API clients (integrations). Credentials, so never
 * under impersonation, and never with an API key (these stay on the Cognito JWT authorizer).
 */
export const apiClientsRoutes = {
  createApiClient: defineRoute({
    method: 'POST',
    path: '/v1/tenants/{tenantId}/api-clients',
    area: 'api-clients',
    auth: 'jwt',
    impersonation: 'never',
    operationId: 'createApiClient',
    summary: 'Create an API client for an integration; its key is in this response only (tenant admins).',
    params: tenantParams,
    body: createApiClientBody,
    response: issuedApiClientSchema,
    status: 201,
    problems: [402, 403, 404],
  }),
  listApiClients: defineRoute({
    method: 'GET',
    path: '/v1/tenants/{tenantId}/api-clients',
    area: 'api-clients',
    auth: 'jwt',
    impersonation: 'never',
    operationId: 'listApiClients',
    summary: "The tenant's API clients, active and revoked, never their keys (tenant admins).",
    params: tenantParams,
    query: paginationQuery,
    response: lazyValue(() => pageOf(apiClientSchema())),
    status: 200,
    problems: [403, 404],
  }),
  rotateApiClientKey: defineRoute({
    method: 'POST',
    path: '/v1/tenants/{tenantId}/api-clients/{clientId}/rotation',
    area: 'api-clients',
    auth: 'jwt',
    impersonation: 'never',
    operationId: 'rotateApiClientKey',
    summary: 'Issue a new key for the client (in this response only); the old key stops working at once.',
    params: apiClientParams,
    response: issuedApiClientSchema,
    status: 201,
    problems: [402, 403, 404, 409],
  }),
  revokeApiClient: defineRoute({
    method: 'DELETE',
    path: '/v1/tenants/{tenantId}/api-clients/{clientId}',
    area: 'api-clients',
    auth: 'jwt',
    impersonation: 'never',
    operationId: 'revokeApiClient',
    summary: 'Revoke the client: its key stops working at once; the client stays listed as revoked.',
    params: apiClientParams,
    status: 204,
    problems: [402, 403, 404, 409],
  }),
} as const satisfies Record<string, RouteDefinition>;
