import { describe, expect, it } from 'vitest';
import type { RouteDefinition } from '#shared/http/route.ts';
import { routeList, routes } from '#shared/http/routes.ts';
import { countsAgainstTenantLimit, createOpenApiDocument } from '#shared/openapi/document.ts';

const document = createOpenApiDocument();

interface Operation {
  parameters?: { name: string; in: string; required?: boolean }[];
  responses: Record<string, { headers?: Record<string, { required?: boolean }> }>;
}

function operationOf(route: RouteDefinition): Operation {
  const item = document.paths?.[route.path] as Record<string, Operation> | undefined;
  const operation = item?.[route.method.toLowerCase()];
  if (!operation) throw new Error(`${route.method} ${route.path} is not in the document`);
  return operation;
}

describe('OpenAPI document: headers', () => {
  it('documents If-Match as a header parameter of the project update', () => {
    const parameters = operationOf(routes.updateProject).parameters ?? [];

    expect(parameters).toContainEqual(expect.objectContaining({ name: 'if-match', in: 'header' }));
  });

  it('documents 412 and 428 on the project update', () => {
    expect(Object.keys(operationOf(routes.updateProject).responses)).toEqual(
      expect.arrayContaining(['412', '428']),
    );
  });

  it.each([routes.createProject, routes.getProject, routes.updateProject])(
    'documents the ETag of $operationId',
    (route) => {
      expect(operationOf(route).responses[String(route.status)]?.headers).toHaveProperty('etag');
    },
  );

  it('documents 429 with Retry-After and the RateLimit headers on invitations', () => {
    const response = operationOf(routes.createInvitation).responses['429'];

    expect(Object.keys(response?.headers ?? {})).toEqual(['retry-after', 'ratelimit-policy', 'ratelimit']);
  });

  it('documents the RateLimit headers of a sent invitation', () => {
    const headers = operationOf(routes.createInvitation).responses['201']?.headers ?? {};

    expect(Object.keys(headers)).toEqual(['ratelimit-policy', 'ratelimit']);
  });

  it("documents the tenant's API rate limit (429, RateLimit headers on success) on every tenant-scoped route", () => {
    const tenantRoutes = routeList.filter(countsAgainstTenantLimit);
    expect(tenantRoutes).toContain(routes.listProjects);

    for (const route of tenantRoutes) {
      const responses = operationOf(route).responses;
      expect(Object.keys(responses), route.operationId).toContain('429');
      expect(Object.keys(responses[String(route.status)]?.headers ?? {}), route.operationId).toEqual(
        expect.arrayContaining(['ratelimit-policy', 'ratelimit']),
      );
    }
  });
});
