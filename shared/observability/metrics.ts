import { Metrics } from '@aws-lambda-powertools/metrics';
import { logger } from './logger.ts';

export { MetricUnit } from '@aws-lambda-powertools/metrics';

/**
 * One Embedded Metric Format emitter per container (namespace `POWERTOOLS_METRICS_NAMESPACE`, which
 * AppFunction sets to `Plinth/<stage>`; dimension `service`). Handlers flush it at the end of each
 * invocation (Powertools' `logMetrics` middleware); alarms in the CDK app watch these metrics rather
 * than counting log lines. Its own warnings go through the structured logger.
 */
export const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'Plinth',
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'plinth',
  logger,
});

/**
 * The metrics the event path emits and its alarms watch (lib/stacks/events-stack.ts): one name each,
 * shared by the handlers that emit them and the stack that alarms on them. All are counts.
 */
export const eventMetricNames = {
  /** Outbox events EventBridge accepted (stream publisher and replay). */
  outboxEventsPublished: 'OutboxEventsPublished',
  /** Outbox records not published (refused entry, failed call) or whose mark was not cleared. */
  outboxPublishFailures: 'OutboxPublishFailures',
  /** Bus messages a consumer failed (each is retried, then dead-lettered). */
  consumerFailures: 'ConsumerFailures',
  /** Bus messages a consumer handled. */
  consumerMessages: 'ConsumerMessages',
  /** Tenants the dunning sweep restricted. */
  tenantsRestricted: 'TenantsRestricted',
  /** Tenants the dunning sweep could not restrict (retried on the next run). */
  dunningSweepFailures: 'DunningSweepFailures',
} as const;
