import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy, { type MiddlewareObj } from '@middy/core';
import type {
  APIGatewayProxyEventV2WithJWTAuthorizer,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';
import type { z } from 'zod';
import type { Operator, OperatorGuard } from '../admin/operators.ts';
import { apiClientRoutes } from '../api-clients/scopes.ts';
import {
  type Caller,
  callerFromAuthorizerContext,
  callerFromClaims,
  type Impersonator,
} from '../auth/caller.ts';
import { runInRequestScope } from '../db/tenant-scope.ts';
import { IMPERSONATION_HEADER, impersonationPolicy, neverReason } from '../impersonation/route-policy.ts';
import { logger } from '../observability/logger.ts';
import {
  BadRequestError,
  type FieldError,
  ForbiddenError,
  NotAcceptableError,
  NotFoundError,
  PayloadTooLargeError,
  type ResponseHeaders,
  UnsupportedMediaTypeError,
} from './errors.ts';
import { negotiateMediaType } from './negotiate.ts';
import { toProblemResponse } from './problem.ts';
import { type FunctionArea, type RouteDefinition, routeKey } from './route.ts';

/** Bodies above this are refused with 413 before parsing, unless the route sets its own `maxBodyBytes`. */
export const MAX_BODY_BYTES = 16 * 1024;

/** Facts about the HTTP request that use cases record (audit) or log. */
export interface RequestMeta {
  readonly requestId: string;
  readonly sourceIp: string;
  /** The operator and session behind an impersonated request; audit entries record it. */
  readonly impersonatedBy?: Impersonator;
  /** The API client whose key made the request; audit entries name it as the actor. */
  readonly apiClient?: { readonly clientId: string; readonly name: string };
  /**
   * Response headers that code serving the request adds, by lower-case name: the api handler sends
   * them with the response, success or problem (the tenant's API rate limit, added where the tenant
   * is resolved). Present on every request the api handler builds; absent on hand-made ones.
   */
  readonly responseHeaders?: Record<string, string>;
  /**
   * The route key (`GET /v1/tenants/{tenantId}/projects`), not enumerable like the header sink: an
   * API client's reads are audited with it (shared/api-clients/client-gate.ts).
   */
  readonly route?: string;
}

/**
 * Resolves impersonation sessions for the dispatch (shared/impersonation/impersonation-gate.ts):
 * the user an operator acts as with `sessionId`, on a request whose path names `tenantId` (if any).
 * Throws 401 for an unknown, foreign, ended or expired session, 403 when the caller may not
 * impersonate or the tenant turned support access off, 404 for a tenant outside the session's.
 */
export interface ImpersonationGate {
  impersonate(operator: Caller, sessionId: string, tenantId: string | undefined): Promise<Caller>;
}

const neverReasonText = {
  admin: 'admin routes',
  billing: 'billing',
  credentials: 'credentials',
  'account-deletion': 'deleting an account',
  export: 'data exports',
  'tenant-deletion': 'deleting a tenant',
} as const;

/**
 * The caller a request runs as: the impersonated user when an authenticated caller sends the
 * impersonation header, else the caller. Refused (403) on a route that may not run under
 * impersonation, before the session is even looked up; no header costs nothing.
 */
async function effectiveCaller(
  route: RouteDefinition,
  caller: Caller,
  event: ApiEvent,
  gate: ImpersonationGate | undefined,
): Promise<Caller> {
  const sessionId = lowerCaseKeys(event.headers ?? {})[IMPERSONATION_HEADER];
  if (sessionId === undefined) return caller;
  // Refusals are logged with the session asked for, too.
  logger.appendKeys({ impersonationSessionId: sessionId.slice(0, 64) });
  if (impersonationPolicy(route) === 'never') {
    const reason = neverReason(route);
    throw new ForbiddenError(
      `This action is not allowed while impersonating a user${reason ? ` (${neverReasonText[reason]} never are)` : ''}: send the request without the ${IMPERSONATION_HEADER} header to act as yourself.`,
    );
  }
  if (!gate) throw new ForbiddenError('This function does not serve requests under impersonation.');
  return gate.impersonate(caller, sessionId, event.pathParameters?.tenantId);
}

/**
 * The authenticated caller: from the Lambda authorizer's context on the routes that accept API keys
 * (shared/api-clients/scopes.ts), else from the Cognito JWT authorizer's claims.
 */
function authenticate(event: ApiEvent): Caller {
  const authorizer = event.requestContext.authorizer as
    | { readonly lambda?: Record<string, unknown>; readonly jwt?: { claims?: Record<string, unknown> } }
    | undefined;
  if (authorizer?.lambda) return callerFromAuthorizerContext(authorizer.lambda);
  return callerFromClaims(authorizer?.jwt?.claims);
}

/**
 * What an API key may reach, checked before anything is read: its own tenant only (another
 * tenant's path is the same 404 as for a stranger), the routes API keys are accepted on, and the
 * scope the route needs (403). The creator's role narrows it further in `authorize`.
 */
function checkApiClientRequest(route: RouteDefinition, caller: Caller, event: ApiEvent): void {
  const client = caller.apiClient;
  if (!client) return;
  if (event.pathParameters?.tenantId !== client.tenantId) throw new NotFoundError('Tenant not found.');
  const scope = apiClientRoutes[routeKey(route)];
  if (scope === undefined) throw new ForbiddenError('API keys cannot call this route; sign in as a user.');
  if (!client.scopes.includes(scope)) {
    throw new ForbiddenError(`This API client does not have the ${scope} scope this route needs.`);
  }
  if (lowerCaseKeys(event.headers ?? {})[IMPERSONATION_HEADER] !== undefined) {
    throw new ForbiddenError('API clients cannot impersonate.');
  }
}

/** Adds `headers` to the response of `request` (nothing for a request built without a sink). */
export function addResponseHeaders(request: RequestMeta, headers: ResponseHeaders): void {
  if (!request.responseHeaders) return;
  Object.assign(request.responseHeaders, mergeResponseHeaders(request.responseHeaders, headers));
}

/** The RateLimit fields are structured-field lists: two sources' members are joined, not replaced. */
const LIST_HEADERS: ReadonlySet<string> = new Set(['ratelimit', 'ratelimit-policy']);

/** `later` over `earlier`, joining the RateLimit lists both carry (earlier's members first). */
export function mergeResponseHeaders(earlier: ResponseHeaders, later: ResponseHeaders): ResponseHeaders {
  const merged: Record<string, string> = { ...earlier, ...later };
  for (const name of LIST_HEADERS) {
    const first = earlier[name];
    const second = later[name];
    if (first !== undefined && second !== undefined && first !== second) merged[name] = `${first}, ${second}`;
  }
  return merged;
}

/** Each request's header sink, for the error middleware, which sees the event but not the request meta. */
const sinks = new WeakMap<object, Record<string, string>>();

/** What a route's schema thunk parses to; `undefined` when the route has none. */
type Infer<S> = S extends () => infer T ? (T extends z.ZodType ? z.output<T> : undefined) : undefined;
type Output<R extends RouteDefinition> = R['response'] extends () => infer T
  ? T extends z.ZodType
    ? z.input<T>
    : undefined
  : undefined;

const replied: unique symbol = Symbol('Reply');

/** A success body with response headers (ETag, RateLimit): what {@link reply} makes. */
export interface Reply<T> {
  readonly [replied]: true;
  readonly body: T;
  readonly headers: ResponseHeaders;
}

/** Answers with `body` and these response headers (lower-case names) instead of the body alone. */
export function reply<T>(body: T, headers: ResponseHeaders): Reply<T> {
  return { [replied]: true, body, headers };
}

function isReply(value: unknown): value is Reply<unknown> {
  return typeof value === 'object' && value !== null && replied in value;
}

export interface HandlerInput<R extends RouteDefinition> {
  readonly params: Infer<R['params']>;
  readonly query: Infer<R['query']>;
  /** The request headers the route declares (`route.headers`), validated. */
  readonly headers: Infer<R['headers']>;
  readonly body: Infer<R['body']>;
  readonly request: RequestMeta;
  /**
   * Present on every `jwt` route; `undefined` on public ones. On the routes that accept API keys it
   * may be an API client (`caller.apiClient`), acting with its creator's `userId`.
   */
  readonly caller: R['auth'] extends 'jwt' ? Caller : undefined;
  /** The operator who passed the route's guard; present on every route that sets `operator`. */
  readonly operator: R['operator'] extends string ? Operator : undefined;
  /**
   * The caller's own access token (the `Authorization: Bearer` token the authorizer verified), for
   * the few use cases that call Cognito as the user (MFA enrolment). Absent on public routes and
   * under impersonation (the token is then the operator's). A credential: never log or store it.
   */
  readonly accessToken: string | undefined;
}

export interface Implementation {
  readonly route: RouteDefinition;
  readonly run: (input: HandlerInput<RouteDefinition>) => Promise<unknown>;
}

/** Pairs a route with the function that serves it, typed from the route's schemas. */
export function implement<R extends RouteDefinition>(
  route: R,
  run: (input: HandlerInput<R>) => Promise<Output<R> | Reply<Output<R>>>,
): Implementation {
  return { route, run: run as Implementation['run'] };
}

export type ApiEvent = APIGatewayProxyEventV2WithJWTAuthorizer;

function fieldErrors(location: string, error: z.ZodError): FieldError[] {
  return error.issues.flatMap((issue) => {
    const base = [location, ...issue.path.map(String)].join('.');
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ field: `${base}.${key}`, message: 'is not a known field' }));
    }
    return [{ field: base, message: issue.message }];
  });
}

