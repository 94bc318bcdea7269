import type { APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { ApiEvent } from '#shared/http/api-handler.ts';
import type { RouteDefinition } from '#shared/http/route.ts';
import { newId } from '#shared/ids.ts';
import { createLambdaContext } from '../../scripts/local/lambda-context.ts';

export type ApiHandler = (event: ApiEvent, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;

export interface HandlerResponse {
  readonly status: number;
  readonly body: Record<string, unknown>;
  /** The response headers, names lower-cased. */
  readonly headers: Readonly<Record<string, string>>;
}

export interface CallOptions {
  /** The caller's user id (`sub` of the access token the authorizer accepted). */
  readonly as: string;
  readonly params?: Record<string, string>;
  readonly query?: Record<string, string>;
  readonly body?: unknown;
  readonly sourceIp?: string;
  /** Request headers (names lower-case, as API Gateway passes them). */
  readonly headers?: Record<string, string>;
}

/**
 * Calls an API handler in process with the event API Gateway's JWT authorizer would pass on for
 * `route` (route key, path parameters the path names, claims of an access token).
 */
export async function callHandler(
  handler: ApiHandler,
  route: RouteDefinition,
  options: CallOptions,
): Promise<HandlerResponse> {
  const names = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1] as string);
  const params = Object.fromEntries(names.map((name) => [name, options.params?.[name] ?? '']));
  const rawPath = route.path.replace(/\{(\w+)\}/g, (_, name: string) => params[name] ?? '');
  const routeKey = `${route.method} ${route.path}`;
  const event = {
    version: '2.0',
    routeKey,
    rawPath,
    rawQueryString: new URLSearchParams(options.query ?? {}).toString(),
    headers: {
      ...options.headers,
      ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    queryStringParameters: options.query,
    pathParameters: names.length > 0 ? params : undefined,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    isBase64Encoded: false,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: 'localhost',
      domainPrefix: 'localhost',
      requestId: `req-${newId()}`,
      routeKey,
      stage: '$default',
      time: new Date().toUTCString(),
      timeEpoch: Date.now(),
      http: {
        method: route.method,
        path: rawPath,
        protocol: 'HTTP/1.1',
        sourceIp: options.sourceIp ?? '203.0.113.9',
        userAgent: 'vitest',
      },
      authorizer: {
        principalId: '',
        integrationLatency: 0,
        jwt: { claims: { sub: options.as, token_use: 'access' }, scopes: [] },
      },
    },
  } as ApiEvent;
  const context = createLambdaContext(route.area, { region: 'us-east-1', timeoutMs: 30_000, memoryMb: 256 });
  const result = await handler(event, context);
  const headers = Object.fromEntries(
    Object.entries(result.headers ?? {}).map(([name, value]) => [name.toLowerCase(), String(value)]),
  );
  return { status: result.statusCode ?? 0, body: result.body ? JSON.parse(result.body) : {}, headers };
}
