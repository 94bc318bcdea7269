import { lazyValue } from '../../app/deferred.ts';
import {
  changeRoleBody,
  memberListItemSchema,
  memberParams,
  memberSchema,
} from '../../members/members.schema.ts';
import { pageOf, paginationQuery, tenantParams } from '../common.schema.ts';
import { defineRoute, type RouteDefinition } from '../route.ts';

/** The `members` function's routes: a tenant's members. */
export const membersRoutes = {
  listMembers: defineRoute({
    method: 'GET',
    path: '/v1/tenants/{tenantId}/members',
    area: 'members',
    auth: 'jwt',
    operationId: 'listMembers',
    summary: "The tenant's members.",
    params: tenantParams,
    query: paginationQuery,
    response: lazyValue(() => pageOf(memberListItemSchema())),
    status: 200,
    problems: [403, 404],
  }),
  updateMember: defineRoute({
    method: 'PATCH',
    path: '/v1/tenants/{tenantId}/members/{userId}',
    area: 'members',
    auth: 'jwt',
    operationId: 'updateMember',
    summary: "Change a member's role.",
    params: memberParams,
    body: changeRoleBody,
    response: memberSchema,
    status: 200,
    problems: [402, 403, 404, 409],
  }),
  removeMember: defineRoute({
    method: 'DELETE',
    path: '/v1/tenants/{tenantId}/members/{userId}',
    area: 'members',
    auth: 'jwt',
    operationId: 'removeMember',
    summary: 'Remove a member (or leave, when the member is the caller).',
    params: memberParams,
    status: 204,
    problems: [402, 403, 404, 409],
  }),
} as const satisfies Record<string, RouteDefinition>;