function parsePart<S extends z.ZodType | undefined>(schema: S, value: unknown, location: string): Infer<S> {
  if (!schema) return undefined as Infer<S>;
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new BadRequestError(`The request ${location} is invalid.`, fieldErrors(location, result.error));
  }
  return result.data as Infer<S>;
}

/** API Gateway lower-cases header names; events built by hand (tests) may not. */
function lowerCaseKeys(headers: Record<string, string | undefined>): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers))
    if (value !== undefined) result[name.toLowerCase()] = value;
  return result;
}

/** The bearer token of the `Authorization` header (which API Gateway's authorizer has verified). */
function bearerToken(event: ApiEvent): string | undefined {
  const value = lowerCaseKeys(event.headers ?? {}).authorization;
  const match = value === undefined ? null : /^Bearer\s+(\S+)$/i.exec(value.trim());
  return match?.[1];
}

function readJsonBody(event: ApiEvent, maxBytes: number): unknown {
  if (event.body === undefined || event.body === '') return undefined;
  const raw = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  if (Buffer.byteLength(raw, 'utf8') > maxBytes) throw new PayloadTooLargeError(maxBytes);
  const contentType = event.headers['content-type'] ?? '';
  if (!/^application\/([a-z.+-]+\+)?json\b/i.test(contentType)) throw new UnsupportedMediaTypeError();
  try {
    return JSON.parse(raw);
  } catch {
    throw new BadRequestError('The request body is not valid JSON.', [
      { field: 'body', message: 'malformed JSON' },
    ]);
  }
}

