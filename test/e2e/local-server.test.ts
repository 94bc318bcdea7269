import { CreateUserPoolClientCommand } from '@aws-sdk/client-cognito-identity-provider';
import type { APIGatewayProxyResultV2 } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { signIn } from '../../scripts/local/cognito.ts';
import type { ApiGatewayEvent, LoadHandler } from '../../scripts/local/server.ts';
import type { FunctionArea } from '../../shared/http/route.ts';
import {
  api,
  createTestStack,
  type LocalServer,
  signUpOperator,
  signUpUser,
  startTestServer,
  type TestStack,
  type TestUser,
} from '../support/harness.ts';

// The server's own behaviour (routing, the JWT authorizer, the event it builds, the response it
// writes) checked against fake functions that record what they receive.
const calls: { area: FunctionArea; event: ApiGatewayEvent }[] = [];
const faults: unknown[] = [];
// What the fake function returns; `unknown` so tests can return shapes a real function would not.
let respond: (event: ApiGatewayEvent) => Promise<unknown>;
const fakeFunctions: LoadHandler = async (area) => ({
  handler: async (event) => {
    calls.push({ area, event });
    return (await respond(event)) as APIGatewayProxyResultV2;
  },
});
const lastEvent = (): ApiGatewayEvent => {
  const call = calls.at(-1);
  if (!call) throw new Error('no function was called');
  return call.event;
};

let stack: TestStack;
let server: LocalServer;
let admin: TestUser;

beforeAll(async () => {
  stack = await createTestStack();
  server = await startTestServer(stack, {
    loadHandler: fakeFunctions,
    onError: (error) => faults.push(error),
  });
  admin = await signUpOperator(stack);
});

afterAll(async () => {
  await server?.close();
});

beforeEach(() => {
  calls.length = 0;
  faults.length = 0;
  respond = async () => ({
    statusCode: 200,
    headers: { 'content-type': 'application/json' },
    body: '{"ok":true}',
  });
});

describe('routing', () => {
  it('answers 404 with a problem document for a path no route serves', async () => {
    const res = await api(server).get('/v1/nothing-here');

    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(res.body).toMatchObject({ title: 'Not Found', status: 404 });
    expect(calls).toHaveLength(0);
  });

  it('answers 404 for a method the path does not serve, as API Gateway does', async () => {
    const res = await api(server, admin.accessToken).patch('/v1/me', {});

    expect(res.status).toBe(404);
    expect(calls).toHaveLength(0);
  });

  it("calls the function of the route's area", async () => {
    await api(server, admin.accessToken).get('/v1/me');
    await api(server, admin.accessToken).get('/v1/tenants/t1/members');
    await api(server).get('/health');

    expect(calls.map((c) => c.area)).toEqual(['me', 'members', 'system']);
  });

  it('prefers a literal path segment over a parameter', async () => {
    await api(server, admin.accessToken).get('/v1/me/invitations');

    expect(lastEvent().routeKey).toBe('GET /v1/me/invitations');
  });
});

describe('JWT authorizer', () => {
  it('refuses a jwt route without a token before the function runs', async () => {
    const res = await api(server).get('/v1/me');

    expect(res.status).toBe(401);
    expect(res.body).toEqual({ message: 'Unauthorized' });
    expect(calls).toHaveLength(0);
  });

  it("answers the 401 as API Gateway's JSON message with a bare Bearer challenge", async () => {
    const res = await api(server).get('/v1/me');

    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
  });

  it('refuses a malformed token', async () => {
    const res = await api(server, 'not-a-jwt').get('/v1/me');

    expect(res.status).toBe(401);
    expect(calls).toHaveLength(0);
  });

  it("names the reason for a refused token in API Gateway's challenge format", async () => {
    const res = await api(server, 'not-a-jwt').get('/v1/me');

    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('www-authenticate')).toBe(
      'Bearer scope="" error="invalid_token" error_description="the token is not a valid JWT"',
    );
  });

  it('refuses an access token issued by another user pool', async () => {
    const otherStack = await createTestStack();
    const stranger = await signUpUser(otherStack);

    const res = await api(server, stranger.accessToken).get('/v1/me');

    expect(res.status).toBe(401);
    expect(calls).toHaveLength(0);
  });

  it('refuses an access token of another app client of the same pool', async () => {
    const { UserPoolClient } = await stack.cognito.send(
      new CreateUserPoolClientCommand({
        UserPoolId: stack.userPoolId,
        ClientName: 'some-other-app',
        ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
      }),
    );
    const otherClient = { userPoolId: stack.userPoolId, clientId: UserPoolClient?.ClientId ?? '' };
    const tokens = await signIn(stack.cognito, otherClient, admin);

    const res = await api(server, tokens.accessToken).get('/v1/me');

    expect(res.status).toBe(401);
  });

  it('refuses an ID token', async () => {
    const res = await api(server, admin.idToken).get('/v1/me');

    expect(res.status).toBe(401);
  });

  describe('with the clock moved past the token lifetime', () => {
    afterEach(() => {
      vi.useRealTimers();
    });

    it('refuses an expired access token', async () => {
      const user = await signUpUser(stack);
      expect((await api(server, user.accessToken).get('/v1/me')).status).toBe(200);
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(Date.now() + 61 * 60_000);

      const res = await api(server, user.accessToken).get('/v1/me');

      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toContain('error_description="the token has expired"');
    });
  });

  it('accepts the token without the Bearer prefix, as API Gateway does', async () => {
    const res = await api(server).get('/v1/me', { headers: { authorization: admin.accessToken } });

    expect(res.status).toBe(200);
  });

  it('hands the claims over as strings, arrays rendered [a b]', async () => {
    await api(server, admin.accessToken).get('/v1/me');

    const { claims, scopes } = lastEvent().requestContext.authorizer.jwt;
    expect(claims).toMatchObject({
      sub: admin.userId,
      client_id: stack.clientId,
      token_use: 'access',
      'cognito:groups': '[platform-admin]',
      iss: `https://cognito-idp.${stack.region}.amazonaws.com/${stack.userPoolId}`,
    });
    expect(claims.exp).toMatch(/^\d+$/);
    expect(Object.values(claims).every((value) => typeof value === 'string')).toBe(true);
    expect(scopes).toBeNull();
  });
});

