import { Duration } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  type IMetric,
  MathExpression,
  Metric,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

/**
 * Alarms on what must never happen silently. They carry no action: subscribe an SNS topic (or a
 * chat integration) to them in the console or with `alarm.addAlarmAction(...)`.
 */

/** In alarm while the dead-letter queue holds any message: something failed every retry. */
export function deadLetterQueueAlarm(scope: Construct, id: string, queue: IQueue, what: string): Alarm {
  return new Alarm(scope, id, {
    alarmDescription: `${what}: messages are waiting in a dead-letter queue. Inspect them, fix the cause, then redrive.`,
    metric: queue.metricApproximateNumberOfMessagesVisible({
      period: Duration.minutes(1),
      statistic: 'Maximum',
    }),
    threshold: 1,
    comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    evaluationPeriods: 1,
    treatMissingData: TreatMissingData.NOT_BREACHING,
  });
}

/** In alarm when the summed metrics count at least one failure in five minutes. */
export function failureAlarm(
  scope: Construct,
  id: string,
  description: string,
  metrics: Readonly<Record<string, IMetric>>,
): Alarm {
  const expression = Object.keys(metrics)
    .map((name) => `FILL(${name}, 0)`)
    .join(' + ');
  return new Alarm(scope, id, {
    alarmDescription: description,
    metric: new MathExpression({ expression, usingMetrics: { ...metrics }, period: Duration.minutes(5) }),
    threshold: 1,
    comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    evaluationPeriods: 1,
    treatMissingData: TreatMissingData.NOT_BREACHING,
  });
}

/**
 * A count a function emits in Embedded Metric Format through shared/observability/metrics.ts
 * (Powertools): namespace `POWERTOOLS_METRICS_NAMESPACE`, dimension `service` =
 * `POWERTOOLS_SERVICE_NAME` of that function. Summed per `period`.
 */
export function emfCount(
  emitter: { readonly namespace: string; readonly service: string },
  metricName: string,
  period: Duration = Duration.minutes(5),
): Metric {
  return new Metric({
    namespace: emitter.namespace,
    metricName,
    dimensionsMap: { service: emitter.service },
    statistic: 'Sum',
    period,
  });
}

/**
 * In alarm when `metric` counts at least one in `evaluationPeriods` periods in a row (default one):
 * for what must be seen every time it happens (a dispute, a duplicate subscription).
 */
export function countAlarm(
  scope: Construct,
  id: string,
  description: string,
  metric: IMetric,
  evaluationPeriods = 1,
): Alarm {
  return new Alarm(scope, id, {
    alarmDescription: description,
    metric,
    threshold: 1,
    comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    evaluationPeriods,
    treatMissingData: TreatMissingData.NOT_BREACHING,
  });
}
