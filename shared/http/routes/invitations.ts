import * as z from 'zod';
import { lazyValue } from '../../app/deferred.ts';
import {
  acceptInvitationParams,
  createInvitationBody,
  invitationParams,
  invitationSchema,
} from '../../invitations/invitations.schema.ts';
import { memberSchema } from '../../members/members.schema.ts';
import { pageOf, paginationQuery, tenantParams } from '../common.schema.ts';
import { defineRoute, type RouteDefinition } from '../route.ts';
import { rateLimited } from './response-headers.ts';

/** The `invitations` function's routes: invitations to join a tenant. */
export const invitationsRoutes = {
  listMyInvitations: defineRoute({
    method: 'GET',
    path: '/v1/me/invitations',
    area: 'invitations',
    auth: 'jwt',
    operationId: 'listMyInvitations',
    summary: "Pending invitations for the caller's verified email.",
    response: lazyValue(() => z.object({ items: z.array(invitationSchema()) })),
    status: 200,
  }),
  acceptInvitation: defineRoute({
    method: 'POST',
    path: '/v1/invitations/{invitationId}/accept',
    area: 'invitations',
    auth: 'jwt',
    operationId: 'acceptInvitation',
    summary: "Accept an invitation sent to the caller's verified email.",
    params: acceptInvitationParams,
    response: memberSchema,
    status: 200,
    problems: [402, 403, 404, 409],
  }),
  listInvitations: defineRoute({
    method: 'GET',
    path: '/v1/tenants/{tenantId}/invitations',
    area: 'invitations',
    auth: 'jwt',
    operationId: 'listInvitations',
    summary: "The tenant's invitations.",
    params: tenantParams,
    query: paginationQuery,
    response: lazyValue(() => pageOf(invitationSchema())),
    status: 200,
    problems: [403, 404],
  }),
  createInvitation: defineRoute({
    method: 'POST',
    path: '/v1/tenants/{tenantId}/invitations',
    area: 'invitations',
    auth: 'jwt',
    operationId: 'createInvitation',
    summary:
      'Invite someone by email with a role; emails them the link (again, for a pending invitation). Rate limited per tenant, inviting user and recipient.',
    params: tenantParams,
    body: createInvitationBody,
    response: invitationSchema,
    status: 201,
    responseHeaders: rateLimited,
    problems: [402, 403, 404, 409, 429],
  }),
  revokeInvitation: defineRoute({
    method: 'DELETE',
    path: '/v1/tenants/{tenantId}/invitations/{invitationId}',
    area: 'invitations',
    auth: 'jwt',
    operationId: 'revokeInvitation',
    summary: 'Revoke a pending invitation.',
    params: invitationParams,
    status: 204,
    problems: [402, 403, 404, 409],
  }),
} as const satisfies Record<string, RouteDefinition>;
