import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createDocumentClient } from '#shared/db/client.ts';
import { keys } from '#shared/db/keys.ts';
import { enterTenantScope, TenantIsolationError } from '#shared/db/tenant-scope.ts';
import {
  type ApiEvent,
  addResponseHeaders,
  createApiHandler,
  type Implementation,
  MAX_BODY_BYTES,
  reply,
} from '#shared/http/api-handler.ts';
import { ConflictError, HttpError, TooManyRequestsError } from '#shared/http/errors.ts';
import { projectsRoutes as routes } from '#shared/http/routes/projects.ts';
import { systemRoutes } from '#shared/http/routes/system.ts';
import { logger } from '#shared/observability/logger.ts';

// The projects area serves as the test bed: its routes have path, query and body schemas. The
// implementations are fakes, so nothing here touches a table.
const projectRoutes = [
  'listProjects',
  'createProject',
  'getProject',
  'updateProject',
  'deleteProject',
] as const;
type ProjectRoute = (typeof projectRoutes)[number];
type Run = Implementation['run'];

const notCalled: Run = async () => {
  throw new Error('this route is not part of the test');
};

function projectsHandler(runs: Partial<Record<ProjectRoute, Run>> = {}) {
  return createApiHandler(
    'projects',
    routes,
    projectRoutes.map((name) => ({ route: routes[name], run: runs[name] ?? notCalled })),
  );
}

const tenantId = '01hzzzzzzzzzzzzzzzzzzzzzza';
const projectId = '01j00000000000000000000000';
const project = {
  projectId,
  tenantId,
  name: 'Apollo',
  slug: 'apollo',
  description: '',
  createdBy: 'user-1',
  createdAt: '2024-01-01T00:00:00.000Z',
  updatedAt: '2024-01-01T00:00:00.000Z',
  version: 1,
};

function apiEvent(
  routeKey: string,
  options: {
    path?: Record<string, string>;
    query?: Record<string, string>;
    body?: string;
    contentType?: string;
    claims?: Record<string, string> | null;
    headers?: Record<string, string>;
  } = {},
): ApiEvent {
  const [method = 'GET', rawPath = '/'] = routeKey.split(' ');
  const headers: Record<string, string> = {
    ...options.headers,
    ...(options.contentType === undefined ? {} : { 'content-type': options.contentType }),
  };
  const claims =
    options.claims === null ? undefined : (options.claims ?? { sub: 'user-1', token_use: 'access' });
  return {
    version: '2.0',
    routeKey,
    rawPath,
    rawQueryString: '',
    headers,
    pathParameters: options.path ?? { tenantId },
    queryStringParameters: options.query,
    body: options.body,
    isBase64Encoded: false,
    requestContext: {
      accountId: '000000000000',
      apiId: 'api',
      domainName: 'localhost',
      domainPrefix: 'localhost',
      http: { method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'test' },
      requestId: 'req-1',
      routeKey,
      stage: '$default',
      time: '01/Jan/2024:00:00:00 +0000',
      timeEpoch: 1704067200000,
      authorizer: { principalId: '', integrationLatency: 0, jwt: { claims: claims ?? {}, scopes: [] } },
    },
  } as ApiEvent;
}

const context = {
  functionName: 'projects',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:projects',
  memoryLimitInMB: '256',
  awsRequestId: 'aws-req-1',
  getRemainingTimeInMillis: () => 10_000,
} as unknown as Context;

async function call(handler: ReturnType<typeof projectsHandler>, event: ApiEvent) {
  const response = (await handler(event, context)) as APIGatewayProxyStructuredResultV2;
  return {
    status: response.statusCode,
    contentType: response.headers?.['content-type'],
    body: response.body === undefined ? undefined : JSON.parse(response.body),
  };
}

const create = 'POST /v1/tenants/{tenantId}/projects';
const list = 'GET /v1/tenants/{tenantId}/projects';
const json = 'application/json';

