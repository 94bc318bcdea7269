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

export { eventMetricNames, mailMetricNames } from './metric-names.ts';
