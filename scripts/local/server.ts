/**
 * The local API Gateway: serves every route of the shared route table on localhost and calls the
 * Lambda handlers in process with the payload API Gateway (HTTP API, payload format 2.0) sends.
 *
 * Behaviour, mirroring the deployed HTTP API where it matters to clients:
 * - Routes match on method + path template (`{name}` is one segment, `{name+}` the rest); literal
 *   segments win over parameters. No route for the path, or none for the method on a known path,
 *   answers 404 (API Gateway has no 405 either), here as a problem document.
 * - `jwt` routes need a valid Cognito *access* token of this pool and app client (signature against
 *   the emulator's JWKS, issuer `https://cognito-idp.<region>.amazonaws.com/<pool>`, expiry, client
 *   id); otherwise 401 `{"message":"Unauthorized"}` before the function runs. Stricter than API
 *   Gateway in one way: it also accepts ID tokens whose `aud` is the client; we refuse them.
 * - Claims reach the function as strings, arrays as `[a b]`; `scopes` is null (no route declares
 *   authorization scopes; read the `scope` claim instead).
 * - Bodies over `maxBodyBytes` (1 MiB) get 413 before the function runs (API Gateway's limit is
 *   10 MB; this only guards the local process). A function that throws or returns a malformed result
 *   gives 500 `{"message":"Internal Server Error"}`, one slower than 30 s gives 503, as API Gateway.
 *
 * - The routes that accept API keys (shared/api-clients/scopes.ts) run the Lambda authorizer
 *   instead (functions/api-authorizer/handler.ts, in process): no `Authorization` header is a 401
 *   before it runs, an `isAuthorized: false` answer a 403 `{"message":"Forbidden"}`, and its answer
 *   reaches the function as `requestContext.authorizer.lambda`, cached per header value for
 *   `AUTHORIZER_CACHE_SECONDS` as API Gateway caches it.
 *
 * It also stands in for the Stripe webhook's Lambda Function URL (auth NONE: Stripe signs its
 * requests): `POST /webhooks/stripe` hands the raw body and headers, untouched, to
 * functions/stripe-webhook/handler.ts as a `LambdaFunctionURLEvent`, and maps its result as a
 * Function URL does (the same mapping as payload 2.0).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type {
  APIGatewayEventRequestContextV2,
  APIGatewayProxyEventV2WithJWTAuthorizer,
  APIGatewayProxyResultV2,
  APIGatewayProxyStructuredResultV2,
  APIGatewayRequestAuthorizerEventV2,
  Context,
  LambdaFunctionURLEvent,
  LambdaFunctionURLResult,
} from 'aws-lambda';
import { AUTHORIZER_CACHE_SECONDS, acceptsApiClients } from '../../shared/api-clients/scopes.ts';
import { NotFoundError, PayloadTooLargeError } from '../../shared/http/errors.ts';
import { toProblemResponse } from '../../shared/http/problem.ts';
import { type FunctionArea, type RouteDefinition, routeKey } from '../../shared/http/route.ts';
import { routeList } from '../../shared/http/routes.ts';
import { createConsoleHandler } from './console.ts';
import { createJwtAuthorizer, toApiGatewayClaims } from './jwt-authorizer.ts';
import { createLambdaContext, LOCAL_ACCOUNT_ID } from './lambda-context.ts';
import { captureEmf, type LocalMetrics, localFunctionName } from './metrics.ts';

/** `npm run dev` serves the API here unless `PLINTH_PORT` says otherwise. */
export const DEFAULT_API_PORT = 3000;
export const API_PORT_ENV = 'PLINTH_PORT';
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
/** API Gateway's integration timeout. */
const INTEGRATION_TIMEOUT_MS = 30_000;
/** moto's default account, so ARNs look alike everywhere locally. */

export type ApiGatewayEvent = APIGatewayProxyEventV2WithJWTAuthorizer;

/** What `functions/<area>/handler.ts` exports. */
export interface HandlerModule {
  handler(event: ApiGatewayEvent, context: Context): Promise<APIGatewayProxyResultV2>;
}

