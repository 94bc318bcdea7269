import { adminTenantIdParams, adminUserParams, reasonBody } from '../../admin/admin-params.schema.ts';
import {
  erasureAcceptedSchema,
  erasureListQuery,
  erasureListResponse,
  erasureParams,
  erasureReportSchema,
} from '../../erasure/erasure.schema.ts';
import { defineRoute, type RouteDefinition } from '../route.ts';

/**
 * The `erasure` function's routes (shared/erasure/): a user deletes their account, operators erase a
 * user or purge a deleted tenant now, read the erasure reports and retry a blocked one. Each request is accepted (202)
 * and run off the request path by the erasure-run schedule. Never under impersonation.
 */
export const erasureRoutes = {
  deleteMe: defineRoute({
    method: 'DELETE',
    path: '/v1/me',
    area: 'erasure',
    auth: 'jwt',
    impersonation: 'never',
    operationId: 'deleteMe',
    summary:
      'Deletes the caller’s account and erases their personal data (README "Erasure"): accepted with an erasure id and run within a minute; 409 naming the tenants of which the caller is the last owner.',
    response: erasureAcceptedSchema,
    status: 202,
    problems: [403, 409],
  }),
  eraseUser: defineRoute({
    method: 'POST',
    path: '/admin/users/{userId}/erasure',
    area: 'erasure',
    auth: 'jwt',
    operator: 'data:erase',
    operationId: 'eraseUser',
    summary:
      'Erases a user on their request (the right to be forgotten), as DELETE /v1/me does; platform-audited with the reason. 409 while they are the last owner of a tenant.',
    params: adminUserParams,
    body: reasonBody,
    response: erasureAcceptedSchema,
    status: 202,
    problems: [403, 404, 409],
  }),
  purgeTenant: defineRoute({
    method: 'POST',
    path: '/admin/tenants/{tenantId}/purge',
    area: 'erasure',
    auth: 'jwt',
    operator: 'data:erase',
    operationId: 'purgeTenant',
    summary:
      'Purges a soft-deleted tenant now instead of after its grace period: every item, its exports, its Stripe customer; analytics kept anonymous. 409 unless the tenant is deleted.',
    params: adminTenantIdParams,
    body: reasonBody,
    response: erasureAcceptedSchema,
    status: 202,
    problems: [403, 404, 409],
  }),
  listErasures: defineRoute({
    method: 'GET',
    path: '/admin/erasures',
    area: 'erasure',
    auth: 'jwt',
    operator: 'data:erase',
    operationId: 'listErasures',
    summary:
      'Erasure reports, newest first: what each erasure deleted or pseudonymised, where, when and by whom.',
    query: erasureListQuery,
    response: erasureListResponse,
    status: 200,
    problems: [403],
  }),
  getErasure: defineRoute({
    method: 'GET',
    path: '/admin/erasures/{erasureId}',
    area: 'erasure',
    auth: 'jwt',
    operator: 'data:erase',
    operationId: 'getErasure',
    summary: 'One erasure report, with each step’s counts (running counts while it runs).',
    params: erasureParams,
    response: erasureReportSchema,
    status: 200,
    problems: [403, 404],
  }),
  retryErasure: defineRoute({
    method: 'POST',
    path: '/admin/erasures/{erasureId}/retry',
    area: 'erasure',
    auth: 'jwt',
    operator: 'data:erase',
    impersonation: 'never',
    operationId: 'retryErasure',
    summary:
      'Retries a blocked erasure once its cause is removed (e.g. the live subscription cancelled): back to pending, it resumes at the refused step within a minute, finished steps kept. Platform-audited with the reason. 409 unless it is blocked.',
    params: erasureParams,
    body: reasonBody,
    response: erasureAcceptedSchema,
    status: 202,
    problems: [403, 404, 409],
  }),
} as const satisfies Record<string, RouteDefinition>;
