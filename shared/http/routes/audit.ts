import { lazyValue } from '../../app/deferred.ts';
import {
  auditEntrySchema,
  auditExportQuery,
  auditExportSchema,
  auditQuery,
  auditVerificationSchema,
  auditVerifyQuery,
} from '../../audit/audit.schema.ts';
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
    response: lazyValue(() => pageOf(auditEntrySchema())),
    status: 200,
    problems: [402, 403, 404],
  }),
  verifyAuditLog: defineRoute({
    method: 'GET',
    path: '/v1/tenants/{tenantId}/audit-log/verify',
    area: 'audit',
    auth: 'jwt',
    operationId: 'verifyAuditLog',
    summary:
      "Recomputes the tenant's audit chain for a range of days (default the last 30) against the daily digests " +
      'anchored in the Object Lock bucket; reports ok or the first broken link.',
    params: tenantParams,
    query: auditVerifyQuery,
    response: auditVerificationSchema,
    status: 200,
    problems: [400, 402, 403, 404],
  }),
  exportAuditLog: defineRoute({
    method: 'GET',
    path: '/v1/tenants/{tenantId}/audit-log/export',
    area: 'audit',
    auth: 'jwt',
    operationId: 'exportAuditLog',
    summary:
      "The tenant's audit entries of a range of days (default the last 7, at most 31) with their chain hashes and the anchored " +
      'daily digests, for verification outside Plinth (README "Tamper-evident audit").',
    params: tenantParams,
    query: auditExportQuery,
    response: auditExportSchema,
    status: 200,
    problems: [400, 402, 403, 404],
    // An export hands out the tenant's log wholesale: never under impersonation.
    impersonation: 'never',
  }),
} as const satisfies Record<string, RouteDefinition>;
