import { requireOperatorPermission } from '#shared/admin/operators.ts';
import { deferred, lazyValue } from '#shared/app/deferred.ts';
import { operatorGuardFor } from '#shared/app/identity.ts';
import { createRuntime } from '#shared/app/runtime.ts';
import { webhookMetricNames } from '#shared/billing/webhooks/webhook.deps.ts';
import { readHealthConfig } from '#shared/health/health.config.ts';
import { createHealthService } from '#shared/health/health.service.ts';
import type { MetricReader, QueueReader } from '#shared/health/health.sources.ts';
import { createApiHandler, implement } from '#shared/http/api-handler.ts';
import { healthRoutes as routes } from '#shared/http/routes/health.ts';
import { eventMetricNames } from '#shared/observability/metric-names.ts';
import { traceClient } from '#shared/observability/tracer.ts';

const { env, db, clock } = createRuntime();
// The SQS and CloudWatch clients are loaded by the first health check, not at cold start.
const metrics = deferred<MetricReader>(async () => {
  const [{ CloudWatchClient }, { createCloudWatchMetricReader }] = await Promise.all([
    import('@aws-sdk/client-cloudwatch'),
    import('#shared/health/health.aws.ts'),
  ]);
  return createCloudWatchMetricReader(traceClient(new CloudWatchClient({ region: env.AWS_REGION })));
});
const queues = deferred<QueueReader>(async () => {
  const [{ SQSClient }, { createSqsQueueReader }] = await Promise.all([
    import('@aws-sdk/client-sqs'),
    import('#shared/health/health.aws.ts'),
  ]);
  return createSqsQueueReader(traceClient(new SQSClient({ region: env.AWS_REGION })));
});
// What the function watches is read (and checked) with the first health check: a bad environment
// fails that request with the same error it would have failed the cold start with, and a cold start
// does not build the configuration's schemas.
const health = lazyValue(() =>
  createHealthService({
    db,
    config: readHealthConfig(),
    metrics,
    queues,
    clock,
    appMetrics: {
      outboxPublishFailures: eventMetricNames.outboxPublishFailures,
      webhookFailed: webhookMetricNames.failed,
      webhookDeferred: webhookMetricNames.deferred,
    },
    metricsService: process.env.POWERTOOLS_SERVICE_NAME ?? 'plinth',
  }),
);

export const handler = createApiHandler(
  'health',
  routes,
  [
    implement(routes.getSystemHealth, async ({ caller }) => {
      // The guard checked it before; the use case does not run for anyone else either way.
      requireOperatorPermission(caller, 'admin:read');
      return health().check();
    }),
  ],
  { operators: operatorGuardFor(env, clock) },
);