describe('event', () => {
  it('carries the request as an API Gateway payload 2.0 event', async () => {
    await api(server, admin.accessToken).get('/v1/tenants/a%20b/projects?limit=5&tag=x&tag=y', {
      headers: { 'X-Custom': 'yes', cookie: 'a=1; b=2', 'user-agent': 'e2e-test' },
    });

    const event = lastEvent();
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: 'GET /v1/tenants/{tenantId}/projects',
      rawPath: '/v1/tenants/a%20b/projects',
      rawQueryString: 'limit=5&tag=x&tag=y',
      queryStringParameters: { limit: '5', tag: 'x,y' },
      pathParameters: { tenantId: 'a b' },
      cookies: ['a=1', 'b=2'],
      isBase64Encoded: false,
      requestContext: {
        routeKey: 'GET /v1/tenants/{tenantId}/projects',
        stage: '$default',
        http: {
          method: 'GET',
          path: '/v1/tenants/a%20b/projects',
          sourceIp: '127.0.0.1',
          userAgent: 'e2e-test',
        },
      },
    });
    expect(event.headers['x-custom']).toBe('yes');
    expect(event.headers.cookie).toBeUndefined();
    expect(event.body).toBeUndefined();
    expect(event.requestContext.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(event.requestContext.timeEpoch).toBeGreaterThan(0);
  });

  it('passes the body as a string', async () => {
    await api(server, admin.accessToken).post('/v1/tenants', { name: 'Acme', slug: 'acme' });

    const event = lastEvent();
    expect(event.body).toBe('{"name":"Acme","slug":"acme"}');
    expect(event.isBase64Encoded).toBe(false);
    expect(event.headers['content-type']).toBe('application/json');
  });

  it('gives public routes no authorizer block', async () => {
    await api(server).get('/health');

    expect(lastEvent().requestContext).not.toHaveProperty('authorizer');
    expect(lastEvent().queryStringParameters).toBeUndefined();
    expect(lastEvent().pathParameters).toBeUndefined();
  });
});

describe('response', () => {
  it("writes back the function's status, headers, cookies and body", async () => {
    respond = async () => ({
      statusCode: 418,
      headers: { 'X-Teapot': 'short', 'content-type': 'text/plain' },
      cookies: ['session=abc; HttpOnly'],
      body: 'and stout',
    });

    const res = await api(server).get('/health');

    expect(res.status).toBe(418);
    expect(res.headers.get('x-teapot')).toBe('short');
    expect(res.headers.get('set-cookie')).toBe('session=abc; HttpOnly');
    expect(res.body).toBe('and stout');
  });

  it('sends a plain object returned by the function as JSON with 200', async () => {
    respond = async () => ({ hello: 'world' });

    const res = await api(server).get('/health');

    expect(res.status).toBe(200);
    expect(res.body).toEqual({ hello: 'world' });
  });

  it('answers 500 without details when the function throws', async () => {
    respond = async () => {
      throw new Error('secret internals');
    };

    const res = await api(server).get('/health');

    expect(res.status).toBe(500);
    expect(res.body).toEqual({ message: 'Internal Server Error' });
    expect(faults).toHaveLength(1);
  });

  it('answers 413 to a body over 1 MiB without calling the function', async () => {
    const res = await api(server, admin.accessToken).post('/v1/tenants', undefined, {
      rawBody: 'x'.repeat(1024 * 1024 + 1),
      headers: { 'content-type': 'application/json' },
    });

    expect(res.status).toBe(413);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(calls).toHaveLength(0);
  });
});
