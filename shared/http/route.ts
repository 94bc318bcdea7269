import type { z } from 'zod';
import type { OperatorPermission } from '../admin/operators.ts';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** A response header a route sends on success, for the OpenAPI document. */
export interface ResponseHeaderDefinition {
  readonly description: string;
  /** Whether every success response carries it (default true). */
  readonly required?: boolean;
}

/**
 * Another representation of a route's success response (besides `application/json`), chosen by the
 * request's `Accept` header: rendered from the response after it passed the route's schema.
 */
export interface AlternateRepresentation {
  /** What the representation holds, for the OpenAPI document. */
  readonly description: string;
  // biome-ignore lint/suspicious/noExplicitAny: the route's parsed response, typed by its schema at the route
  readonly render: (response: any) => string;
  /** Response headers this representation adds (e.g. the next page's cursor, which CSV cannot hold). */
  // biome-ignore lint/suspicious/noExplicitAny: as `render`
  readonly headers?: (response: any) => Readonly<Record<string, string>>;
}

/** The Lambda functions the API is split into: one per feature area. */
export const functionAreas = [
  'system',
  'me',
  'tenants',
  'members',
  'invitations',
  'projects',
  'audit',
  'billing',
  'admin',
  'admin-billing',
  'metrics',
  'product-analytics',
  'impersonation',
  'support',
  'announcements',
  'health',
  'api-clients',
  'erasure',
  'magic-link',
  'sso',
  'exports',
] as const;
export type FunctionArea = (typeof functionAreas)[number];

/**
 * One HTTP route: the data that API Gateway (CDK), the local server, the handlers and the OpenAPI
 * document all read, so the four cannot disagree.
 */
export interface RouteDefinition {
  readonly method: HttpMethod;
  /** API Gateway path syntax: `/v1/tenants/{tenantId}`. */
  readonly path: string;
  readonly area: FunctionArea;
  /**
   * `jwt`: the Cognito JWT authorizer must accept the bearer token; on the routes that accept API
   * keys (shared/api-clients/scopes.ts `apiClientRoutes`) the Lambda authorizer stands in for it and
   * accepts either a user's access token or an API key.
   */
  readonly auth: 'none' | 'jwt';
  /**
   * Operators only: the caller needs an operator role that grants this permission and MFA enrolled
   * (shared/admin/operators.ts), checked before the request is validated. Every `/admin` route sets it.
   */
  readonly operator?: OperatorPermission;
  /**
   * Whether an operator may call the route while impersonating a user (`Plinth-Impersonation`
   * header, shared/impersonation/route-policy.ts). Billing, credentials, account deletion, exports,
   * tenant deletion and every `/admin` route never may, whatever they declare.
   * @default 'allowed' for GET, 'never' for every change
   */
  readonly impersonation?: 'allowed' | 'never';
  readonly operationId: string;
  readonly summary: string;
  /**
   * The schemas are thunks (shared/app/deferred.ts `lazyValue`, which builds once and then returns
   * the same schema): a cold start builds none of them, and a container builds a route's schemas on
   * its first request to that route. zod schemas cost a measurable share of a cold start each.
   */
  readonly params?: () => z.ZodObject;
  readonly query?: () => z.ZodObject;
  /**
   * Request headers the route reads, by lower-case name (API Gateway passes them lower-cased),
   * validated like `params` (a 400 names `header.<name>`). Use a non-strict object: every request
   * carries other headers too.
   */
  readonly headers?: () => z.ZodObject;
  readonly body?: () => z.ZodType;
  /**
   * Bodies above this many bytes are refused with 413 before parsing.
   * @default MAX_BODY_BYTES (16 KB, shared/http/api-handler.ts)
   */
  readonly maxBodyBytes?: number;
  /** Absent for 204 responses. */
  readonly response?: () => z.ZodType;
  readonly status: 200 | 201 | 202 | 204;
  /** Headers the success response carries, by lower-case name (e.g. `etag`); documented in OpenAPI. */
  readonly responseHeaders?: Readonly<Record<string, ResponseHeaderDefinition>>;
  /**
   * Other media types the success response comes in (e.g. `text/csv`), by media type; the client
   * picks one with `Accept` (JSON stays the default; 406 when it accepts none). Documented in OpenAPI.
   */
  readonly representations?: Readonly<Record<string, AlternateRepresentation>>;
  /** Problem statuses this route may answer with, besides 400/401/500; documented in OpenAPI. */
  readonly problems?: readonly number[];
}

export function defineRoute<const R extends RouteDefinition>(route: R): R {
  return route;
}

/** API Gateway's route key, e.g. `GET /v1/tenants/{tenantId}`. */
export function routeKey(route: Pick<RouteDefinition, 'method' | 'path'>): string {
  return `${route.method} ${route.path}`;
}
