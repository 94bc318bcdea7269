import type { APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createOperatorGuard } from '#shared/admin/operators.ts';
import { activityOfAuditItem } from '#shared/analytics/product/audit-activity.ts';
import { auditStep } from '#shared/audit/audit.writer.ts';
import type { Caller } from '#shared/auth/caller.ts';
import type { Db } from '#shared/db/client.ts';
import {
  type ApiEvent,
  createApiHandler,
  type HandlerInput,
  type ImpersonationGate,
  type implement,
} from '#shared/http/api-handler.ts';
import { HttpError } from '#shared/http/errors.ts';
import type { RouteDefinition } from '#shared/http/route.ts';
import { projectsRoutes } from '#shared/http/routes/projects.ts';
import { routeList } from '#shared/http/routes.ts';
import type { ImpersonationSession } from '#shared/impersonation/impersonation.repository.ts';
import { createImpersonationGate } from '#shared/impersonation/impersonation-gate.ts';
import { impersonationPolicy, neverReason } from '#shared/impersonation/route-policy.ts';
import { logger } from '#shared/observability/logger.ts';
import { createOpenApiDocument, problemStatuses } from '#shared/openapi/document.ts';
import type { TenantRecord } from '#shared/tenancy/records.ts';
import type { IdentityDirectory } from '#shared/users/identity-directory.ts';

const NOW = new Date('2026-12-03T10:00:00.000Z');
const tenantId = '01hzzzzzzzzzzzzzzzzzzzzzza';
const otherTenantId = '01hzzzzzzzzzzzzzzzzzzzzzzb';
const sessionId = '01j00000000000000000000000';

describe('the route table under impersonation', () => {
  const jwtRoutes = routeList.filter((r) => r.auth === 'jwt');

  it('never lets an /admin route run under impersonation', () => {
    const admin = routeList.filter((r) => r.path.startsWith('/admin'));
    expect(admin.length).toBeGreaterThan(0);
    for (const route of admin)
      expect([route.path, impersonationPolicy(route)]).toEqual([route.path, 'never']);
  });

  it('never lets a billing route run under impersonation, reads included', () => {
    const billing = routeList.filter((r) => r.area === 'billing' || r.path.includes('/billing'));
    expect(billing.some((r) => r.method === 'GET')).toBe(true);
    for (const route of billing)
      expect([route.path, impersonationPolicy(route)]).toEqual([route.path, 'never']);
  });

  it('never lets a tenant be deleted under impersonation', () => {
    const deletion = routeList.find((r) => r.method === 'DELETE' && r.path === '/v1/tenants/{tenantId}');
    expect(deletion && impersonationPolicy(deletion)).toBe('never');
  });

  it('never lets product events be tracked under impersonation', () => {
    const tracking = routeList.find((r) => r.operationId === 'trackEvents');
    expect(tracking && impersonationPolicy(tracking)).toBe('never');
  });

  it('lets every other read run under impersonation unless it declares never', () => {
    for (const route of jwtRoutes.filter((r) => r.method === 'GET' && !neverReason(r))) {
      expect([route.path, impersonationPolicy(route)]).toEqual([
        route.path,
        route.impersonation === 'never' ? 'never' : 'allowed',
      ]);
    }
  });

  it('lets a change run under impersonation only when its route declares it allowed', () => {
    for (const route of jwtRoutes.filter((r) => r.method !== 'GET')) {
      const expected = route.impersonation === 'allowed' && !neverReason(route) ? 'allowed' : 'never';
      expect([route.method, route.path, impersonationPolicy(route)]).toEqual([
        route.method,
        route.path,
        expected,
      ]);
    }
  });

  it('declares allowed changes only where none of the never rules apply', () => {
    const allowedChanges = jwtRoutes.filter(
      (r) => r.method !== 'GET' && impersonationPolicy(r) === 'allowed',
    );
    expect(allowedChanges.map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /v1/tenants/{tenantId}/projects',
      'PATCH /v1/tenants/{tenantId}/projects/{projectId}',
    ]);
  });

  it('overrides a declaration of allowed on billing, credentials, exports, account and admin routes', () => {
    const declared = (
      method: RouteDefinition['method'],
      path: string,
      area: RouteDefinition['area'] = 'me',
    ) => impersonationPolicy({ method, path, area, auth: 'jwt', impersonation: 'allowed' });
    expect(declared('GET', '/v1/tenants/{tenantId}/billing/invoices')).toBe('never');
    expect(declared('POST', '/v1/me/password')).toBe('never');
    expect(declared('POST', '/v1/me/mfa')).toBe('never');
    expect(declared('POST', '/v1/tenants/{tenantId}/exports')).toBe('never');
    expect(declared('DELETE', '/v1/me')).toBe('never');
    expect(declared('DELETE', '/v1/tenants/{tenantId}')).toBe('never');
    expect(declared('GET', '/admin/anything', 'admin')).toBe('never');
  });

  it('never applies to public routes, which have no caller to stand in for', () => {
    for (const route of routeList.filter((r) => r.auth === 'none'))
      expect(impersonationPolicy(route)).toBe('never');
  });
});

