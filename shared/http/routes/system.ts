import * as z from 'zod';
import { lazyValue } from '../../app/deferred.ts';
import { defineRoute, type RouteDefinition } from '../route.ts';

/** The `system` function's routes: liveness and the OpenAPI document. */
export const systemRoutes = {
  health: defineRoute({
    method: 'GET',
    path: '/health',
    area: 'system',
    auth: 'none',
    operationId: 'getHealth',
    summary: 'Liveness: the API answers.',
    response: lazyValue(() => z.object({ status: z.literal('ok') })),
    status: 200,
  }),
  openapi: defineRoute({
    method: 'GET',
    path: '/openapi.json',
    area: 'system',
    auth: 'none',
    operationId: 'getOpenApi',
    summary: 'This API as an OpenAPI 3.1 document.',
    response: lazyValue(() => z.record(z.string(), z.unknown())),
    status: 200,
  }),
} as const satisfies Record<string, RouteDefinition>;
