import {
  OpenAPIRegistry,
  OpenApiGeneratorV31,
  type ResponseConfig,
  type RouteConfig,
} from '@asteasolutions/zod-to-openapi';
import { problemSchema } from '../http/common.schema.ts';
import type { FunctionArea, RouteDefinition } from '../http/route.ts';
import { routeList } from '../http/routes.ts';

export type OpenApiDocument = ReturnType<OpenApiGeneratorV31['generateDocument']>;

const BEARER = 'bearerJwt';

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
  admin: 'Operations for platform admins (the platform-admin group).',
  metrics: 'Business metrics for platform admins: MRR, its movements, churn and retention.',
  'product-analytics':
    'Product analytics: tracked events, usage and retention per tenant; feature use and retention platform-wide.',
};

/** Every problem status the API answers with. */
const problemDescriptions: Record<number, string> = {
  400: 'The request is invalid; `errors` names each invalid field.',
  401: 'The bearer token is missing or not valid.',
  403: "The caller's role does not allow this, or the tenant or membership is suspended.",
  404: 'The resource does not exist or is not visible to the caller.',
  402: 'Payment is required: the tenant is restricted after failed payments, or a plan limit is reached.',
  409: 'The request conflicts with the current state.',
  412: '`If-Match` does not name the current version: the resource changed since it was read; nothing was changed. `ETag` carries the current one.',
  428: 'This change needs `If-Match` with the ETag of the version it is based on.',
  429: 'A rate limit is reached; nothing was changed. Retry after `Retry-After` seconds.',
  413: 'The request body is too large.',
  415: 'The request body is not JSON.',
  500: 'An unexpected error; quote the request id (`instance`) when reporting it.',
  502: 'A payment provider or mail service failed; the request changed nothing and can be retried.',
};

/** Listed once under `components.schemas` (the id), referenced by every problem response. */
const problem = problemSchema.meta({
  id: 'Problem',
  description: 'RFC 9457 problem details.',
});

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

/** The OpenAPI form of a route's success headers. */
function successHeaders(route: RouteDefinition): ResponseConfig['headers'] {
  if (!route.responseHeaders) return undefined;
  return Object.fromEntries(
    Object.entries(route.responseHeaders).map(([name, header]) => [
      name,
      { description: header.description, required: header.required ?? true, schema: { type: 'string' } },
    ]),
  );
}

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
  if (route.params || route.query || route.body) statuses.add(400);
  if (route.auth === 'jwt') statuses.add(401);
  if (route.body) {
    statuses.add(413);
    statuses.add(415);
  }
  statuses.add(500);
  return [...statuses].sort((a, b) => a - b);
}

function toRouteConfig(route: RouteDefinition): RouteConfig {
  const responses: RouteConfig['responses'] = {
    [route.status]: {
      description: successDescriptions[route.status],
      ...(route.responseHeaders ? { headers: successHeaders(route) } : {}),
      ...(route.response ? { content: { 'application/json': { schema: route.response } } } : {}),
    },
  };
  for (const status of problemStatuses(route)) {
    const description = problemDescriptions[status];
    if (!description) throw new Error(`${route.operationId}: no description for problem status ${status}`);
    responses[status] = {
      description,
      ...(problemHeaders[status] ? { headers: problemHeaders[status] } : {}),
      content: { 'application/problem+json': { schema: problem } },
    };
  }
  return {
    method: route.method.toLowerCase() as RouteConfig['method'],
    path: route.path,
    operationId: route.operationId,
    summary: route.summary,
    tags: [route.area],
    ...(route.auth === 'jwt' ? { security: [{ [BEARER]: [] }] } : {}),
    request: {
      ...(route.params ? { params: route.params } : {}),
      ...(route.query ? { query: route.query } : {}),
      ...(route.headers ? { headers: route.headers } : {}),
      ...(route.body
        ? { body: { required: true, content: { 'application/json': { schema: route.body } } } }
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
  for (const route of options.routes ?? routeList) registry.registerPath(toRouteConfig(route));

  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Plinth API',
      version: '1.0.0',
      description:
        'Multi-tenant SaaS backend. Errors are RFC 9457 problem details (`application/problem+json`).',
    },
    ...(options.serverUrl ? { servers: [{ url: options.serverUrl }] } : {}),
    tags: Object.entries(tags).map(([name, description]) => ({ name, description })),
  });
}
