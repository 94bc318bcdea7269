import {
  OpenAPIRegistry,
  OpenApiGeneratorV31,
  type ResponseConfig,
  type RouteConfig,
} from '@asteasolutions/zod-to-openapi';
import * as z from 'zod';
import { acceptsApiClients } from '../api-clients/scopes.ts';
import { lazyValue } from '../app/deferred.ts';
import { type FunctionArea, type RouteDefinition, routeKey } from '../http/route.ts';
import { rateLimited } from '../http/routes/response-headers.ts';
import { routeList } from '../http/routes.ts';
import { IMPERSONATION_HEADER, impersonationPolicy } from '../impersonation/route-policy.ts';

export type OpenApiDocument = ReturnType<OpenApiGeneratorV31['generateDocument']>;

const BEARER = 'bearerJwt';
const API_KEY = 'bearerApiKey';

/** One tag per function area, in the order the document lists them. */
const tags: Record<FunctionArea, string> = {
  system: 'Health and this document.',
  me: 'The signed-in user.',
  tenants: 'Organisations and their settings.',
  members: "A tenant's members and their roles.",
  invitations: 'Invitations to join a tenant.',
  projects: "A tenant's projects.",
  audit: "A tenant's audit log.",
  billing: 'Plans, subscriptions, invoices: Stripe billing for a tenant.',
  admin:
    'Operations for operators (platform-admin, support, finance; MFA required): users and tenants, suspension, password resets, the platform audit log.',
  'admin-billing':
    'Billing adjustments by finance operators: the billing view, credits, comps, cancellations, refunds (Stripe stays the source of truth).',
  metrics: 'Business metrics for platform admins: MRR, its movements, churn and retention.',
  'product-analytics':
    'Product analytics: tracked events, usage and retention per tenant; feature use and retention platform-wide.',
  impersonation:
    'Support sessions: an operator opens one, then calls the API as the user with the Plinth-Impersonation header.',
  support:
    "Customer support: tenants' tickets, the operators' queue, internal notes, and each tenant's communication history.",
  announcements:
    'Announcements: operators publish, schedule, edit and withdraw them; users read and dismiss theirs.',
  health: 'System health for operators: dependencies, queues, outbox, errors and throttles.',
  'api-clients':
    "A tenant's API clients for integrations: keys (`plk_…`) that call the tenant routes their scopes allow, within their creator's role.",
  erasure:
    'The right to be forgotten: a user deletes their account, platform admins erase a user or purge a deleted tenant now and read the erasure reports.',
  'magic-link': 'Passwordless sign-in by emailed link: request one, exchange it for Cognito tokens.',
  sso: "Enterprise single sign-on: a tenant's SAML or OIDC identity provider and email domains (owners), and home-realm discovery.",
  exports:
    "Data exports (right of access and portability): a user's own data, or (owners) a tenant's, as a tar.gz of JSON files with a README.",
};

/** Every problem status the API answers with. */
const problemDescriptions: Record<number, string> = {
  400: 'The request is invalid; `errors` names each invalid field.',
  401: 'The token passed the authorizer but is not an access token, or its user is disabled or gone.',
  403: "The caller's role does not allow this, or the tenant or membership is suspended.",
  404: 'The resource does not exist or is not visible to the caller.',
  402: 'Payment is required: the tenant is restricted after failed payments, or a plan limit is reached.',
  409: 'The request conflicts with the current state.',
  412: '`If-Match` does not name the current version: the resource changed since it was read; nothing was changed. `ETag` carries the current one.',
  428: 'This change needs `If-Match` with the ETag of the version it is based on.',
  429: 'A rate limit is reached; nothing was changed. Retry after `Retry-After` seconds.',
  413: 'The request body is too large.',
  415: 'The request body is not JSON.',
  406: 'The `Accept` header accepts none of the media types this route answers with.',
  500: 'An unexpected error; quote the request id (`instance`) when reporting it.',
  502: 'A payment provider or mail service failed; the request changed nothing and can be retried.',
};

/**
 * The body of every error response (shared/http/problem.ts builds them). Listed once under
 * `components.schemas` (the id), referenced by every problem response. Defined here, where the
 * document is the only reader, so that no function builds it at cold start.
 */
const problem = /* @__PURE__ */ lazyValue(() =>
  z
    .object({
      type: z.string(),
      title: z.string(),
      status: z.number().int(),
      detail: z.string().optional(),
      instance: z.string().optional(),
      errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
    })
    .meta({
      id: 'Problem',
      description: 'RFC 9457 problem details.',
    }),
);