export type LoadHandler = (area: FunctionArea) => Promise<HandlerModule>;

/** Where the local server serves the Stripe webhook (the deployed one is a Function URL). */
export const STRIPE_WEBHOOK_PATH = '/webhooks/stripe';

/** What functions/stripe-webhook/handler.ts exports. */
export interface WebhookHandlerModule {
  handler(event: LambdaFunctionURLEvent, context: Context): Promise<LambdaFunctionURLResult>;
}

export type LoadWebhookHandler = () => Promise<WebhookHandlerModule>;

/** Imports the webhook function's entry point (see {@link loadFunctionHandler} about the environment). */
export const loadStripeWebhookHandler: LoadWebhookHandler = () =>
  import(stripeWebhookEntry) as Promise<WebhookHandlerModule>;
const stripeWebhookEntry: string = '../../functions/stripe-webhook/handler.ts';

/** What functions/api-authorizer/handler.ts exports: an HTTP API REQUEST authorizer (simple responses). */
export interface AuthorizerModule {
  handler(event: APIGatewayRequestAuthorizerEventV2): Promise<{
    readonly isAuthorized: boolean;
    readonly context?: Readonly<Record<string, unknown>>;
  }>;
}

export type LoadAuthorizer = () => Promise<AuthorizerModule>;

/** Imports the API authorizer's entry point (see {@link loadFunctionHandler} about the environment). */
export const loadApiAuthorizer: LoadAuthorizer = () =>
  import(apiAuthorizerEntry) as Promise<AuthorizerModule>;
const apiAuthorizerEntry: string = '../../functions/api-authorizer/handler.ts';

/**
 * Imports a function's entry point. Handlers read the environment and build their AWS clients when
 * first imported, so set `process.env` before the first request. The `magic-link` function runs
 * with a local stand-in for Cognito's custom auth flow, which the emulator lacks (./magic-link.ts).
 */
export const loadFunctionHandler: LoadHandler = (area) =>
  area === 'magic-link' ? import('./magic-link.ts') : import(`../../functions/${area}/handler.ts`);

export interface LocalServerOptions {
  /** 0 (the default) picks a free port; read it back from `url`. */
  readonly port?: number;
  readonly host?: string;
  readonly region: string;
  readonly userPoolId: string;
  readonly clientId: string;
  /** The SSO app client, whose access tokens the authorizer accepts too (as API Gateway's audience). */
  readonly ssoClientId?: string | undefined;
  /** Where the emulator serves Cognito (and `/<poolId>/.well-known/jwks.json`). */
  readonly cognitoEndpoint: string;
  /** Defaults to {@link loadFunctionHandler}; tests pass fakes. Called once per area. */
  readonly loadHandler?: LoadHandler;
  /** Defaults to {@link loadStripeWebhookHandler}; tests pass fakes. Called once. */
  readonly loadWebhookHandler?: LoadWebhookHandler;
  /** Defaults to {@link loadApiAuthorizer}. Called once. */
  readonly loadAuthorizer?: LoadAuthorizer;
  /** Defaults to the shared route table. */
  readonly routes?: readonly RouteDefinition[];
  readonly maxBodyBytes?: number;
  /** One line per request (`GET /health 200 3 ms`); silent by default. */
  readonly log?: (line: string) => void;
  /** Faults (a function threw, the JWKS could not be fetched); default `console.error`. */
  readonly onError?: (error: unknown, context: { routeKey: string }) => void;
  /**
   * Where the functions' metrics go (scripts/local/metrics.ts): their EMF lines, and the `Errors`
   * and webhook URL 4xx/5xx counts Lambda would publish. Without it, no metric leaves the process.
   */
  readonly metrics?: LocalMetrics;
  /** Names the local functions `plinth-<stage>-<area>` (contexts and metrics). @default 'local' */
  readonly stage?: string;
  /**
   * Serves the admin console built in `dir` under `/console/` on the API's origin, with its
   * `config.json` and a Cognito pass-through (scripts/local/console.ts).
   */
  readonly console?: { readonly dir: string };
}

