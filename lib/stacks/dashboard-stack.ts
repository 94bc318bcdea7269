import { Duration, Stack, type StackProps } from 'aws-cdk-lib';
import {
  Dashboard,
  GraphWidget,
  LogQueryVisualizationType,
  LogQueryWidget,
  Metric,
  TextWidget,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { webhookMetricNames } from '../../shared/billing/webhooks/webhook.deps.ts';
import { eventMetricNames } from '../../shared/observability/metric-names.ts';
import { appMetric } from '../constructs/alarms.ts';
import { eventsWatchOf } from '../constructs/health-watch.ts';
import type { StageConfig } from '../stage.ts';
import type { ApiStack } from './api-stack.ts';
import type { EventsStack } from './events-stack.ts';

export interface DashboardStackProps extends StackProps {
  readonly stage: StageConfig;
  readonly api: ApiStack;
  readonly events: EventsStack;
  readonly table: ITableV2;
}

const WIDTH = 24;
const HALF = 12;
const THIRD = 8;

/** The widget titles, for tests and for people looking for a graph. */
export const dashboardWidgetTitles = {
  apiRequests: 'API requests and errors',
  apiLatency: 'API latency (p50, p90, p99)',
  routes: 'Per route: requests and latency percentiles (access logs)',
  routeErrors: 'Per route: 5xx answers (access logs)',
  invocations: 'Invocations per function',
  errors: 'Errors per function',
  throttles: 'Throttles per function',
  durationP50: 'Duration p50 per function',
  durationP99: 'Duration p99 per function',
  webhookMetrics: 'Stripe webhook: failures, deferrals, duplicates, disputes, 4xx/5xx',
  webhookOutcomes: 'Stripe webhook outcomes (logs)',
  queues: 'Queue depths (messages waiting)',
  deadLetters: 'Dead-letter queues',
  mrr: 'MRR (from the daily rollup)',
  table: 'DynamoDB throttled requests',
} as const;

/**
 * The stage's CloudWatch dashboard (`plinth-<stage>`): the API (requests, errors, latency
 * percentiles overall and per route from the access logs), every function (invocations, errors,
 * throttles, duration percentiles), the Stripe webhook's outcomes, queue and dead-letter depths,
 * MRR from the rollups, DynamoDB throttles. A stack of its own, deployed after the stacks it shows.
 * Per-route figures come from a Logs Insights query over the access logs rather than API Gateway's
 * detailed metrics, which would cost a custom metric per route and statistic.
 */
export class DashboardStack extends Stack {
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: DashboardStackProps) {
    super(scope, id, props);
    const { stage, api, events } = props;
    const watched = eventsWatchOf(events);
    const functions: Record<string, IFunction> = {
      ...Object.fromEntries(Object.entries(api.functions).map(([area, fn]) => [area, fn.function])),
      'stripe-webhook': api.stripeWebhook.function,
      'api-authorizer': api.apiAuthorizer.function,
      ...watched.functions,
    };
    const perFunction = (make: (fn: IFunction) => Metric) =>
      Object.entries(functions).map(([label, fn]) => make(fn).with({ label }));
    const fiveMinutes = Duration.minutes(5);

    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: `plinth-${stage.name}`,
      defaultInterval: Duration.days(1),
    });
    this.dashboard.addWidgets(
      new TextWidget({
        markdown: `# Plinth ${stage.name}\nAlarms mail the operators (the stage's alarm topic). \`GET /admin/health\` gives the same figures with a status per dependency.`,
        width: WIDTH,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: dashboardWidgetTitles.apiRequests,
        width: HALF,
        left: [
          api.apiStage.metricCount({ period: fiveMinutes, statistic: 'Sum', label: 'requests' }),
          api.apiStage.metricClientError({ period: fiveMinutes, statistic: 'Sum', label: '4xx' }),
          api.apiStage.metricServerError({ period: fiveMinutes, statistic: 'Sum', label: '5xx' }),
        ],
      }),
      new GraphWidget({
        title: dashboardWidgetTitles.apiLatency,
        width: HALF,
        left: ['p50', 'p90', 'p99'].map((statistic) =>
          api.apiStage.metricLatency({ period: fiveMinutes, statistic, label: statistic }),
        ),
      }),
    );
    this.dashboard.addWidgets(
      new LogQueryWidget({
        title: dashboardWidgetTitles.routes,
        width: HALF,
        logGroupNames: [api.accessLogs.logGroupName],
        view: LogQueryVisualizationType.TABLE,
        queryLines: [
          'fields routeKey, latency',
          'stats count(*) as requests, pct(latency, 50) as p50, pct(latency, 90) as p90, pct(latency, 99) as p99 by routeKey',
          'sort requests desc',
        ],
      }),
      new LogQueryWidget({
        title: dashboardWidgetTitles.routeErrors,
        width: HALF,
        logGroupNames: [api.accessLogs.logGroupName],
        view: LogQueryVisualizationType.TABLE,
        queryLines: ['filter status like /^5/', 'stats count(*) as errors by routeKey', 'sort errors desc'],
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: dashboardWidgetTitles.invocations,
        width: THIRD,
        left: perFunction((fn) => fn.metricInvocations({ statistic: 'Sum', period: fiveMinutes })),
      }),
      new GraphWidget({
        title: dashboardWidgetTitles.errors,
        width: THIRD,
        left: perFunction((fn) => fn.metricErrors({ statistic: 'Sum', period: fiveMinutes })),
      }),
      new GraphWidget({
        title: dashboardWidgetTitles.throttles,
        width: THIRD,
        left: perFunction((fn) => fn.metricThrottles({ statistic: 'Sum', period: fiveMinutes })),
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: dashboardWidgetTitles.durationP50,
        width: HALF,
        left: perFunction((fn) => fn.metricDuration({ statistic: 'p50', period: fiveMinutes })),
      }),
      new GraphWidget({
        title: dashboardWidgetTitles.durationP99,
        width: HALF,
        left: perFunction((fn) => fn.metricDuration({ statistic: 'p99', period: fiveMinutes })),
      }),
    );
    const webhookFn = api.stripeWebhook.function;
    this.dashboard.addWidgets(
      new GraphWidget({
        title: dashboardWidgetTitles.webhookMetrics,
        width: HALF,
        left: [
          ...Object.entries(webhookMetricNames).map(([label, name]) =>
            appMetric(stage.name, name).with({ label }),
          ),
          webhookFn.metric('Url4xxCount', { statistic: 'Sum', period: fiveMinutes, label: '4xx' }),
          webhookFn.metric('Url5xxCount', { statistic: 'Sum', period: fiveMinutes, label: '5xx' }),
        ],
      }),
      new LogQueryWidget({
        title: dashboardWidgetTitles.webhookOutcomes,
        width: HALF,
        logGroupNames: [api.stripeWebhook.logGroup.logGroupName],
        view: LogQueryVisualizationType.PIE,
        queryLines: ['filter ispresent(outcome)', 'stats count(*) as events by outcome'],
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: dashboardWidgetTitles.queues,
        width: HALF,
        left: watched.queues.flatMap((q) =>
          q.queue
            ? [
                q.queue.metricApproximateNumberOfMessagesVisible({
                  statistic: 'Maximum',
                  period: fiveMinutes,
                  label: q.name,
                }),
              ]
            : [],
        ),
      }),
      new GraphWidget({
        title: dashboardWidgetTitles.deadLetters,
        width: HALF,
        left: watched.queues.map((q) =>
          q.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
            statistic: 'Maximum',
            period: fiveMinutes,
            label: `${q.name} DLQ`,
          }),
        ),
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: dashboardWidgetTitles.mrr,
        width: HALF,
        left: [
          appMetric(stage.name, eventMetricNames.mrr).with({
            statistic: 'Maximum',
            period: Duration.days(1),
            label: 'MRR',
          }),
        ],
      }),
      new GraphWidget({
        title: dashboardWidgetTitles.table,
        width: HALF,
        left: ['ReadThrottleEvents', 'WriteThrottleEvents'].map(
          (metricName) =>
            new Metric({
              namespace: 'AWS/DynamoDB',
              metricName,
              dimensionsMap: { TableName: props.table.tableName },
              statistic: 'Sum',
              period: fiveMinutes,
            }),
        ),
      }),
    );
  }
}