function json(
  status: number,
  value: unknown,
  headers: ResponseHeaders = {},
): APIGatewayProxyStructuredResultV2 {
  if (value === undefined) return { statusCode: status, headers: { ...headers } };
  return {
    statusCode: status,
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify(value),
  };
}

const JSON_MEDIA_TYPE = 'application/json';

/**
 * The media type a route answers this request with: JSON unless the route offers other
 * representations and `Accept` prefers one (406 when it accepts none). Decided before the use case
 * runs, so an unacceptable request changes nothing.
 */
function chooseMediaType(route: RouteDefinition, event: ApiEvent): string {
  if (!route.representations) return JSON_MEDIA_TYPE;
  const offered = [JSON_MEDIA_TYPE, ...Object.keys(route.representations)];
  const accept = lowerCaseKeys(event.headers ?? {}).accept;
  const chosen = negotiateMediaType(accept, offered);
  if (!chosen) throw new NotAcceptableError(offered);
  return chosen;
}

/** Maps every error to a problem response, logging faults in full and client errors briefly. */
const problemDetails = (): MiddlewareObj<ApiEvent, APIGatewayProxyStructuredResultV2> => ({
  onError: async (request) => {
    const problem = toProblemResponse(request.error, request.event.requestContext?.requestId);
    const added = sinks.get(request.event);
    const response = added
      ? { ...problem, headers: { ...mergeResponseHeaders(problem.headers as ResponseHeaders, added) } }
      : problem;
    if ((response.statusCode ?? 500) >= 500) logger.error('request failed', { error: request.error });
    else logger.info('request refused', { status: response.statusCode, detail: request.error?.message });
    request.response = response;
  },
});

/**
 * The one middleware stack of every API function: logging context, route dispatch by API Gateway
 * route key, zod validation of path, query and body, response shaping and problem details.
 *
 * `areaRoutes` is the area's own route table (`shared/http/routes/<area>.ts`), not the aggregate
 * in shared/http/routes.ts: a function evaluates at cold start only the schemas it serves.
 * Throws at cold start if the table holds another area's route, or if the table and the
 * implementations disagree.
 */