const operator: Caller = { userId: 'op-1', groups: ['support'], platformAdmin: false };

function session(overrides: Partial<ImpersonationSession> = {}): ImpersonationSession {
  return {
    sessionId,
    operatorId: 'op-1',
    userId: 'user-1',
    reason: 'Customer cannot find their project',
    openedAt: '2026-12-03T09:50:00.000Z',
    expiresAt: '2026-12-03T10:20:00.000Z',
    status: 'open',
    auditTenantIds: [tenantId],
    ...overrides,
  };
}

function gateWith(
  stored: ImpersonationSession | undefined,
  tenant?: Partial<TenantRecord>,
  mfaEnabled = true,
) {
  const directory: IdentityDirectory = {
    async getUser(userId) {
      return { userId, email: 'op@example.com', emailVerified: true, enabled: true, mfaEnabled };
    },
  };
  const reads: Array<{ sessionId: string; tenantId: string | undefined }> = [];
  const gate = createImpersonationGate({
    sessions: {
      async findForUse(id, tenant_) {
        reads.push({ sessionId: id, tenantId: tenant_ });
        return {
          session: stored?.sessionId === id ? stored : undefined,
          tenant: tenant_ && tenant ? ({ tenantId: tenant_, ...tenant } as TenantRecord) : undefined,
        };
      },
    },
    operators: createOperatorGuard({ directory, clock: () => NOW }),
    clock: () => NOW,
  });
  return { gate, reads };
}

