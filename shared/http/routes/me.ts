import { meResponse } from '../../users/users.schema.ts';
import { defineRoute, type RouteDefinition } from '../route.ts';

/** The `me` function's routes: the signed-in user. */
export const meRoutes = {
  getMe: defineRoute({
    method: 'GET',
    path: '/v1/me',
    area: 'me',
    auth: 'jwt',
    operationId: 'getMe',
    summary: 'The caller: profile and memberships.',
    response: meResponse,
    status: 200,
  }),
} as const satisfies Record<string, RouteDefinition>;
