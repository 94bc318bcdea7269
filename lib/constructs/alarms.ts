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

/**
 * Where the functions' EMF metrics land: AppFunction sets `POWERTOOLS_METRICS_NAMESPACE` to this,
 * one namespace per stage, so two stages in one account and region never share an alarm's data.
 */
export function metricsNamespace(stageName: string): string {
  return `Plinth/${stageName}`;
}

/** The `service` dimension Powertools adds to every EMF metric (`POWERTOOLS_SERVICE_NAME`). */
export const METRICS_SERVICE = 'plinth';

/**
 * A count the functions emit in Embedded Metric Format (shared/observability/metrics.ts), summed
 * over five minutes: what an alarm on it watches. `dimensions` are those the emitter adds besides
 * `service` (EMF metrics are told apart by their whole dimension set).
 */
export function appMetric(
  stageName: string,
  metricName: string,
  dimensions: Readonly<Record<string, string>> = {},
): Metric {
  return new Metric({
    namespace: metricsNamespace(stageName),
    metricName,
    dimensionsMap: { service: METRICS_SERVICE, ...dimensions },
    statistic: 'Sum',
    period: Duration.minutes(5),
  });
}

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