async function statusOf(promise: Promise<unknown>): Promise<{ status: number; detail: string }> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof HttpError) return { status: error.status, detail: error.message };
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('the impersonation gate', () => {
  it('makes the request run as the user, naming the operator and the session', async () => {
    const { gate } = gateWith(session());
    const caller = await gate.impersonate(operator, sessionId, tenantId);
    expect(caller).toEqual({
      userId: 'user-1',
      groups: [],
      platformAdmin: false,
      impersonatedBy: { operatorId: 'op-1', sessionId },
    });
  });

  it('reads the session and the path’s tenant together, once', async () => {
    const { gate, reads } = gateWith(session());
    await gate.impersonate(operator, sessionId, tenantId);
    expect(reads).toEqual([{ sessionId, tenantId }]);
  });

  it('refuses a customer with 403', async () => {
    const { gate } = gateWith(session());
    const customer: Caller = { userId: 'op-1', groups: [], platformAdmin: false };
    expect((await statusOf(gate.impersonate(customer, sessionId, tenantId))).status).toBe(403);
  });

  it('refuses a finance operator, whose role cannot impersonate, with 403', async () => {
    const { gate } = gateWith(session());
    const finance: Caller = { userId: 'op-1', groups: ['finance'], platformAdmin: false };
    expect((await statusOf(gate.impersonate(finance, sessionId, tenantId))).status).toBe(403);
  });

  it('refuses an operator without MFA with 403', async () => {
    const { gate } = gateWith(session(), undefined, false);
    expect((await statusOf(gate.impersonate(operator, sessionId, tenantId))).status).toBe(403);
  });

  it('answers 401 for a header that is not a session id', async () => {
    const { gate, reads } = gateWith(session());
    expect((await statusOf(gate.impersonate(operator, 'nonsense', tenantId))).status).toBe(401);
    expect(reads).toEqual([]);
  });

  it('answers 401 for an unknown session', async () => {
    const { gate } = gateWith(undefined);
    expect((await statusOf(gate.impersonate(operator, sessionId, tenantId))).status).toBe(401);
  });

  it('answers 401 for another operator’s session', async () => {
    const { gate } = gateWith(session({ operatorId: 'op-2' }));
    expect((await statusOf(gate.impersonate(operator, sessionId, tenantId))).status).toBe(401);
  });

  it('answers 401 for an ended session, saying so', async () => {
    const { gate } = gateWith(session({ status: 'ended', endedAt: '2026-12-03T09:55:00.000Z' }));
    const refusal = await statusOf(gate.impersonate(operator, sessionId, tenantId));
    expect(refusal).toEqual({ status: 401, detail: expect.stringContaining('ended') });
  });

  it('answers 401 for a session past its expiry, saying so', async () => {
    const { gate } = gateWith(session({ expiresAt: '2026-12-03T10:00:00.000Z' }));
    const refusal = await statusOf(gate.impersonate(operator, sessionId, tenantId));
    expect(refusal).toEqual({ status: 401, detail: expect.stringContaining('expired') });
  });

  it('answers 404 for another tenant’s path under a session limited to one tenant', async () => {
    const { gate } = gateWith(session({ tenantId }));
    expect((await statusOf(gate.impersonate(operator, sessionId, otherTenantId))).status).toBe(404);
  });

  it('answers 403 for a path of no tenant under a session limited to one tenant', async () => {
    const { gate } = gateWith(session({ tenantId }));
    expect((await statusOf(gate.impersonate(operator, sessionId, undefined))).status).toBe(403);
  });

  it('lets a session limited to a tenant reach that tenant', async () => {
    const { gate } = gateWith(session({ tenantId }), { supportAccess: true });
    expect((await gate.impersonate(operator, sessionId, tenantId)).userId).toBe('user-1');
  });

  it('answers 403 for a tenant whose owners turned support access off', async () => {
    const { gate } = gateWith(session(), { supportAccess: false });
    const refusal = await statusOf(gate.impersonate(operator, sessionId, tenantId));
    expect(refusal).toEqual({ status: 403, detail: expect.stringContaining('support access off') });
  });
});

const context = { functionName: 'projects', awsRequestId: 'aws-1' } as unknown as Context;

function event(
  routeKey: string,
  headers: Record<string, string>,
  path: Record<string, string> = { tenantId },
) {
  const [method = 'GET', rawPath = '/'] = routeKey.split(' ');
  return {
    version: '2.0',
    routeKey,
    rawPath,
    rawQueryString: '',
    headers,
    pathParameters: path,
    isBase64Encoded: false,
    requestContext: {
      http: { method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'test' },
      requestId: 'req-1',
      routeKey,
      authorizer: { jwt: { claims: { sub: 'op-1', token_use: 'access' }, scopes: [] } },
    },
  } as unknown as ApiEvent;
}

