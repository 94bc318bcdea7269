import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { readWarehouseEnv } from '#shared/analytics/product/product.env.ts';
import { handleProductStream } from '#shared/analytics/product/product-stream.ts';
import { createProductEventRecorder } from '#shared/analytics/product/recorder.ts';
import type { ProductEventSink } from '#shared/analytics/product/warehouse.ts';
import { deferred } from '#shared/app/deferred.ts';
import { createWorkerDb } from '#shared/app/worker-db.ts';
import { markAuditDays } from '#shared/audit/audit-digest.ts';
import { systemClock } from '#shared/ids.ts';
import { logger } from '#shared/observability/logger.ts';
import { productMetricNames } from '#shared/observability/metric-names.ts';
import { MetricUnit, metrics } from '#shared/observability/metrics.ts';
import { traceClient } from '#shared/observability/tracer.ts';
import { workerHandler } from '#shared/observability/worker-handler.ts';

/**
 * The product side of the table's stream (filtered to audit and raw product event INSERTs): each
 * audited action of a person → a product event recorded with its aggregates; each raw product event
 * → a line in the warehouse (Amazon Data Firehose → S3); and each audit entry's tenant-day marked due
 * for the audit digest (shared/audit/audit-digest.ts). Deployed with `ReportBatchItemFailures`.
 */
const env = readWarehouseEnv();
const db = createWorkerDb();
const recorder = createProductEventRecorder({
  db,
  clock: systemClock,
  rawEventTtlDays: env.PRODUCT_EVENT_TTL_DAYS,
});

// The Firehose client is loaded with the first batch that carries raw events, not at cold start.
const sink = deferred<ProductEventSink>(async () => {
  const [{ FirehoseClient }, { createFirehoseSink }] = await Promise.all([
    import('@aws-sdk/client-firehose'),
    import('#shared/analytics/product/firehose-sink.ts'),
  ]);
  return createFirehoseSink({
    client: traceClient(new FirehoseClient({ region: env.AWS_REGION })),
    deliveryStreamName: env.PRODUCT_WAREHOUSE_STREAM,
  });
});

export const handler = workerHandler(async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
  let recorded = 0;
  let delivered = 0;
  let failed = 0;
  try {
    return await handleProductStream(event.Records, {
      recorder,
      sink,
      markAuditDays: (records) => markAuditDays(records, { db }),
      onRecorded: () => {
        recorded += 1;
      },
      onDelivered: (count) => {
        delivered += count;
      },
      onDeliveryFailure: (error, count) => {
        failed += count;
        logger.error('Raw product events not delivered to the warehouse; the stream retries them', {
          error,
          count,
        });
      },
    });
  } finally {
    metrics.addMetric('ServerProductEventsRecorded', MetricUnit.Count, recorded);
    metrics.addMetric(productMetricNames.warehouseEventsDelivered, MetricUnit.Count, delivered);
    metrics.addMetric(productMetricNames.warehouseDeliveryFailures, MetricUnit.Count, failed);
  }
});
