import { readProductEnv } from '#shared/analytics/product/product.env.ts';
import { createProductAnalyticsService } from '#shared/analytics/product/product-analytics.service.ts';
import { createProductEventRecorder } from '#shared/analytics/product/recorder.ts';
import { operatorGuardFor } from '#shared/app/identity.ts';
import { impersonationGateFor } from '#shared/app/impersonation.ts';
import { createRuntime } from '#shared/app/runtime.ts';
import { createApiHandler, implement, reply } from '#shared/http/api-handler.ts';
import { productAnalyticsRoutes as routes } from '#shared/http/routes/product-analytics.ts';
import { rateLimitHeaders } from '#shared/ratelimit/rate-limit-headers.ts';
import { createTableRateLimiter } from '#shared/ratelimit/window-counter.ts';

const runtime = createRuntime();
const { env, db, clock, tenancy } = runtime;
const productEnv = readProductEnv();
const analytics = createProductAnalyticsService({
  db,
  clock,
  recorder: createProductEventRecorder({ db, clock, rawEventTtlDays: productEnv.PRODUCT_EVENT_TTL_DAYS }),
  rateLimiter: createTableRateLimiter(db, clock),
});

export const handler = createApiHandler(
  'product-analytics',
  routes,
  [
    implement(routes.trackEvents, async ({ params, body, caller, request }) => {
      const { result, rateLimits } = await analytics.track(
        await tenancy.resolve(caller, params.tenantId, request),
        body,
      );
      return reply(result, rateLimitHeaders(rateLimits));
    }),
    implement(routes.getTenantUsage, async ({ params, query, caller, request }) =>
      analytics.tenantUsage(await tenancy.resolve(caller, params.tenantId, request), query),
    ),
    implement(routes.getTenantRetention, async ({ params, query, caller, request }) =>
      analytics.tenantRetention(await tenancy.resolve(caller, params.tenantId, request), query),
    ),
    implement(routes.metricsRetention, async ({ query, caller }) =>
      analytics.platformRetention(caller, query),
    ),
    implement(routes.metricsFeatures, async ({ query, caller }) => analytics.platformFeatures(caller, query)),
  ],
  { operators: operatorGuardFor(env, clock), impersonation: impersonationGateFor(runtime) },
);
