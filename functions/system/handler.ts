import { createApiHandler, implement } from '#shared/http/api-handler.ts';
import { routes } from '#shared/http/routes.ts';
import { createOpenApiDocument, type OpenApiDocument } from '#shared/openapi/document.ts';

// Built on first request, not at init, so health checks and cold starts do not pay for it.
let document: OpenApiDocument | undefined;

/** Public routes that need no table, pool or environment: liveness and the OpenAPI document. */
export const handler = createApiHandler('system', [
  implement(routes.health, async () => ({ status: 'ok' as const })),
  implement(routes.openapi, async () => {
    document ??= createOpenApiDocument();
    // A shallow copy: the spread's object type fits the route's record schema; the interface does not.
    return { ...document };
  }),
]);
