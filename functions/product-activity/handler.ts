import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import * as z from 'zod';
import { recordAuditActivity } from '#shared/analytics/product/audit-activity.ts';
import { readProductEnv } from '#shared/analytics/product/product.env.ts';
import { createProductEventRecorder } from '#shared/analytics/product/recorder.ts';
import { createDocumentClient } from '#shared/db/client.ts';
import { systemClock } from '#shared/ids.ts';
import { MetricUnit, metrics } from '#shared/observability/metrics.ts';
import { workerHandler } from '#shared/observability/worker-handler.ts';

/**
 * Server-side product events: the table's stream (filtered to audit INSERTs) → one product event per
 * audited action of a person, recorded with its aggregates. Deployed with `ReportBatchItemFailures`.
 */
const env = z
  .object({
    TABLE_NAME: z.string().min(1),
    AWS_REGION: z.string().min(1).default('us-east-1'),
    AWS_ENDPOINT_URL: z.url().optional(),
  })
  .parse(process.env);
const db = {
  client: createDocumentClient({ region: env.AWS_REGION, endpoint: env.AWS_ENDPOINT_URL }),
  tableName: env.TABLE_NAME,
};
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