/** Headers a problem response carries, by status. */
const problemHeaders: Record<number, NonNullable<ResponseConfig['headers']>> = {
  412: { etag: { description: 'The current version of the resource.', schema: { type: 'string' } } },
  429: {
    'retry-after': {
      description: 'Seconds until the refused limit allows a request again.',
      schema: { type: 'integer', minimum: 1 },
      required: true,
    },
    'ratelimit-policy': {
      description:
        'The limits checked (draft-ietf-httpapi-ratelimit-headers): `"name";q=<quota>;w=<seconds>`.',
      schema: { type: 'string' },
      required: true,
    },
    ratelimit: {
      description: 'What is left of each: `"name";r=<remaining>;t=<seconds to reset>`.',
      schema: { type: 'string' },
      required: true,
    },
  },
};

/**
 * Whether a route resolves its tenant from the path, and so counts against the tenant's API rate
 * limit (shared/tenancy/tenant-context.ts): it may answer 429 and sends the RateLimit headers.
 */
export function countsAgainstTenantLimit(route: RouteDefinition): boolean {
  return route.auth === 'jwt' && route.path.startsWith('/v1/tenants/{tenantId}');
}

/** The success headers a route declares, with the RateLimit fields of a tenant-scoped route. */
function declaredSuccessHeaders(route: RouteDefinition): RouteDefinition['responseHeaders'] {
  if (!countsAgainstTenantLimit(route)) return route.responseHeaders;
  return { ...rateLimited, ...route.responseHeaders };
}

/** The OpenAPI form of a route's success headers. */
function successHeaders(route: RouteDefinition): ResponseConfig['headers'] {
  const declared = declaredSuccessHeaders(route);
  if (!declared) return undefined;
  return Object.fromEntries(
    Object.entries(declared).map(([name, header]) => [
      name,
      { description: header.description, required: header.required ?? true, schema: { type: 'string' } },
    ]),
  );
}

/**
 * What API Gateway (HTTP API) answers by itself, before or instead of the function, on every route:
 * its own `{"message": "..."}` as `application/json`, not a problem document. The local server
 * (scripts/local/server.ts) answers the same.
 */
const gatewayDescriptions: Record<number, string> = {
  401: 'The JWT authorizer refused the bearer token (missing, expired, not signed by the pool, another client), before the function runs: `{"message":"Unauthorized"}` with a `WWW-Authenticate` header.',
  429: 'API Gateway throttled the request (the stage\'s rate or burst limit): `{"message":"Too Many Requests"}`.',
  500: 'API Gateway: the function crashed or returned a malformed result: `{"message":"Internal Server Error"}`.',
  503: 'API Gateway: the function did not answer within its timeout: `{"message":"Service Unavailable"}`.',
};

/** Listed once under `components.schemas`, referenced by every gateway answer. */
const gatewayMessage = /* @__PURE__ */ lazyValue(() =>
  z.object({ message: z.string() }).meta({
    id: 'GatewayMessage',
    description: "API Gateway's own answer (`application/json`), not the function's.",
  }),
);

/** The header API Gateway's JWT authorizer sends with its 401, e.g. `Bearer scope="" error="invalid_token" error_description="the token has expired"`. */
const wwwAuthenticate = {
  'WWW-Authenticate': {
    description: 'The bearer challenge; names the reason when a token was sent but refused.',
    schema: { type: 'string' as const },
  },
};

const successDescriptions: Record<RouteDefinition['status'], string> = {
  200: 'OK',
  201: 'Created',
  202: 'Accepted',
  204: 'No Content',
};

/**
 * The statuses a route may answer with besides its success: 400 when it validates input, 401 on
 * `jwt` routes, 413 and 415 when it takes a body, its own `problems`, and 500.
 */
export function problemStatuses(route: RouteDefinition): number[] {
  const statuses = new Set<number>(route.problems ?? []);
  if (countsAgainstTenantLimit(route)) statuses.add(429);
  if (route.params || route.query || route.body) statuses.add(400);
  if (route.auth === 'jwt') statuses.add(401);
  // The impersonation header: refused (403) where the route never runs under impersonation; where it
  // may, a session limited to another tenant is a 404 and a tenant with support access off a 403.
  if (route.auth === 'jwt') statuses.add(403);
  if (impersonationPolicy(route) === 'allowed') statuses.add(404);
  if (route.representations) statuses.add(406);
  if (route.body) {
    statuses.add(413);
    statuses.add(415);
  }
  statuses.add(500);
  return [...statuses].sort((a, b) => a - b);
}

/**
 * The statuses API Gateway may answer a route with by itself ({@link gatewayDescriptions}): 401 on
 * `jwt` routes, and on every route 429 (stage throttling), 500 (function crash) and 503 (timeout).
 */
