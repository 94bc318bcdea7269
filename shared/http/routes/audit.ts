import { auditEntrySchema, auditQuery } from '../../audit/audit.schema.ts';
import { pageOf, tenantParams } from '../common.schema.ts';
import { defineRoute, type RouteDefinition } from '../route.ts';

/** The `audit` function's routes: a tenant's audit log. */
export const auditRoutes = {
  listAuditLog: defineRoute({
    method: 'GET',
    path: '/v1/tenants/{tenantId}/audit-log',
    area: 'audit',
    auth: 'jwt',
    operationId: 'listAuditLog',
    summary: "The tenant's audit log, newest first; filter by actor, action and time range.",
    params: tenantParams,
    query: auditQuery,
    response: pageOf(auditEntrySchema),
    status: 200,
    problems: [402, 403, 404],
  }),
} as const satisfies Record<string, RouteDefinition>;
