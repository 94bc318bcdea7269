import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { createDocumentClient } from '#shared/db/client.ts';
import { publishOutboxRecords, readPublisherEnv } from '#shared/events/publisher.ts';
import { systemClock } from '#shared/ids.ts';
import { logger } from '#shared/observability/logger.ts';
import { eventMetricNames, MetricUnit, metrics } from '#shared/observability/metrics.ts';
import { traceClient } from '#shared/observability/tracer.ts';
import { workerHandler } from '#shared/observability/worker-handler.ts';

/**
 * The outbox publisher: the table's stream (filtered to outbox INSERTs) → PutEvents on the bus, and
 * each published item's unpublished mark cleared. Deployed with `ReportBatchItemFailures`, so the
 * records it returns are retried, not the batch; every failure is counted in EMF
 * (`OutboxPublishFailures`, alarmed in the events stack).
 */
const env = readPublisherEnv();
const eventBridge = traceClient(
  new EventBridgeClient({ region: env.AWS_REGION, endpoint: env.AWS_ENDPOINT_URL }),
);
const db = {
  client: createDocumentClient({ region: env.AWS_REGION, endpoint: env.AWS_ENDPOINT_URL }),
  tableName: env.TABLE_NAME,
};

export const handler = workerHandler(async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
  let published = 0;
  let failed = 0;
  try {
    return await publishOutboxRecords(event.Records, {
      eventBridge,
      eventBusName: env.EVENT_BUS_NAME,
      db,
      clock: systemClock,
      onPublished: () => {
        published += 1;
      },
      onFailure: (failure) => {
        failed += 1;
        logger.error('outbox event not published; the stream will retry it', { ...failure });
      },
    });
  } finally {
    metrics.addMetric(eventMetricNames.outboxEventsPublished, MetricUnit.Count, published);
    metrics.addMetric(eventMetricNames.outboxPublishFailures, MetricUnit.Count, failed);
  }
});