export interface LocalServer {
  /** e.g. `http://127.0.0.1:3000`, no trailing slash. */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

interface CompiledRoute {
  readonly route: RouteDefinition;
  readonly key: string;
  readonly segments: readonly Segment[];
}

type Segment =
  | { readonly kind: 'literal'; readonly value: string }
  | { readonly kind: 'param'; readonly name: string; readonly greedy: boolean };

interface HttpReply {
  readonly status: number;
  readonly headers: OutgoingHttpHeaders;
  readonly body?: string | Buffer;
}

export async function startLocalServer(options: LocalServerOptions): Promise<LocalServer> {
  const host = options.host ?? '127.0.0.1';
  const routes = (options.routes ?? routeList).map(compileRoute);
  const loadHandler = options.loadHandler ?? loadFunctionHandler;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const onError =
    options.onError ?? ((error, { routeKey }) => console.error(`[local api] ${routeKey}:`, error));
  const authorizer = createJwtAuthorizer(options);
  const loadAuthorizer = options.loadAuthorizer ?? loadApiAuthorizer;
  let apiAuthorizer: Promise<AuthorizerModule> | undefined;
  /** API Gateway's authorizer result cache: answers by `Authorization` value, for the TTL. */
  const authorizerCache = new Map<string, { readonly expires: number; readonly answer: LambdaAnswer }>();
  type LambdaAnswer = Awaited<ReturnType<AuthorizerModule['handler']>>;
  const runApiAuthorizer = async (
    header: string,
    event: APIGatewayRequestAuthorizerEventV2,
  ): Promise<LambdaAnswer> => {
    const cached = authorizerCache.get(header);
    if (cached && cached.expires > Date.now()) return cached.answer;
    if (!apiAuthorizer) {
      apiAuthorizer = loadAuthorizer();
      apiAuthorizer.catch(() => {
        apiAuthorizer = undefined;
      });
    }
    const answer = await (await apiAuthorizer).handler(event);
    authorizerCache.set(header, { expires: Date.now() + AUTHORIZER_CACHE_SECONDS * 1000, answer });
    return answer;
  };
  const handlers = new Map<FunctionArea, Promise<HandlerModule>>();
  const loadWebhookHandler = options.loadWebhookHandler ?? loadStripeWebhookHandler;
  const stage = options.stage ?? 'local';
  const localMetrics = options.metrics;
  // Imported only now: the metrics instance reads its namespace from the environment the caller set.
  const releaseEmf = localMetrics
    ? captureEmf((await import('../../shared/observability/metrics.ts')).metrics, (line) =>
        localMetrics.emf(line),
      )
    : undefined;
  /** Counts what Lambda would count for the function in AWS/Lambda. */
  const countLambda = (metricName: string, name: string) =>
    localMetrics?.lambda(metricName, localFunctionName(stage, name));
  let webhookHandler: Promise<WebhookHandlerModule> | undefined;
  let port = 0;
  const consoleHandler = options.console
    ? createConsoleHandler({
        dir: options.console.dir,
        region: options.region,
        userPoolId: options.userPoolId,
        clientId: options.clientId,
        cognitoEndpoint: options.cognitoEndpoint,
      })
    : undefined;

  const loadOnce = (area: FunctionArea) => {
    let loaded = handlers.get(area);
    if (!loaded) {
      loaded = loadHandler(area);
      // A failed import (syntax error, bad env) is retried on the next request, after a fix.
      loaded.catch(() => handlers.delete(area));
      handlers.set(area, loaded);
    }
    return loaded;
  };

  const loadWebhookOnce = () => {
    if (!webhookHandler) {
      const loaded = loadWebhookHandler();
      loaded.catch(() => {
        webhookHandler = undefined;
      });
      webhookHandler = loaded;
    }
    return webhookHandler;
  };

  /**
   * Runs a function with API Gateway's integration timeout; a throw is a 500, a timeout a 503, and
   * both count as the function's `Errors`, as in Lambda.
   */
  const invoke = async <T>(
    key: string,
    name: string,
    call: () => Promise<T>,
    map: (result: T) => HttpReply,
  ) => {
    let timer: NodeJS.Timeout | undefined;
    try {
      const result = await Promise.race([
        call(),
        new Promise<'timeout'>((resolve) => {
          timer = setTimeout(() => resolve('timeout'), INTEGRATION_TIMEOUT_MS);
        }),
      ]);
      if (result === 'timeout') {
        countLambda('Errors', name);
        return jsonReply(503, { message: 'Service Unavailable' });
      }
      return map(result);
    } catch (error) {
      onError(error, { routeKey: key });
      countLambda('Errors', name);
      return jsonReply(500, { message: 'Internal Server Error' });
    } finally {
      clearTimeout(timer);
    }
  };

  /** The Function URL stand-in: no authorizer, the body exactly as sent (signatures cover it). */
  const handleWebhook = async (req: IncomingMessage, rawPath: string, rawQueryString: string) => {
    const body = await readBody(req, maxBodyBytes);
    if (body === 'too-large')
      return fromStructured(toProblemResponse(new PayloadTooLargeError(maxBodyBytes)));
    const event = buildFunctionUrlEvent({ req, rawPath, rawQueryString, body, port });
    const key = `${req.method ?? 'POST'} ${STRIPE_WEBHOOK_PATH}`;
    const reply = await invoke(
      key,
      'stripe-webhook',
      async () =>
        (await loadWebhookOnce()).handler(event, lambdaContext('stripe-webhook', options.region, stage)),
      fromLambdaResult,
    );
    // A Function URL counts its answers by class.
    if (reply.status >= 500) countLambda('Url5xxCount', 'stripe-webhook');
    else if (reply.status >= 400) countLambda('Url4xxCount', 'stripe-webhook');
    return reply;
  };

  const handle = async (req: IncomingMessage): Promise<HttpReply> => {
    const method = req.method ?? 'GET';
    const target = req.url ?? '/';
    const queryAt = target.indexOf('?');
    const rawPath = queryAt === -1 ? target : target.slice(0, queryAt);
    const rawQueryString = queryAt === -1 ? '' : target.slice(queryAt + 1);

    if (rawPath === STRIPE_WEBHOOK_PATH && method === 'POST') {
      return handleWebhook(req, rawPath, rawQueryString);
    }
    const consoleReply = await consoleHandler?.(req, rawPath);
    if (consoleReply) return consoleReply;

    const match = matchRoute(routes, method, rawPath);
    if (!match) {
      req.resume();
      return fromStructured(toProblemResponse(new NotFoundError(`No route matches ${method} ${rawPath}.`)));
    }

    const body = await readBody(req, maxBodyBytes);
    if (body === 'too-large')
      return fromStructured(toProblemResponse(new PayloadTooLargeError(maxBodyBytes)));

    let claims: Record<string, string> | undefined;
    let scopes: string[] | null = null;
    let authorizerContext: Readonly<Record<string, unknown>> | undefined;
    if (match.route.route.auth === 'jwt' && acceptsApiClients(match.route.key)) {
      const header = headerValue(req, 'authorization');
      // The identity source is missing: API Gateway answers 401 without calling the authorizer.
      if (!header) return jsonReply(401, { message: 'Unauthorized' });
      const answer = await runApiAuthorizer(
        header,
        buildAuthorizerEvent(req, match.route.key, rawPath, rawQueryString, match.pathParameters, header),
      );
      if (!answer.isAuthorized) return jsonReply(403, { message: 'Forbidden' });
      authorizerContext = answer.context ?? {};
    } else if (match.route.route.auth === 'jwt') {
      const result = await authorizer.authorize(headerValue(req, 'authorization'));
      if (!result.authorized) {
        // API Gateway's own 401: `{"message":"Unauthorized"}` as application/json, never a problem
        // document, with the challenge naming the reason (documented in the OpenAPI document).
        return jsonReply(401, { message: 'Unauthorized' }, { 'www-authenticate': result.challenge });
      }
      claims = toApiGatewayClaims(result.payload);
      // No route declares authorization scopes, and then API Gateway passes null.
      scopes = null;
    }

    const event = buildEvent({
      req,
      key: match.route.key,
      rawPath,
      rawQueryString,
      pathParameters: match.pathParameters,
      body,
      port,
      claims,
      scopes,
      lambdaContext: authorizerContext,
    });
    const area = match.route.route.area;
    const context = lambdaContext(area, options.region, stage);
    return invoke(
      match.route.key,
      area,
      async () => (await loadOnce(area)).handler(event, context),
      fromLambdaResult,
    );
  };

  const server = createServer((req, res) => {
    const started = performance.now();
    handle(req)
      .catch((error: unknown) => {
        onError(error, { routeKey: `${req.method} ${req.url}` });
        return jsonReply(500, { message: 'Internal Server Error' });
      })
      .then((reply) => {
        send(res, reply);
        options.log?.(
          `${req.method} ${req.url} ${reply.status} ${Math.round(performance.now() - started)} ms`,
        );
      });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port: options.port ?? 0 }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;

  return {
    url: `http://${host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        releaseEmf?.();
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function compileRoute(route: RouteDefinition): CompiledRoute {
  const segments = route.path
    .split('/')
    .slice(1)
    .map((part): Segment => {
      const param = /^\{([A-Za-z0-9_]+)(\+?)\}$/.exec(part);
      if (!param?.[1]) return { kind: 'literal', value: part };
      return { kind: 'param', name: param[1], greedy: param[2] === '+' };
    });
  return { route, key: routeKey(route), segments };
}

/** Picks the most specific route for the path (literal beats parameter, left to right). */
function matchRoute(routes: readonly CompiledRoute[], method: string, rawPath: string) {
  const parts = rawPath.split('/').slice(1);
  let best: { route: CompiledRoute; pathParameters: Record<string, string>; rank: string } | undefined;
  for (const route of routes) {
    if (route.route.method !== method) continue;
    const pathParameters = matchSegments(route.segments, parts);
    if (!pathParameters) continue;
    const rank = route.segments.map((s) => (s.kind === 'literal' ? '0' : s.greedy ? '2' : '1')).join('');
    if (!best || rank < best.rank) best = { route, pathParameters, rank };
  }
  return best;
}

function matchSegments(segments: readonly Segment[], parts: readonly string[]) {
  const params: Record<string, string> = {};
  for (const [index, segment] of segments.entries()) {
    const part = parts[index];
    if (part === undefined) return undefined;
    if (segment.kind === 'literal') {
      if (part !== segment.value) return undefined;
    } else if (segment.greedy) {
      const rest = parts.slice(index).join('/');
      if (rest === '') return undefined;
      params[segment.name] = decode(rest);
      return params;
    } else {
      if (part === '') return undefined;
      params[segment.name] = decode(part);
    }
  }
  return parts.length === segments.length ? params : undefined;
}

function decode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** The body as text, or `too-large` once it passes the limit (the rest is drained, not kept). */
async function readBody(req: IncomingMessage, limit: number): Promise<string | undefined | 'too-large'> {
  const declared = Number(req.headers['content-length'] ?? 0);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= limit && declared <= limit) chunks.push(chunk);
  }
  if (size > limit || declared > limit) return 'too-large';
  return size === 0 ? undefined : Buffer.concat(chunks).toString('utf8');
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

interface EventInput {
  readonly req: IncomingMessage;
  readonly key: string;
  readonly rawPath: string;
  readonly rawQueryString: string;
  readonly pathParameters: Record<string, string>;
  readonly body: string | undefined;
  readonly port: number;
  readonly claims: Record<string, string> | undefined;
  readonly scopes: string[] | null;
  /** The Lambda authorizer's context, on the routes that accept API keys. */
  readonly lambdaContext?: Readonly<Record<string, unknown>> | undefined;
}

/** The REQUEST authorizer event (payload 2.0) API Gateway sends: the request without its body. */
function buildAuthorizerEvent(
  req: IncomingMessage,
  key: string,
  rawPath: string,
  rawQueryString: string,
  pathParameters: Record<string, string>,
  authorization: string,
): APIGatewayRequestAuthorizerEventV2 {
  const headers: Record<string, string> = {};
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]?.toLowerCase();
    if (name) headers[name] = req.rawHeaders[i + 1] ?? '';
  }
  const now = new Date();
  return {
    version: '2.0',
    type: 'REQUEST',
    routeArn: `arn:aws:execute-api:local:${LOCAL_ACCOUNT_ID}:local/$default/${key.replace(' ', '')}`,
    identitySource: [authorization],
    routeKey: key,
    rawPath,
    rawQueryString,
    cookies: [],
    headers,
    queryStringParameters: Object.fromEntries(new URLSearchParams(rawQueryString)),
    pathParameters,
    stageVariables: {},
    requestContext: {
      accountId: LOCAL_ACCOUNT_ID,
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: (headers.host ?? 'localhost').split('.')[0] ?? 'localhost',
      http: {
        method: req.method ?? 'GET',
        path: rawPath,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, ''),
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: key,
      stage: '$default',
      time: formatRequestTime(now),
      timeEpoch: now.getTime(),
    },
  };
}

function buildEvent(input: EventInput): ApiGatewayEvent {
  const { req } = input;
  const sourceIp = (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, '');
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]?.toLowerCase();
    const value = req.rawHeaders[i + 1] ?? '';
    if (!name) continue;
    if (name === 'cookie') cookies.push(...value.split(/;\s*/).filter(Boolean));
    else headers[name] = headers[name] === undefined ? value : `${headers[name]},${value}`;
  }
  headers['x-forwarded-for'] ??= sourceIp;
  headers['x-forwarded-port'] ??= String(input.port);
  headers['x-forwarded-proto'] ??= 'http';
  headers['x-amzn-trace-id'] ??=
    `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${randomBytes(12).toString('hex')}`;

  const queryStringParameters: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(input.rawQueryString)) {
    const previous = queryStringParameters[name];
    queryStringParameters[name] = previous === undefined ? value : `${previous},${value}`;
  }

  const now = new Date();
  const domainName = headers.host ?? `localhost:${input.port}`;
  const base: APIGatewayEventRequestContextV2 = {
    accountId: LOCAL_ACCOUNT_ID,
    apiId: 'local',
    domainName,
    domainPrefix: domainName.split('.')[0] ?? domainName,
    http: {
      method: req.method ?? 'GET',
      path: input.rawPath,
      protocol: `HTTP/${req.httpVersion}`,
      sourceIp,
      userAgent: headers['user-agent'] ?? '',
    },
    requestId: randomUUID(),
    routeKey: input.key,
    stage: '$default',
    time: formatRequestTime(now),
    timeEpoch: now.getTime(),
  };
  // Public routes get no authorizer block at all, as on API Gateway (hence the cast).
  const requestContext = (
    input.lambdaContext
      ? { ...base, authorizer: { lambda: input.lambdaContext } }
      : input.claims
        ? { ...base, authorizer: { jwt: { claims: input.claims, scopes: input.scopes } } }
        : base
  ) as ApiGatewayEvent['requestContext'];

  return {
    version: '2.0',
    routeKey: input.key,
    rawPath: input.rawPath,
    rawQueryString: input.rawQueryString,
    ...(cookies.length > 0 ? { cookies } : {}),
    headers,
    ...(Object.keys(queryStringParameters).length > 0 ? { queryStringParameters } : {}),
    ...(Object.keys(input.pathParameters).length > 0 ? { pathParameters: input.pathParameters } : {}),
    requestContext,
    ...(input.body === undefined ? {} : { body: input.body }),
    isBase64Encoded: false,
  };
}

interface FunctionUrlEventInput {
  readonly req: IncomingMessage;
  readonly rawPath: string;
  readonly rawQueryString: string;
  readonly body: string | undefined;
  readonly port: number;
}

/** The event a Lambda Function URL sends (payload 2.0, no authorizer, `routeKey` `$default`). */
function buildFunctionUrlEvent(input: FunctionUrlEventInput): LambdaFunctionURLEvent {
  const { req } = input;
  const sourceIp = (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, '');
  const headers: Record<string, string> = {};
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]?.toLowerCase();
    const value = req.rawHeaders[i + 1] ?? '';
    if (!name) continue;
    headers[name] = headers[name] === undefined ? value : `${headers[name]},${value}`;
  }
  headers['x-forwarded-for'] ??= sourceIp;
  headers['x-forwarded-proto'] ??= 'http';
  const queryStringParameters: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(input.rawQueryString)) {
    const previous = queryStringParameters[name];
    queryStringParameters[name] = previous === undefined ? value : `${previous},${value}`;
  }
  const now = new Date();
  const domainName = headers.host ?? `localhost:${input.port}`;
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: input.rawPath,
    rawQueryString: input.rawQueryString,
    headers,
    ...(Object.keys(queryStringParameters).length > 0 ? { queryStringParameters } : {}),
    requestContext: {
      accountId: 'anonymous',
      apiId: 'local-stripe-webhook',
      domainName,
      domainPrefix: domainName.split('.')[0] ?? domainName,
      http: {
        method: req.method ?? 'POST',
        path: input.rawPath,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: formatRequestTime(now),
      timeEpoch: now.getTime(),
    },
    ...(input.body === undefined ? {} : { body: input.body }),
    isBase64Encoded: false,
  };
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** API Gateway's `requestContext.time`: `12/Mar/2020:19:03:58 +0000`. */
function formatRequestTime(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}:${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`;
}

/**
 * Maps a function's return value as API Gateway does for payload 2.0: a structured result (with
 * `statusCode`) is taken as is; anything else is JSON with status 200.
 */
function fromLambdaResult(result: APIGatewayProxyResultV2 | undefined): HttpReply {
  if (typeof result === 'string')
    return { status: 200, headers: { 'content-type': 'application/json' }, body: result };
  if (result === null || typeof result !== 'object' || !('statusCode' in result)) {
    return {
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(result ?? null),
    };
  }
  return fromStructured(result);
}

function fromStructured(result: APIGatewayProxyStructuredResultV2): HttpReply {
  const status = result.statusCode ?? 200;
  if (!Number.isInteger(status) || status < 100 || status > 599) {
    throw new Error(`The function returned an invalid statusCode: ${String(result.statusCode)}`);
  }
  const headers: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(result.headers ?? {}))
    headers[name.toLowerCase()] = String(value);
  if (result.cookies?.length) headers['set-cookie'] = result.cookies;
  const body =
    result.body === undefined
      ? undefined
      : result.isBase64Encoded
        ? Buffer.from(result.body, 'base64')
        : result.body;
  return body === undefined ? { status, headers } : { status, headers, body };
}

function jsonReply(status: number, value: unknown, extra: OutgoingHttpHeaders = {}): HttpReply {
  return { status, headers: { 'content-type': 'application/json', ...extra }, body: JSON.stringify(value) };
}

function send(res: ServerResponse, reply: HttpReply): void {
  const headers: OutgoingHttpHeaders = {
    ...reply.headers,
    'apigw-requestid': randomBytes(8).toString('base64url'),
  };
  if (reply.body !== undefined) headers['content-length'] = Buffer.byteLength(reply.body);
  res.writeHead(reply.status, headers);
  res.end(reply.body);
}

function lambdaContext(name: string, region: string, stage: string) {
  return createLambdaContext(name, { region, timeoutMs: INTEGRATION_TIMEOUT_MS, memoryMb: 1024, stage });
}