export function gatewayStatuses(route: RouteDefinition): number[] {
  return [...(route.auth === 'jwt' ? [401] : []), 429, 500, 503];
}

/** The error responses of a route: each status's problem document, gateway message, or both. */
/**
 * The headers of an error answer: API Gateway's bearer challenge on its 401, and the function's own
 * headers (`Retry-After` and the RateLimit fields on a 429, the current `ETag` on a 412). Where API
 * Gateway may answer the same status without them, they are not required.
 */
function headersOf(
  status: number,
  fromFunction: boolean,
  fromGateway: boolean,
): { headers: NonNullable<ResponseConfig['headers']> } | undefined {
  const own = fromFunction ? problemHeaders[status] : undefined;
  const headers = {
    ...(status === 401 && fromGateway ? wwwAuthenticate : {}),
    ...(own && fromGateway
      ? Object.fromEntries(
          Object.entries(own).map(([name, header]) => [name, { ...header, required: false }]),
        )
      : own),
  };
  return Object.keys(headers).length > 0 ? { headers } : undefined;
}

function errorResponses(route: RouteDefinition): RouteConfig['responses'] {
  const problems = new Set(problemStatuses(route));
  const gateway = new Set(gatewayStatuses(route));
  const responses: RouteConfig['responses'] = {};
  for (const status of [...new Set([...problems, ...gateway])].sort((a, b) => a - b)) {
    const fromFunction = problems.has(status) ? problemDescriptions[status] : undefined;
    const fromGateway = gateway.has(status) ? gatewayDescriptions[status] : undefined;
    if (problems.has(status) && !fromFunction) {
      throw new Error(`${route.operationId}: no description for problem status ${status}`);
    }
    responses[status] = {
      description: [fromFunction, fromGateway].filter(Boolean).join(' Or, '),
      ...(headersOf(status, fromFunction !== undefined, fromGateway !== undefined) ?? {}),
      content: {
        ...(fromFunction ? { 'application/problem+json': { schema: problem() } } : {}),
        ...(fromGateway ? { 'application/json': { schema: gatewayMessage() } } : {}),
      },
    };
  }
  return responses;
}

/** The top-level field names of a route's JSON response, if it is an object. */
function responseFields(route: RouteDefinition): string[] {
  const response = route.response?.();
  return response instanceof z.ZodObject ? Object.keys(response.shape) : [];
}

const pathParams = (path: string) => [...path.matchAll(/\{(\w+)\}/g)].flatMap((m) => (m[1] ? [m[1]] : []));

interface Link {
  readonly operationId: string;
  readonly parameters: Record<string, string>;
  readonly description: string;
}

/**
 * The OpenAPI links of a route's success response, derived from the route table; stateful fuzzers
 * and client generators follow them:
 * - a create (a POST answering 201) links to every operation on the created resource and below it:
 *   `createProject` answers `projectId`, so it links to each route under
 *   `/v1/tenants/{tenantId}/projects/{projectId}`, taking `projectId` from the response body and
 *   `tenantId` from the request path;
 * - a list that answers `nextCursor` links to its own next page.
 */
export function linksFrom(route: RouteDefinition, all: readonly RouteDefinition[]) {
  const links = { ...createdResourceLinks(route, all), ...nextPageLink(route) };
  return Object.keys(links).length > 0 ? links : undefined;
}

function createdResourceLinks(route: RouteDefinition, all: readonly RouteDefinition[]) {
  const links: Record<string, Link> = {};
  if (route.method !== 'POST' || route.status !== 201) return links;
  const known = new Set(pathParams(route.path));
  for (const field of responseFields(route)) {
    if (known.has(field)) continue;
    const base = `${route.path}/{${field}}`;
    for (const target of all) {
      if (target.path !== base && !target.path.startsWith(`${base}/`)) continue;
      const needed = pathParams(target.path).filter((name) => name !== field);
      // e.g. a member's `userId` below a new tenant: nothing in this request or response names it.
      if (!needed.every((name) => known.has(name))) continue;
      const parameters: Record<string, string> = {};
      for (const name of pathParams(target.path)) {
        parameters[name] = name === field ? `$response.body#/${field}` : `$request.path.${name}`;
      }
      links[target.operationId] = {
        operationId: target.operationId,
        parameters,
        description: `\`${field}\` in the response is the \`${field}\` of ${target.method} ${target.path}.`,
      };
    }
  }
  return links;
}

/**
 * The next page of a list: the same path and query, with the cursor (which only the API can make:
 * it is bound to the list and its query) from the response.
 */
