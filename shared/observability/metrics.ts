import { Metrics } from '@aws-lambda-powertools/metrics';

export { MetricUnit } from '@aws-lambda-powertools/metrics';

/**
 * One Embedded Metric Format emitter per container (namespace `Plinth`, dimension `service`).
 * Handlers flush it at the end of each invocation (Powertools' `logMetrics` middleware); alarms in
 * the CDK app watch these metrics rather than counting log lines.
 */
export const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'Plinth',
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'plinth',
});
