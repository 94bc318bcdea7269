import {
  impersonationListQuery,
  impersonationListResponse,
  impersonationParams,
  impersonationSessionSchema,
  openImpersonationBody,
} from '../../impersonation/impersonation.schema.ts';
import { defineRoute, type RouteDefinition } from '../route.ts';

/** The `impersonation` function's routes: support sessions in which an operator acts as a user. */
export const impersonationRoutes = {
  openImpersonation: defineRoute({
    method: 'POST',
    path: '/admin/impersonations',
    area: 'impersonation',
    auth: 'jwt',
    operator: 'impersonation:open',
    operationId: 'openImpersonation',
    summary:
      'Open a time-boxed session (at most 60 minutes) to act as a user, in all their tenants or one, with a reason (support).',
    body: openImpersonationBody,
    response: impersonationSessionSchema,
    status: 201,
    problems: [403, 404, 409],
  }),
  listImpersonations: defineRoute({
    method: 'GET',
    path: '/admin/impersonations',
    area: 'impersonation',
    auth: 'jwt',
    operator: 'impersonation:open',
    operationId: 'listImpersonations',
    summary: 'The impersonation sessions open now, soonest to expire first, with their time left (support).',
    query: impersonationListQuery,
    response: impersonationListResponse,
    status: 200,
    problems: [403],
  }),
  endImpersonation: defineRoute({
    method: 'DELETE',
    path: '/admin/impersonations/{sessionId}',
    area: 'impersonation',
    auth: 'jwt',
    operator: 'impersonation:open',
    operationId: 'endImpersonation',
    summary: 'End an impersonation session before its time (support).',
    params: impersonationParams,
    status: 204,
    problems: [403, 404, 409],
  }),
} as const satisfies Record<string, RouteDefinition>;