describe('the dispatch under impersonation', () => {
  const seen: Array<HandlerInput<RouteDefinition>> = [];
  const impersonated: Caller = {
    userId: 'user-1',
    groups: [],
    platformAdmin: false,
    impersonatedBy: { operatorId: 'op-1', sessionId },
  };
  const calls: string[] = [];
  const gate: ImpersonationGate = {
    async impersonate(_caller, id) {
      calls.push(id);
      return impersonated;
    },
  };
  const run = async (input: HandlerInput<RouteDefinition>) => {
    seen.push(input);
    return { items: [] };
  };
  const handler = createApiHandler(
    'projects',
    projectsRoutes,
    Object.values(projectsRoutes).map((route) => ({ route, run }) as ReturnType<typeof implement>),
    { impersonation: gate },
  );

  beforeEach(() => {
    seen.length = 0;
    calls.length = 0;
    vi.spyOn(logger, 'info').mockImplementation(() => undefined);
  });
  afterEach(() => vi.restoreAllMocks());

  it('runs a read as the impersonated user, with the operator on the request', async () => {
    const response = (await handler(
      event('GET /v1/tenants/{tenantId}/projects', { 'plinth-impersonation': sessionId }),
      context,
    )) as APIGatewayProxyStructuredResultV2;
    expect(response.statusCode).toBe(200);
    expect(seen[0]?.caller).toEqual(impersonated);
    expect(seen[0]?.request.impersonatedBy).toEqual({ operatorId: 'op-1', sessionId });
  });

  it('adds the operator and the session to the log keys', async () => {
    const append = vi.spyOn(logger, 'appendKeys');
    await handler(
      event('GET /v1/tenants/{tenantId}/projects', { 'Plinth-Impersonation': sessionId }),
      context,
    );
    expect(append).toHaveBeenCalledWith({
      userId: 'user-1',
      impersonatedBy: 'op-1',
      impersonationSessionId: sessionId,
    });
  });

  it('refuses a change the route does not allow with 403, before looking the session up', async () => {
    const response = (await handler(
      event(
        'DELETE /v1/tenants/{tenantId}/projects/{projectId}',
        { 'plinth-impersonation': sessionId },
        {
          tenantId,
          projectId: sessionId,
        },
      ),
      context,
    )) as APIGatewayProxyStructuredResultV2;
    expect(response.statusCode).toBe(403);
    expect(JSON.parse(response.body ?? '{}').detail).toMatch(/not allowed while impersonating/);
    expect(calls).toEqual([]);
    expect(seen).toEqual([]);
  });

  it('asks nothing of the gate for a request without the header', async () => {
    await handler(event('GET /v1/tenants/{tenantId}/projects', {}), context);
    expect(calls).toEqual([]);
    expect(seen[0]?.caller).toEqual({ userId: 'op-1', groups: [], platformAdmin: false });
  });

  it('refuses impersonation with 403 in a function that has no gate', async () => {
    const bare = createApiHandler(
      'projects',
      projectsRoutes,
      Object.values(projectsRoutes).map((route) => ({ route, run }) as ReturnType<typeof implement>),
    );
    const response = (await bare(
      event('GET /v1/tenants/{tenantId}/projects', { 'plinth-impersonation': sessionId }),
      context,
    )) as APIGatewayProxyStructuredResultV2;
    expect(response.statusCode).toBe(403);
    expect(seen).toEqual([]);
  });
});

describe('audit entries under impersonation', () => {
  const db = { tableName: 'plinth' } as Db;
  const request = {
    requestId: 'req-1',
    sourceIp: '127.0.0.1',
    impersonatedBy: { operatorId: 'op-1', sessionId },
  };
  const item = () =>
    auditStep(
      db,
      {
        tenantId,
        actor: { userId: 'user-1', email: 'user@example.com' },
        request,
        action: 'project.created',
        target: { type: 'project', id: 'p1' },
        before: null,
        after: {},
      },
      { clock: () => NOW, newId: () => 'entry-1' },
    ).item.Put?.Item as Record<string, unknown>;

  it('record the operator and the session beside the impersonated user', () => {
    expect(item()).toMatchObject({
      actor: { userId: 'user-1', email: 'user@example.com' },
      impersonatedBy: { operatorId: 'op-1', sessionId },
    });
  });

  it('carry the impersonation marker, so they count for no product analytics', () => {
    expect(item().actorKind).toBe('impersonation');
    expect(activityOfAuditItem(item())).toBeUndefined();
  });
});

describe('the OpenAPI document', () => {
  const document = createOpenApiDocument();
  const headerNames = (path: string, method: 'get' | 'post' | 'patch' | 'delete') =>
    ((document.paths?.[path]?.[method]?.parameters ?? []) as Array<{ in: string; name: string }>)
      .filter((p) => p.in === 'header')
      .map((p) => p.name);

  it('documents the impersonation header on routes that may run under it', () => {
    expect(headerNames('/v1/tenants/{tenantId}/projects', 'get')).toContain('plinth-impersonation');
    expect(headerNames('/v1/tenants/{tenantId}/projects/{projectId}', 'patch')).toEqual(
      expect.arrayContaining(['if-match', 'plinth-impersonation']),
    );
  });

  it('leaves it off routes that never run under impersonation', () => {
    expect(headerNames('/v1/tenants/{tenantId}/billing', 'get')).not.toContain('plinth-impersonation');
    expect(headerNames('/admin/impersonations', 'post')).not.toContain('plinth-impersonation');
  });

  it('lists 403 on every route that takes a token, for the refusal under impersonation', () => {
    for (const route of routeList.filter((r) => r.auth === 'jwt')) {
      expect([route.operationId, problemStatuses(route).includes(403)]).toEqual([route.operationId, true]);
    }
  });
});