beforeEach(() => {
  vi.spyOn(logger, 'error').mockImplementation(() => undefined);
  vi.spyOn(logger, 'info').mockImplementation(() => undefined);
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe('createApiHandler: request validation', () => {
  it('answers 400 with a field error for a body field of the wrong type', async () => {
    const handler = projectsHandler();
    const body = JSON.stringify({ name: 5, slug: 'apollo' });

    const response = await call(handler, apiEvent(create, { body, contentType: json }));

    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([{ field: 'body.name', message: expect.any(String) }]);
  });

  it('answers 400 naming each unknown body field', async () => {
    const handler = projectsHandler();
    const body = JSON.stringify({ name: 'Apollo', slug: 'apollo', owner: 'me', tenantId });

    const response = await call(handler, apiEvent(create, { body, contentType: json }));

    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([
      { field: 'body.owner', message: 'is not a known field' },
      { field: 'body.tenantId', message: 'is not a known field' },
    ]);
  });

  it('answers 400 for a malformed path id before calling the use case', async () => {
    const run = vi.fn(notCalled);
    const handler = projectsHandler({ listProjects: run });

    const response = await call(handler, apiEvent(list, { path: { tenantId: 'TENANT-1' } }));

    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([{ field: 'path.tenantId', message: expect.any(String) }]);
    expect(run).not.toHaveBeenCalled();
  });

  it('answers 400 for a query parameter of the wrong type and for an unknown one', async () => {
    const handler = projectsHandler();

    const response = await call(handler, apiEvent(list, { query: { limit: 'many', sort: 'name' } }));

    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual(
      expect.arrayContaining([
        { field: 'query.limit', message: expect.any(String) },
        { field: 'query.sort', message: 'is not a known field' },
      ]),
    );
  });

  it('answers 400 with a field error on body for malformed JSON', async () => {
    const handler = projectsHandler();

    const response = await call(handler, apiEvent(create, { body: '{"name": "Apollo",', contentType: json }));

    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([{ field: 'body', message: 'malformed JSON' }]);
  });

  it('answers 413 for a body above the limit', async () => {
    const handler = projectsHandler();
    const body = JSON.stringify({ name: 'Apollo', slug: 'apollo', description: 'x'.repeat(MAX_BODY_BYTES) });

    const response = await call(handler, apiEvent(create, { body, contentType: json }));

    expect(response.status).toBe(413);
  });

  it('answers 415 for a body that is not JSON', async () => {
    const handler = projectsHandler();

    const response = await call(
      handler,
      apiEvent(create, { body: 'name=Apollo', contentType: 'text/plain' }),
    );

    expect(response.status).toBe(415);
  });

  it('accepts a JSON media type with a suffix and a charset', async () => {
    const handler = projectsHandler({ createProject: async () => project });
    const body = JSON.stringify({ name: 'Apollo', slug: 'apollo' });

    const response = await call(
      handler,
      apiEvent(create, { body, contentType: 'application/merge-patch+json; charset=utf-8' }),
    );

    expect(response.status).toBe(201);
  });

  it('answers 401 on a jwt route when the authorizer passed no subject', async () => {
    const handler = projectsHandler();

    const response = await call(handler, apiEvent(list, { claims: null }));

    expect(response.status).toBe(401);
  });

  it('answers 401 on a jwt route for an ID token', async () => {
    const handler = projectsHandler();

    const response = await call(handler, apiEvent(list, { claims: { sub: 'user-1', token_use: 'id' } }));

    expect(response.status).toBe(401);
  });
});

describe('createApiHandler: use case input and output', () => {
  it('passes the parsed input, with defaults applied, and the caller', async () => {
    const run = vi.fn<Run>(async () => project);
    const handler = projectsHandler({ createProject: run });
    const body = JSON.stringify({ name: '  Apollo ', slug: 'apollo' });

    await call(handler, apiEvent(create, { body, contentType: json }));

    expect(run).toHaveBeenCalledWith(
      expect.objectContaining({
        params: { tenantId },
        body: { name: 'Apollo', slug: 'apollo', description: '' },
        caller: { userId: 'user-1', groups: [], platformAdmin: false },
        request: { requestId: 'req-1', sourceIp: '127.0.0.1' },
      }),
    );
  });

  it("hands the use case the caller's own bearer token", async () => {
    const run = vi.fn<Run>(async () => project);
    const handler = projectsHandler({ getProject: run });
    const event = apiEvent('GET /v1/tenants/{tenantId}/projects/{projectId}', {
      path: { tenantId, projectId },
      headers: { Authorization: 'Bearer eyJ.token.sig' },
    });

    await call(handler, event);

    expect(run).toHaveBeenCalledWith(expect.objectContaining({ accessToken: 'eyJ.token.sig' }));
  });

  it('hands no token to a use case when the request carries none', async () => {
    const run = vi.fn<Run>(async () => project);
    const handler = projectsHandler({ getProject: run });
    const event = apiEvent('GET /v1/tenants/{tenantId}/projects/{projectId}', {
      path: { tenantId, projectId },
    });

    await call(handler, event);

    expect(run).toHaveBeenCalledWith(expect.objectContaining({ accessToken: undefined }));
  });

  it("hands no token under impersonation, where the bearer token is the operator's", async () => {
    const run = vi.fn<Run>(async () => project);
    const handler = createApiHandler(
      'projects',
      routes,
      projectRoutes.map((name) => ({ route: routes[name], run: name === 'getProject' ? run : notCalled })),
      {
        impersonation: {
          impersonate: async (operator, sessionId) => ({
            userId: 'user-2',
            groups: [],
            platformAdmin: false,
            impersonatedBy: { operatorId: operator.userId, sessionId },
          }),
        },
      },
    );
    const event = apiEvent('GET /v1/tenants/{tenantId}/projects/{projectId}', {
      path: { tenantId, projectId },
      headers: { authorization: 'Bearer operator.token.sig', 'plinth-impersonation': 'session-1' },
    });

    await call(handler, event);

    expect(run).toHaveBeenCalledWith(
      expect.objectContaining({
        caller: expect.objectContaining({ userId: 'user-2' }),
        accessToken: undefined,
      }),
    );
  });

  it("answers with the route's success status and a JSON body", async () => {
    const handler = projectsHandler({ createProject: async () => project });
    const body = JSON.stringify({ name: 'Apollo', slug: 'apollo' });

    const response = await call(handler, apiEvent(create, { body, contentType: json }));

    expect(response).toEqual({ status: 201, contentType: json, body: project });
  });

  it('answers 204 without a body for a route without a response schema', async () => {
    const handler = projectsHandler({ deleteProject: async () => undefined });
    const event = apiEvent('DELETE /v1/tenants/{tenantId}/projects/{projectId}', {
      path: { tenantId, projectId },
    });

    const response = await call(handler, event);

    expect(response).toEqual({ status: 204, contentType: undefined, body: undefined });
  });

  it('strips what the response schema does not name', async () => {
    const stored = { ...project, pk: `TENANT#${tenantId}`, sk: `PROJECT#${projectId}`, secret: 's3cr3t' };
    const handler = projectsHandler({ getProject: async () => stored });
    const event = apiEvent('GET /v1/tenants/{tenantId}/projects/{projectId}', {
      path: { tenantId, projectId },
    });

    const response = await call(handler, event);

    expect(response.body).toEqual(project);
  });
});

describe('createApiHandler: errors', () => {
  it('shows the message of an HttpError below 500', async () => {
    const handler = projectsHandler({
      createProject: async () => {
        throw new ConflictError('A project with slug "apollo" already exists.');
      },
    });
    const body = JSON.stringify({ name: 'Apollo', slug: 'apollo' });

    const response = await call(handler, apiEvent(create, { body, contentType: json }));

    expect(response.status).toBe(409);
    expect(response.body).toMatchObject({
      title: 'Conflict',
      status: 409,
      detail: 'A project with slug "apollo" already exists.',
    });
  });

  it('answers a generic 500 that does not echo an unexpected error, and logs it', async () => {
    const failure = new Error('connect ECONNREFUSED 10.0.0.7:8000 table plinth-prod');
    const handler = projectsHandler({
      listProjects: async () => {
        throw failure;
      },
    });

    const response = await call(handler, apiEvent(list));

    expect(response.status).toBe(500);
    expect(response.body.title).toBe('Internal Server Error');
    expect(JSON.stringify(response.body)).not.toMatch(/ECONNREFUSED|10\.0\.0\.7|plinth-prod/);
    expect(logger.error).toHaveBeenCalledWith('request failed', { error: failure });
  });

  it("answers a generic 500 and logs it when a use case bound to one tenant builds another tenant's key", async () => {
    // Refused before any network call, so the client's endpoint is never reached.
    const client = createDocumentClient({
      region: 'us-east-1',
      endpoint: 'http://127.0.0.1:9',
      credentials: { accessKeyId: 'unit', secretAccessKey: 'unit' },
    });
    const otherTenant = '01hyyyyyyyyyyyyyyyyyyyyyyb';
    const handler = projectsHandler({
      listProjects: async () => {
        // What tenancy.resolve does once the membership is verified.
        enterTenantScope(tenantId);
        await client.send(new GetCommand({ TableName: 'plinth', Key: keys.project(otherTenant, projectId) }));
        return { items: [] };
      },
    });

    const response = await call(handler, apiEvent(list));

    expect(response.status).toBe(500);
    expect(JSON.stringify(response.body)).not.toContain(otherTenant);
    expect(logger.error).toHaveBeenCalledWith(
      "tenant isolation: refused a command on another tenant's partition",
      expect.objectContaining({ tenantId, foreignPartition: `TENANT#${otherTenant}` }),
    );
    expect(logger.error).toHaveBeenCalledWith('request failed', { error: expect.any(TenantIsolationError) });
  });

  it('hides the message of an HttpError of 500 or above', async () => {
    const handler = projectsHandler({
      listProjects: async () => {
        throw new HttpError(503, 'Service Unavailable', 'the billing table is throttled');
      },
    });

    const response = await call(handler, apiEvent(list));

    expect(response.status).toBe(503);
    expect(JSON.stringify(response.body)).not.toContain('throttled');
  });

  it('answers 500 when the use case returns something the response schema refuses', async () => {
    const handler = projectsHandler({ listProjects: async () => ({ items: [{ projectId }] }) });

    const response = await call(handler, apiEvent(list));

    expect(response.status).toBe(500);
  });

  it('answers problems as application/problem+json with the request id as instance', async () => {
    const handler = projectsHandler();

    const response = await call(handler, apiEvent(list, { path: { tenantId: 'bad' } }));

    expect(response.contentType).toBe('application/problem+json');
    expect(response.body).toMatchObject({
      type: 'https://plinth.dev/problems/bad-request',
      title: 'Bad Request',
      status: 400,
      instance: 'req-1',
    });
  });

  it('answers 404 for a route key the area does not serve', async () => {
    const handler = projectsHandler();

    const response = await call(handler, apiEvent('GET /v1/tenants/{tenantId}/audit-log'));

    expect(response.status).toBe(404);
  });
});

describe('createApiHandler: wiring', () => {
  it("refuses at cold start an area whose implementations miss one of the area's routes", () => {
    const some: Implementation[] = [{ route: routes.listProjects, run: notCalled }];

    expect(() => createApiHandler('projects', routes, some)).toThrow(
      /missing .*POST \/v1\/tenants\/\{tenantId\}\/projects/,
    );
  });

  it("refuses at cold start an implementation of another area's route", () => {
    const implementations = [
      ...projectRoutes.map((name) => ({ route: routes[name], run: notCalled })),
      { route: systemRoutes.health, run: notCalled },
    ];

    expect(() => createApiHandler('projects', routes, implementations)).toThrow(
      /not in route table: GET \/health/,
    );
  });

  it("refuses at cold start an area's route table that holds another area's route", () => {
    const table = { ...routes, health: systemRoutes.health };
    const implementations = Object.values(table).map((route) => ({ route, run: notCalled }));

    expect(() => createApiHandler('projects', table, implementations)).toThrow(
      /route table holds GET \/health of another area/,
    );
  });
});

/** Like `call`, with the response headers. */
async function callWithHeaders(handler: ReturnType<typeof projectsHandler>, event: ApiEvent) {
  const response = (await handler(event, context)) as APIGatewayProxyStructuredResultV2;
  return {
    status: response.statusCode,
    headers: response.headers ?? {},
    body: response.body === undefined ? undefined : JSON.parse(response.body),
  };
}

describe('createApiHandler: headers', () => {
  const update = 'PATCH /v1/tenants/{tenantId}/projects/{projectId}';
  const get = 'GET /v1/tenants/{tenantId}/projects/{projectId}';
  const path = { tenantId, projectId };
  const body = JSON.stringify({ name: 'Apollo 11' });

  it('sends the headers a use case replies with on success', async () => {
    const handler = projectsHandler({ getProject: async () => reply(project, { etag: '"1"' }) });

    const response = await callWithHeaders(handler, apiEvent(get, { path }));

    expect(response.status).toBe(200);
    expect(response.headers).toMatchObject({ etag: '"1"', 'content-type': json });
    expect(response.body).toEqual(project);
  });

  it('sends the headers an HttpError carries with its problem', async () => {
    const handler = projectsHandler({
      getProject: async () => {
        throw new TooManyRequestsError('Slow down.', { 'retry-after': '30' });
      },
    });

    const response = await callWithHeaders(handler, apiEvent(get, { path }));

    expect(response.status).toBe(429);
    expect(response.headers).toMatchObject({
      'retry-after': '30',
      'content-type': 'application/problem+json',
    });
  });

  it('sends no headers of an HttpError of 500 or above', async () => {
    const handler = projectsHandler({
      getProject: async () => {
        throw new HttpError(503, 'Service Unavailable', 'down', { headers: { 'x-internal': 'db-7' } });
      },
    });

    const response = await callWithHeaders(handler, apiEvent(get, { path }));

    expect(response.headers['x-internal']).toBeUndefined();
  });

  it('passes a declared request header to the use case, whatever the case of its name', async () => {
    let seen: unknown;
    const handler = projectsHandler({
      updateProject: async (input) => {
        seen = input.headers;
        return project;
      },
    });

    await callWithHeaders(
      handler,
      apiEvent(update, { path, body, contentType: json, headers: { 'If-Match': '"1"' } }),
    );

    expect(seen).toEqual({ 'if-match': '"1"' });
  });

  it('answers 400 naming header.if-match for an If-Match that is not an entity tag', async () => {
    const handler = projectsHandler();

    const response = await callWithHeaders(
      handler,
      apiEvent(update, { path, body, contentType: json, headers: { 'if-match': '1' } }),
    );

    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([{ field: 'header.if-match', message: expect.any(String) }]);
  });
});

describe('createApiHandler: response headers added while serving', () => {
  const tenantLimit = { 'ratelimit-policy': '"api-requests";q=3;w=60', ratelimit: '"api-requests";r=2;t=41' };

  it('sends the headers a use case added to the request with a success response', async () => {
    const handler = projectsHandler({
      listProjects: async ({ request }) => {
        addResponseHeaders(request, tenantLimit);
        return { items: [] };
      },
    });

    const response = (await handler(apiEvent(list), context)) as APIGatewayProxyStructuredResultV2;

    expect(response.statusCode).toBe(200);
    expect(response.headers).toMatchObject(tenantLimit);
  });

  it('sends them with a problem response too', async () => {
    const handler = projectsHandler({
      listProjects: async ({ request }) => {
        addResponseHeaders(request, tenantLimit);
        throw new ConflictError('no');
      },
    });

    const response = (await handler(apiEvent(list), context)) as APIGatewayProxyStructuredResultV2;

    expect(response.statusCode).toBe(409);
    expect(response.headers).toMatchObject({ ...tenantLimit, 'content-type': 'application/problem+json' });
  });

  it("joins the RateLimit lists of the route's reply and of the request, the route's first", async () => {
    const handler = projectsHandler({
      getProject: async ({ request }) => {
        addResponseHeaders(request, tenantLimit);
        return reply(project, {
          'ratelimit-policy': '"projects-read";q=10;w=1',
          ratelimit: '"projects-read";r=9;t=1',
        });
      },
    });

    const response = (await handler(
      apiEvent('GET /v1/tenants/{tenantId}/projects/{projectId}', { path: { tenantId, projectId } }),
      context,
    )) as APIGatewayProxyStructuredResultV2;

    expect(response.headers?.['ratelimit-policy']).toBe('"projects-read";q=10;w=1, "api-requests";q=3;w=60');
    expect(response.headers?.ratelimit).toBe('"projects-read";r=9;t=1, "api-requests";r=2;t=41');
  });

  it('keeps no header of one request for the next', async () => {
    let first = true;
    const handler = projectsHandler({
      listProjects: async ({ request }) => {
        if (first) addResponseHeaders(request, tenantLimit);
        first = false;
        return { items: [] };
      },
    });
    await handler(apiEvent(list), context);

    const second = (await handler(apiEvent(list), context)) as APIGatewayProxyStructuredResultV2;

    expect(second.headers?.ratelimit).toBeUndefined();
  });
});
