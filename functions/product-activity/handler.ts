import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { recordAuditActivity } from '#shared/analytics/product/audit-activity.ts';
import { readProductEnv } from '#shared/analytics/product/product.env.ts';
import { createProductEventRecorder } from '#shared/analytics/product/recorder.ts';
import { createWorkerDb } from '#shared/app/worker-db.ts';
import { systemClock } from '#shared/ids.ts';
import { MetricUnit, metrics } from '#shared/observability/metrics.ts';
import { workerHandler } from '#shared/observability/worker-handler.ts';

/**
 * Server-side product events: the table's stream (filtered to audit INSERTs) → one product event per
 * audited action of a person, recorded with its aggregates. Deployed with `ReportBatchItemFailures`.
 */
const db = createWorkerDb();
const recorder = createProductEventRecorder({
  db,
  clock: systemClock,
  rawEventTtlDays: readProductEnv().PRODUCT_EVENT_TTL_DAYS,
});

export const handler = workerHandler(async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
  let recorded = 0;
  try {
    return await recordAuditActivity(event.Records, {
      recorder,
      onRecorded: () => {
        recorded += 1;
      },
    });
  } finally {
    metrics.addMetric('ServerProductEventsRecorded', MetricUnit.Count, recorded);
  }
});
