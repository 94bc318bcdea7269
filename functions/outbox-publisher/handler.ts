import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { publisherEnvSchema, publishOutboxRecords } from '#shared/events/publisher.ts';
import { logger } from '#shared/observability/logger.ts';

/**
 * The outbox publisher: the table's stream (filtered to outbox INSERTs) → PutEvents on the bus.
 * Deployed with `ReportBatchItemFailures`, so the records it returns are retried, not the batch.
 */
const env = publisherEnvSchema.parse(process.env);
const eventBridge = new EventBridgeClient({ region: env.AWS_REGION, endpoint: env.AWS_ENDPOINT_URL });

export const handler = async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> =>
  publishOutboxRecords(event.Records, {
    eventBridge,
    eventBusName: env.EVENT_BUS_NAME,
    onFailure: (failure) =>
      logger.error('outbox event not published; the stream will retry it', { ...failure }),
  });
