import { createConfig, lintFromString } from '@redocly/openapi-core';
import { Validator } from '@seriousme/openapi-schema-validator';
import type { APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { handler as systemHandler } from '#functions/system/handler.ts';
import { acceptsApiClients } from '#shared/api-clients/scopes.ts';
import type { ApiEvent } from '#shared/http/api-handler.ts';
import { functionAreas, type RouteDefinition, routeKey } from '#shared/http/route.ts';
import { routeList, routes } from '#shared/http/routes.ts';
import { createOpenApiDocument, gatewayStatuses, problemStatuses } from '#shared/openapi/document.ts';

const document = createOpenApiDocument();

interface Operation {
  operationId?: string;
  tags?: string[];
  security?: Record<string, string[]>[];
  parameters?: { name: string; in: string; required?: boolean }[];
  requestBody?: { required?: boolean; content: Record<string, { schema: unknown }> };
  responses: Record<string, Response>;
}

interface Response {
  description: string;
  headers?: Record<string, unknown>;
  content?: Record<string, { schema: unknown }>;
  links?: Record<string, { operationId: string; parameters: Record<string, string> }>;
}

function operationOf(route: RouteDefinition): Operation {
  const item = document.paths?.[route.path] as Record<string, Operation> | undefined;
  const operation = item?.[route.method.toLowerCase()];
  if (!operation) throw new Error(`${route.method} ${route.path} is not in the document`);
  return operation;
}

/** Every `$ref` anywhere in a JSON value. */
function refsIn(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(refsIn);
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, inner]) =>
    key === '$ref' && typeof inner === 'string' ? [inner] : refsIn(inner),
  );
}

function resolve(ref: string): unknown {
  if (!ref.startsWith('#/')) return undefined;
  return ref
    .slice(2)
    .split('/')
    .map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~'))
    .reduce<unknown>(
      (node, part) =>
        typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[part] : undefined,
      document,
    );
}

const jwtRoutes = routeList.filter((r) => r.auth === 'jwt');
const publicRoutes = routeList.filter((r) => r.auth === 'none');
const named = (list: readonly RouteDefinition[]) => list.map((r) => [r.operationId, r] as const);

