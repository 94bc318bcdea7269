import type { Db } from '../db/client.ts';
import type { Clock } from '../ids.ts';
import type { HealthConfig } from './health.config.ts';
import {
  assessHealth,
  type BusFigures,
  type DependencyName,
  type FunctionFigures,
  type HealthFigures,
  type MetricSums,
  type QueueFigures,
  type TableFigures,
  type WebhookFigures,
} from './health.rules.ts';
import type { HealthResponse } from './health.schema.ts';
import {
  type MetricQuery,
  type MetricReader,
  type QueueReader,
  readOutboxBacklog,
} from './health.sources.ts';

/** The app's own metric names the health check reads (EMF, `Plinth/<stage>`, dimension `service`). */
export interface AppMetricNames {
  readonly outboxPublishFailures: string;
  readonly webhookFailed: string;
  readonly webhookDeferred: string;
}

export interface HealthDeps {
  readonly db: Db;
  readonly config: HealthConfig;
  readonly metrics: MetricReader;
  readonly queues: QueueReader;
  readonly clock: Clock;
  readonly appMetrics: AppMetricNames;
  /** The `service` dimension Powertools adds to every EMF metric. */
  readonly metricsService: string;
}

const DAY_MS = 24 * 3600_000;
/** Past `now`, so a datapoint written this second is inside the window (CloudWatch cuts at whole seconds). */
const WINDOW_END_MARGIN_MS = 60_000;

/** A short reason for an error, for a finding (never a stack or a secret: the error's name and message). */
function reasonOf(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`.slice(0, 200);
  return 'unknown error';
}

/**
 * The health check: reads the figures of every dependency at once (outbox in the table, queue
 * depths from SQS, sums from CloudWatch), tolerating a source that fails (its figures are null and
 * a finding says why), and applies the rules of health.rules.ts.
 */
export function createHealthService(deps: HealthDeps) {
  const { config, clock } = deps;
  const lambda = (metricName: string, functionName: string): MetricQuery => ({
    namespace: 'AWS/Lambda',
    metricName,
    dimensions: { FunctionName: functionName },
  });
  const app = (metricName: string): MetricQuery => ({
    namespace: config.metricsNamespace,
    metricName,
    dimensions: { service: deps.metricsService },
  });
  const table = (metricName: string): MetricQuery => ({
    namespace: 'AWS/DynamoDB',
    metricName,
    dimensions: { TableName: config.tableName },
  });

  async function readQueues(): Promise<QueueFigures[]> {
    return Promise.all(
      config.queues.map(async (queue) => {
        const [main, deadLetter] = await Promise.all([
          queue.url ? deps.queues.depth(queue.url) : undefined,
          deps.queues.depth(queue.deadLetterUrl),
        ]);
        return {
          name: queue.name,
          waiting: main?.visible ?? null,
          inFlight: main?.inFlight ?? null,
          // A dead-lettered message is one, whether or not someone is looking at it right now.
          deadLetters: deadLetter.visible + deadLetter.inFlight,
        };
      }),
    );
  }

  return {
    async check(): Promise<HealthResponse> {
      const now = clock();
      const end = new Date(now.getTime() + WINDOW_END_MARGIN_MS);
      const start = new Date(end.getTime() - DAY_MS);
      const functionNames = Object.entries(config.functions);
      const queries: MetricQuery[] = [
        table('ReadThrottleEvents'),
        table('WriteThrottleEvents'),
        app(deps.appMetrics.outboxPublishFailures),
        app(deps.appMetrics.webhookFailed),
        app(deps.appMetrics.webhookDeferred),
        lambda('Url5xxCount', config.webhookFunction),
        ...functionNames.flatMap(([, name]) => [lambda('Errors', name), lambda('Throttles', name)]),
      ];
      const [outbox, queues, sums] = await Promise.allSettled([
        readOutboxBacklog(deps.db, now),
        readQueues(),
        deps.metrics.sums(queries, { start, end }),
      ]);

      const unavailable: Partial<Record<DependencyName, string>> = {};
      const metric = (index: number): MetricSums | null =>
        sums.status === 'fulfilled' ? (sums.value[index] ?? { last24Hours: 0, lastHour: 0 }) : null;
      const total = (index: number) => metric(index)?.last24Hours ?? null;
      if (sums.status === 'rejected') {
        const reason = `CloudWatch: ${reasonOf(sums.reason)}`;
        for (const name of ['table', 'bus', 'webhook', 'functions'] as const) unavailable[name] = reason;
      }
      if (queues.status === 'rejected') unavailable.queues = `SQS: ${reasonOf(queues.reason)}`;

      const tableFigures: TableFigures = {
        readThrottles: total(0),
        writeThrottles: total(1),
        ...(outbox.status === 'rejected' ? { unreachable: reasonOf(outbox.reason) } : {}),
      };
      const backlog = outbox.status === 'fulfilled' ? outbox.value : undefined;
      const bus: BusFigures = {
        unpublished: backlog?.count ?? null,
        unpublishedAtLeast: backlog?.atLeast ?? false,
        oldestUnpublishedAgeSeconds: backlog?.oldestWrittenAt
          ? Math.max(0, Math.floor((now.getTime() - Date.parse(backlog.oldestWrittenAt)) / 1000))
          : backlog
            ? 0
            : null,
        publishFailures: total(2),
      };
      const webhook: WebhookFigures = { failures: metric(3), deferred: total(4), serverErrors: total(5) };
      const functions: FunctionFigures[] | null =
        sums.status === 'fulfilled'
          ? functionNames.map(([name], i) => ({
              name,
              errors: metric(6 + 2 * i),
              throttles: total(7 + 2 * i),
            }))
          : null;
      const figures: HealthFigures = {
        table: tableFigures,
        bus,
        queues: queues.status === 'fulfilled' ? queues.value : null,
        webhook,
        functions,
        unavailable,
      };
      const assessed = assessHealth(figures);
      const round = (n: number | null) => (n === null ? null : Math.round(n));
      const roundSums = (s: MetricSums | null) =>
        s ? { last24Hours: Math.round(s.last24Hours), lastHour: Math.round(s.lastHour) } : null;
      return {
        status: assessed.status,
        checkedAt: now.toISOString(),
        window: { from: start.toISOString(), to: end.toISOString() },
        attention: assessed.findings.map(({ status, dependency, summary }) => ({
          status,
          dependency,
          summary,
        })),
        dependencies: {
          table: {
            status: assessed.statuses.table,
            tableName: config.tableName,
            readThrottles: round(tableFigures.readThrottles),
            writeThrottles: round(tableFigures.writeThrottles),
          },
          bus: {
            status: assessed.statuses.bus,
            unpublishedOutboxItems: bus.unpublished,
            unpublishedAtLeast: bus.unpublishedAtLeast,
            oldestUnpublishedAgeSeconds: bus.oldestUnpublishedAgeSeconds,
            publishFailures: round(bus.publishFailures),
          },
          queues: { status: assessed.statuses.queues, queues: figures.queues ? [...figures.queues] : null },
          webhook: {
            status: assessed.statuses.webhook,
            failures: roundSums(webhook.failures),
            deferred: round(webhook.deferred),
            serverErrors: round(webhook.serverErrors),
          },
          functions: {
            status: assessed.statuses.functions,
            functions: functions
              ? functions.map((f) => ({
                  name: f.name,
                  errors: roundSums(f.errors),
                  throttles: round(f.throttles),
                }))
              : null,
          },
        },
      };
    },
  };
}

export type HealthService = ReturnType<typeof createHealthService>;
