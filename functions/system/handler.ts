import { createApiHandler, implement } from '#shared/http/api-handler.ts';
import { systemRoutes as routes } from '#shared/http/routes/system.ts';
import type { OpenApiDocument } from '#shared/openapi/document.ts';

// Built on first request, not at init, so health checks and cold starts do not pay for it. The
// document reads every area's route table and zod-to-openapi: imported then, not at cold start.
let document: OpenApiDocument | undefined;

/** Public routes that need no table, pool or environment: liveness and the OpenAPI document. */
export const handler = createApiHandler('system', routes, [
  implement(routes.health, async () => ({ status: 'ok' as const })),
  implement(routes.openapi, async () => {
    document ??= (await import('#shared/openapi/document.ts')).createOpenApiDocument();
    // A shallow copy: the spread's object type fits the route's record schema; the interface does not.
    return { ...document };
  }),
]);
