import { adminTenantParams, refundBody, refundResponse } from '../../admin/refunds.schema.ts';
import { defineRoute, type RouteDefinition } from '../route.ts';

/** The `admin` function's routes: operations for platform admins. */
export const adminRoutes = {
  createRefund: defineRoute({
    method: 'POST',
    path: '/admin/tenants/{tenantId}/refunds',
    area: 'admin',
    auth: 'jwt',
    operator: 'billing:adjust',
    operationId: 'createRefund',
    summary: 'Refund a payment in full or in part, with a reason (platform admins).',
    params: adminTenantParams,
    body: refundBody,
    response: refundResponse,
    status: 201,
    problems: [403, 404, 409, 502],
  }),
} as const satisfies Record<string, RouteDefinition>;