function nextPageLink(route: RouteDefinition): Record<string, Link> {
  const query = Object.keys(route.query?.().shape ?? {});
  if (!query.includes('cursor') || !responseFields(route).includes('nextCursor')) return {};
  const parameters: Record<string, string> = {};
  for (const name of pathParams(route.path)) parameters[name] = `$request.path.${name}`;
  for (const name of query) {
    parameters[name] = name === 'cursor' ? '$response.body#/nextCursor' : `$request.query.${name}`;
  }
  return {
    nextPage: {
      operationId: route.operationId,
      parameters,
      description: 'The next page: `nextCursor` as `cursor`, with the same path and query.',
    },
  };
}

/** The header an operator sends to act as a user (shared/impersonation/), documented where a route allows it. */
const impersonationHeader = /* @__PURE__ */ lazyValue(() =>
  z.object({
    [IMPERSONATION_HEADER]: z
      .string()
      .optional()
      .describe(
        'An impersonation session id (`POST /admin/impersonations`): an operator who opened it acts as its user. Only where the route may run under impersonation.',
      ),
  }),
);

function requestHeaders(route: RouteDefinition): z.ZodObject | undefined {
  const headers = route.headers?.();
  if (impersonationPolicy(route) !== 'allowed') return headers;
  return headers ? headers.extend(impersonationHeader().shape) : impersonationHeader();
}

function toRouteConfig(route: RouteDefinition, all: readonly RouteDefinition[]): RouteConfig {
  const links = linksFrom(route, all);
  const responses: RouteConfig['responses'] = {
    [route.status]: {
      description: successDescriptions[route.status],
      ...(declaredSuccessHeaders(route) ? { headers: successHeaders(route) } : {}),
      ...(route.response
        ? {
            content: {
              'application/json': { schema: route.response() },
              ...Object.fromEntries(
                Object.entries(route.representations ?? {}).map(([media, representation]) => [
                  media,
                  { schema: { type: 'string', description: representation.description } },
                ]),
              ),
            },
          }
        : {}),
      ...(links ? { links } : {}),
    },
    ...errorResponses(route),
  };
  return {
    method: route.method.toLowerCase() as RouteConfig['method'],
    path: route.path,
    operationId: route.operationId,
    summary: route.summary,
    tags: [route.area],
    // Public operations say so (`[]`): no document-wide requirement to inherit, nothing to guess.
    // Routes that also take API keys list both schemes as alternatives.
    security:
      route.auth === 'jwt'
        ? [{ [BEARER]: [] }, ...(acceptsApiClients(routeKey(route)) ? [{ [API_KEY]: [] }] : [])]
        : [],
    request: {
      ...(route.params ? { params: route.params() } : {}),
      ...(route.query ? { query: route.query() } : {}),
      ...(requestHeaders(route) ? { headers: requestHeaders(route) } : {}),
      ...(route.body
        ? { body: { required: true, content: { 'application/json': { schema: route.body() } } } }
        : {}),
    },
    responses,
  };
}

/**
 * Builds the OpenAPI 3.1 document of the HTTP API from the route table and its zod schemas, so the
 * document cannot drift from what the handlers validate.
 */
export function createOpenApiDocument(
  options: { routes?: readonly RouteDefinition[]; serverUrl?: string } = {},
): OpenApiDocument {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', BEARER, {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: 'A Cognito access token of the Plinth user pool.',
  });
  registry.registerComponent('securitySchemes', API_KEY, {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'plk_<keyId>_<secret>',
    description:
      "A tenant's API client key (POST /v1/tenants/{tenantId}/api-clients), on the routes of that tenant its scopes allow.",
  });
  const routes = options.routes ?? routeList;
  for (const route of routes) registry.registerPath(toRouteConfig(route, routes));

  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Plinth API',
      version: '1.0.0',
      description:
        'Multi-tenant SaaS backend. The functions\' errors are RFC 9457 problem details (`application/problem+json`); API Gateway\'s own answers (401 from the JWT authorizer, throttling, crashes, timeouts) are `{"message": "..."}` as `application/json`.',
      // No open-source licence: SPDX's form for one of the owner's own terms.
      license: { name: 'Proprietary', identifier: 'LicenseRef-Proprietary' },
    },
    // Without a server, generated clients have no base URL. By default the API's own origin: the
    // document is served by the API it describes (`GET /openapi.json`).
    servers: [
      options.serverUrl
        ? { url: options.serverUrl }
        : { url: '/', description: 'The API that serves this document.' },
    ],
    tags: Object.entries(tags).map(([name, description]) => ({ name, description })),
  });
}
