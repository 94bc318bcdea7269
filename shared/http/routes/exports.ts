import { exportJobSchema, exportParams, tenantExportParams } from '../../exports/exports.schema.ts';
import { tenantParams } from '../common.schema.ts';
import { defineRoute, type RouteDefinition } from '../route.ts';

const location = {
  location: { description: 'Where the job’s status (and, once ready, its download link) is read.' },
} as const;

/**
 * The `exports` function's routes: data exports (right of access and portability). Never under
 * impersonation: an export hands a person's or a tenant's data out wholesale.
 */
export const exportsRoutes = {
  requestMyExport: defineRoute({
    method: 'POST',
    path: '/v1/me/exports',
    area: 'exports',
    auth: 'jwt',
    impersonation: 'never',
    operationId: 'requestMyExport',
    summary:
      'Starts an export of everything Plinth keeps about the caller (a tar.gz of JSON files with a README); poll the Location for its status. The caller is emailed when it is ready.',
    response: exportJobSchema,
    status: 202,
    responseHeaders: location,
    problems: [403, 502],
  }),
  getMyExport: defineRoute({
    method: 'GET',
    path: '/v1/me/exports/{exportId}',
    area: 'exports',
    auth: 'jwt',
    impersonation: 'never',
    operationId: 'getMyExport',
    summary:
      'An export of the caller’s data: queued, running, ready or failed; when ready, a fresh download link valid for 15 minutes. Exports are kept 7 days (per stage).',
    params: exportParams,
    response: exportJobSchema,
    status: 200,
    problems: [403, 404],
  }),
  requestTenantExport: defineRoute({
    method: 'POST',
    path: '/v1/tenants/{tenantId}/exports',
    area: 'exports',
    auth: 'jwt',
    impersonation: 'never',
    operationId: 'requestTenantExport',
    summary:
      'Owners only: starts an export of all of the tenant’s data (every record of the tenant, grouped by kind, the audit log with its hash chain); poll the Location.',
    params: tenantParams,
    response: exportJobSchema,
    status: 202,
    responseHeaders: location,
    problems: [403, 404, 502],
  }),
  getTenantExport: defineRoute({
    method: 'GET',
    path: '/v1/tenants/{tenantId}/exports/{exportId}',
    area: 'exports',
    auth: 'jwt',
    impersonation: 'never',
    operationId: 'getTenantExport',
    summary:
      'Owners only: a tenant export’s status and, when ready, a fresh download link valid for 15 minutes.',
    params: tenantExportParams,
    response: exportJobSchema,
    status: 200,
    problems: [403, 404],
  }),
} as const satisfies Record<string, RouteDefinition>;