export function createApiHandler(
  area: FunctionArea,
  areaRoutes: Readonly<Record<string, RouteDefinition>>,
  implementations: readonly Implementation[],
  options: { readonly operators?: OperatorGuard; readonly impersonation?: ImpersonationGate } = {},
) {
  const foreign = Object.values(areaRoutes).filter((r) => r.area !== area);
  if (foreign.length > 0) {
    throw new Error(
      `Area ${area}: the route table holds ${foreign.map(routeKey).join(', ')} of another area`,
    );
  }
  const guarded = Object.values(areaRoutes).filter((r) => r.operator !== undefined);
  if (guarded.length > 0 && !options.operators) {
    throw new Error(`Area ${area}: ${guarded.map(routeKey).join(', ')} need an operator guard`);
  }
  const expected = Object.values(areaRoutes).map(routeKey);
  const byKey = new Map(implementations.map((i) => [routeKey(i.route), i]));
  const missing = expected.filter((k) => !byKey.has(k));
  const extra = [...byKey.keys()].filter((k) => !expected.includes(k));
  if (missing.length > 0 || extra.length > 0) {
    throw new Error(
      `Area ${area}: missing ${missing.join(', ') || 'none'}; not in route table: ${extra.join(', ') || 'none'}`,
    );
  }

  const dispatch = async (event: ApiEvent, _context: Context): Promise<APIGatewayProxyStructuredResultV2> => {
    const implementation = byKey.get(event.routeKey);
    if (!implementation) throw new NotFoundError(`No route ${event.routeKey}.`);
    const { route } = implementation;
    const authenticated = route.auth === 'jwt' ? authenticate(event) : undefined;
    logger.appendKeys({
      requestId: event.requestContext.requestId,
      route: event.routeKey,
      userId: authenticated?.userId,
      tenantId: event.pathParameters?.tenantId,
      ...(authenticated?.apiClient ? { apiClientId: authenticated.apiClient.clientId } : {}),
    });
    if (authenticated) checkApiClientRequest(route, authenticated, event);
    const caller = authenticated
      ? await effectiveCaller(route, authenticated, event, options.impersonation)
      : undefined;
    const impersonatedBy = caller?.impersonatedBy;
    if (impersonatedBy) {
      // Every log line of the request names the user it runs as and the operator behind it.
      logger.appendKeys({
        userId: caller.userId,
        impersonatedBy: impersonatedBy.operatorId,
        impersonationSessionId: impersonatedBy.sessionId,
      });
    }
    const responseHeaders: Record<string, string> = {};
    sinks.set(event, responseHeaders);
    // Not enumerable: use cases spread and store the request meta (audit), never the sink.
    const request: RequestMeta = Object.defineProperty(
      {
        requestId: event.requestContext.requestId,
        sourceIp: event.requestContext.http.sourceIp,
        ...(impersonatedBy ? { impersonatedBy } : {}),
        ...(caller?.apiClient
          ? { apiClient: { clientId: caller.apiClient.clientId, name: caller.apiClient.name } }
          : {}),
      },
      'responseHeaders',
      { value: responseHeaders, enumerable: false },
    );
    Object.defineProperty(request, 'route', { value: event.routeKey, enumerable: false });
    // Who may call an operator route is decided before its input is looked at.
    const operator =
      route.operator && caller ? await options.operators?.authorize(caller, route.operator) : undefined;

    const params = parsePart(route.params?.(), event.pathParameters ?? {}, 'path');
    const query = parsePart(route.query?.(), event.queryStringParameters ?? {}, 'query');
    const headers = parsePart(route.headers?.(), lowerCaseKeys(event.headers ?? {}), 'header');
    const body = route.body
      ? parsePart(route.body(), readJsonBody(event, route.maxBodyBytes ?? MAX_BODY_BYTES), 'body')
      : undefined;
    const mediaType = chooseMediaType(route, event);
    // Never an API key: only a user's own access token can call Cognito as the user.
    const accessToken = caller && !impersonatedBy && !caller.apiClient ? bearerToken(event) : undefined;

    const result = await implementation.run({
      params,
      query,
      headers,
      body,
      request,
      caller,
      operator,
      accessToken,
    } as HandlerInput<RouteDefinition>);
    const { value, replyHeaders } = isReply(result)
      ? { value: result.body, replyHeaders: result.headers }
      : { value: result, replyHeaders: {} };
    // The route's own RateLimit members first, the tenant's API limit after them.
    const headersOut = mergeResponseHeaders(replyHeaders, responseHeaders);
    // Parsing the result strips anything the schema does not name (keys, internal fields).
    const parsed = route.response ? route.response().parse(value) : undefined;
    const representation = route.representations?.[mediaType];
    // A route with several representations varies by Accept: caches must key on it.
    const vary: ResponseHeaders = route.representations ? { vary: 'accept' } : {};
    if (representation) {
      return {
        statusCode: route.status,
        headers: {
          ...headersOut,
          ...representation.headers?.(parsed),
          ...vary,
          'content-type': `${mediaType}; charset=utf-8`,
        },
        body: representation.render(parsed),
      };
    }
    return json(route.status, parsed, { ...headersOut, ...vary });
  };

  return (
    middy<ApiEvent, APIGatewayProxyStructuredResultV2>()
      .use(injectLambdaContext(logger, { resetKeys: true }))
      .use(problemDetails())
      // Each request runs in a scope of its own: once `tenancy.resolve` binds it to the tenant, the
      // table client holds every command to that tenant (shared/db/tenant-scope.ts).
      .handler((event, context) => runInRequestScope(() => dispatch(event, context)))
  );
}