describe('the OpenAPI document', () => {
  it('is OpenAPI 3.1', () => {
    expect(document.openapi).toMatch(/^3\.1\.\d+$/);
  });

  it('validates against the OpenAPI 3.1 schema', async () => {
    const validator = new Validator();

    const result = await validator.validate(JSON.parse(JSON.stringify(document)));

    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('has a target for every $ref', () => {
    const refs = refsIn(document);

    expect(refs.length).toBeGreaterThan(0);
    expect(refs.filter((ref) => resolve(ref) === undefined)).toEqual([]);
  });

  it('has one operation per route, and no other', () => {
    const operations = Object.entries(document.paths ?? {}).flatMap(([path, item]) =>
      Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`),
    );

    expect(operations.sort()).toEqual(routeList.map((r) => `${r.method} ${r.path}`).sort());
  });

  it('gives every operation a unique operationId', () => {
    const ids = routeList.map((r) => operationOf(r).operationId);

    expect(ids).toEqual(routeList.map((r) => r.operationId));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("passes Redocly's recommended lint rules without a problem", async () => {
    const config = await createConfig({ extends: ['recommended'] });

    const problems = await lintFromString({
      source: JSON.stringify(document),
      absoluteRef: 'openapi.json',
      config,
    });

    expect(problems.map((p) => `${p.severity} ${p.ruleId}: ${p.message}`)).toEqual([]);
  });

  it('names a server, so generated clients have a base URL', () => {
    expect(document.servers?.length).toBeGreaterThan(0);
  });

  it('names the server it is given', () => {
    const served = createOpenApiDocument({ serverUrl: 'https://api.example.org' });

    expect(served.servers).toEqual([{ url: 'https://api.example.org' }]);
  });

  it('tags every operation with its function area, and declares every area', () => {
    expect(document.tags?.map((t) => t.name)).toEqual([...functionAreas]);
    for (const route of routeList) expect(operationOf(route).tags).toEqual([route.area]);
  });
});

describe.each(named(routeList))('operation %s', (_id, route) => {
  const operation = operationOf(route);

  it('has a required path parameter for each template variable', () => {
    const names = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
    const pathParams = (operation.parameters ?? []).filter((p) => p.in === 'path');

    expect(pathParams.map((p) => p.name).sort()).toEqual(names.sort());
    expect(pathParams.every((p) => p.required)).toBe(true);
  });

  it('has a query parameter for each field of its query schema', () => {
    const fields = Object.keys(route.query?.().shape ?? {});
    const queryParams = (operation.parameters ?? []).filter((p) => p.in === 'query');

    expect(queryParams.map((p) => p.name).sort()).toEqual(fields.sort());
  });

  it('has a JSON request body exactly when the route takes one', () => {
    if (route.body) {
      expect(operation.requestBody?.required).toBe(true);
      expect(operation.requestBody?.content['application/json']?.schema).toBeDefined();
    } else {
      expect(operation.requestBody).toBeUndefined();
    }
  });

  it('documents its success status, with a JSON body unless it is 204', () => {
    const success = operation.responses[String(route.status)];

    expect(success).toBeDefined();
    if (route.status === 204) expect(success?.content).toBeUndefined();
    else expect(success?.content?.['application/json']?.schema).toBeDefined();
  });

  it('documents its problem statuses as problem details', () => {
    const expected = [
      ...(route.params || route.query || route.body ? [400] : []),
      ...(route.auth === 'jwt' ? [401] : []),
      ...(route.problems ?? []),
      500,
    ];

    expect(problemStatuses(route)).toEqual(expect.arrayContaining(expected));
    for (const status of problemStatuses(route)) {
      expect(operation.responses[String(status)]?.content?.['application/problem+json']?.schema).toEqual({
        $ref: '#/components/schemas/Problem',
      });
    }
  });

  it("documents API Gateway's own answers as its JSON message", () => {
    expect(gatewayStatuses(route)).toEqual([...(route.auth === 'jwt' ? [401] : []), 429, 500, 503]);
    for (const status of gatewayStatuses(route)) {
      expect(operation.responses[String(status)]?.content?.['application/json']?.schema).toEqual({
        $ref: '#/components/schemas/GatewayMessage',
      });
    }
  });

  it('documents no error status that neither the function nor API Gateway sends', () => {
    const documented = Object.keys(operation.responses)
      .map(Number)
      .filter((status) => status >= 400);

    expect(documented.sort((a, b) => a - b)).toEqual(
      [...new Set([...problemStatuses(route), ...gatewayStatuses(route)])].sort((a, b) => a - b),
    );
  });
});

describe('statuses found by fuzzing the API', () => {
  it.each([
    // A live subscription or an open checkout blocks the deletion.
    ['deleteTenant', 409],
    // The plan does not include the audit log.
    ['listAuditLog', 402],
  ] as const)('%s documents %i', (operationId, status) => {
    const route = routeList.find((candidate) => candidate.operationId === operationId);
    expect(route && problemStatuses(route)).toContain(status);
  });
});

describe('security', () => {
  it('declares the bearer JWT scheme', () => {
    expect(document.components?.securitySchemes?.bearerJwt).toMatchObject({
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
    });
  });

  it('has no document-wide requirement, so public routes stay public', () => {
    expect(document.security).toBeUndefined();
  });

  it.each(named(jwtRoutes.filter((route) => !acceptsApiClients(routeKey(route)))))(
    'requires the bearer JWT on %s',
    (_id, route) => {
      expect(operationOf(route).security).toEqual([{ bearerJwt: [] }]);
    },
  );

  it.each(named(jwtRoutes.filter((route) => acceptsApiClients(routeKey(route)))))(
    'takes the bearer JWT or an API key on %s',
    (_id, route) => {
      expect(operationOf(route).security).toEqual([{ bearerJwt: [] }, { bearerApiKey: [] }]);
    },
  );

  it('declares the API key scheme', () => {
    expect(document.components?.securitySchemes?.bearerApiKey).toMatchObject({
      type: 'http',
      scheme: 'bearer',
    });
  });

  it.each(named(publicRoutes))('requires nothing on %s, and says so', (_id, route) => {
    expect(operationOf(route).security).toEqual([]);
  });

  it.each(named(jwtRoutes))("documents the JWT authorizer's 401 on %s as sent", (_id, route) => {
    const unauthorized = operationOf(route).responses['401'];

    expect(unauthorized?.content?.['application/json']?.schema).toEqual({
      $ref: '#/components/schemas/GatewayMessage',
    });
    expect(unauthorized?.headers).toHaveProperty('WWW-Authenticate');
  });

  it("describes API Gateway's message as an object with a string `message`", () => {
    expect(document.components?.schemas?.GatewayMessage).toMatchObject({
      type: 'object',
      properties: { message: { type: 'string' } },
      required: ['message'],
    });
  });
});

describe('links', () => {
  const linksOf = (route: RouteDefinition) => operationOf(route).responses[String(route.status)]?.links ?? {};

  it('links a new project to reading, updating and deleting it by the returned id', () => {
    const links = linksOf(routes.createProject);

    expect(Object.keys(links).sort()).toEqual(['deleteProject', 'getProject', 'updateProject']);
    expect(links.getProject).toEqual({
      operationId: 'getProject',
      parameters: { tenantId: '$request.path.tenantId', projectId: '$response.body#/projectId' },
      description: expect.any(String),
    });
  });

  it('links a new tenant to the routes under it that need only its id', () => {
    const links = linksOf(routes.createTenant);

    expect(links.getTenant?.parameters).toEqual({ tenantId: '$response.body#/tenantId' });
    expect(Object.keys(links)).toEqual(
      expect.arrayContaining(['updateTenant', 'deleteTenant', 'createProject', 'listMembers']),
    );
    expect(Object.keys(links)).not.toContain('updateMember');
  });

  it('links a new invitation to revoking it', () => {
    expect(linksOf(routes.createInvitation).revokeInvitation?.parameters).toEqual({
      tenantId: '$request.path.tenantId',
      invitationId: '$response.body#/invitationId',
    });
  });

  it('links a page of projects to the next one by its cursor', () => {
    expect(linksOf(routes.listProjects).nextPage).toEqual({
      operationId: 'listProjects',
      parameters: {
        tenantId: '$request.path.tenantId',
        limit: '$request.query.limit',
        cursor: '$response.body#/nextCursor',
      },
      description: expect.any(String),
    });
  });

  it('links only to operations that exist, giving every path parameter and only known query ones', () => {
    const byId = new Map(routeList.map((r) => [r.operationId, r]));
    const links = routeList.flatMap((route) => Object.values(linksOf(route)));

    expect(links.length).toBeGreaterThan(0);
    for (const link of links) {
      const target = byId.get(link.operationId);
      const params = [...(target?.path.matchAll(/\{(\w+)\}/g) ?? [])].map((m) => m[1]);
      const query = Object.keys(target?.query?.().shape ?? {});
      const given = Object.keys(link.parameters);
      expect(given).toEqual(expect.arrayContaining(params));
      expect(given.filter((name) => !params.includes(name)).every((name) => query.includes(name))).toBe(true);
    }
  });
});

describe('request schemas as strict as the validators', () => {
  const bodyOf = (route: RouteDefinition) =>
    operationOf(route).requestBody?.content['application/json']?.schema as
      | { minProperties?: number; properties?: Record<string, { pattern?: string }> }
      | undefined;

  it.each(named([routes.updateTenant, routes.updateProject]))(
    'says %s needs at least one field',
    (_id, route) => {
      expect(bodyOf(route)?.minProperties).toBe(1);
    },
  );

  it('says a cursor is base64url', () => {
    const cursor = operationOf(routes.listProjects).parameters?.find((p) => p.name === 'cursor') as
      | { schema?: { pattern?: string } }
      | undefined;

    expect(cursor?.schema?.pattern).toBe('^[A-Za-z0-9_-]+$');
  });

  it('gives email fields the pattern the validator applies', () => {
    const pattern = bodyOf(routes.createInvitation)?.properties?.email?.pattern;

    expect(pattern).toBeDefined();
    expect(new RegExp(pattern ?? '').test('^e?@j.z8he4f.io')).toBe(false);
    expect(new RegExp(pattern ?? '').test('new.member@example.com')).toBe(true);
  });
});

describe('GET /openapi.json', () => {
  const event = {
    version: '2.0',
    routeKey: 'GET /openapi.json',
    rawPath: '/openapi.json',
    rawQueryString: '',
    headers: {},
    isBase64Encoded: false,
    requestContext: {
      requestId: 'req-1',
      routeKey: 'GET /openapi.json',
      http: {
        method: 'GET',
        path: '/openapi.json',
        protocol: 'HTTP/1.1',
        sourceIp: '127.0.0.1',
        userAgent: 't',
      },
    },
  } as unknown as ApiEvent;

  it('serves the generated document as JSON', async () => {
    const response = (await systemHandler(event, {} as Context)) as APIGatewayProxyStructuredResultV2;

    expect(response.statusCode).toBe(200);
    expect(response.headers?.['content-type']).toBe('application/json');
    expect(JSON.parse(response.body ?? '')).toEqual(JSON.parse(JSON.stringify(document)));
  });

  it('serves health without a token', async () => {
    const health = { ...event, routeKey: routeKey(routes.health) } as ApiEvent;

    const response = (await systemHandler(health, {} as Context)) as APIGatewayProxyStructuredResultV2;

    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body ?? '')).toEqual({ status: 'ok' });
  });
});

describe('schema patterns', () => {
  it('are plain patterns, with no regex flags glued to their end (JSON Schema patterns take none)', () => {
    const patterns: string[] = [];
    JSON.stringify(document, (key, value) => {
      if (key === 'pattern' && typeof value === 'string') patterns.push(value);
      return value;
    });
    expect(patterns.length).toBeGreaterThan(0);
    expect(patterns.filter((pattern) => /\/[dgimsuvy]+$/.test(pattern))).toEqual([]);
  });
});
