import { healthResponse } from '../../health/health.schema.ts';
import { defineRoute, type RouteDefinition } from '../route.ts';

/** The `health` function's routes: the system's state for operators. */
export const healthRoutes = {
  getSystemHealth: defineRoute({
    method: 'GET',
    path: '/admin/health',
    area: 'health',
    auth: 'jwt',
    operator: 'admin:read',
    operationId: 'getSystemHealth',
    summary:
      'The state of the table, bus, queues, webhook and functions, with figures from SQS, CloudWatch and the outbox, and what needs attention first (operators).',
    response: healthResponse,
    status: 200,
    problems: [403],
  }),
} as const satisfies Record<string, RouteDefinition>;
