import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { Db } from '../../db/client.ts';
import { keys } from '../../db/keys.ts';
import type { TransactStep } from '../../db/transact.ts';
import type { StripeEvent } from './stripe-objects.ts';
import { DuplicateEventError } from './webhook.errors.ts';

/** How long a processed event id is remembered: past Stripe's 3 days of retries and 30 days of resends. */
const EVENT_RECORD_TTL_SECONDS = 90 * 24 * 60 * 60;

/** The processed-event record: written with the event's changes, on condition that it is new. */
export function eventRecordStep(
  db: Db,
  event: StripeEvent,
  tenantId: string | null,
  summary: string,
  now: Date,
): TransactStep {
  return {
    item: {
      Put: {
        TableName: db.tableName,
        Item: {
          ...keys.stripeEvent(event.id),
          type: 'stripe-event',
          eventId: event.id,
          eventType: event.type,
          created: event.created,
          tenantId,
          summary,
          processedAt: now.toISOString(),
          ttl: Math.floor(now.getTime() / 1000) + EVENT_RECORD_TTL_SECONDS,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    },
    onConditionFailed: () => new DuplicateEventError(event.id),
  };
}

/** Whether the event's record exists (a strongly consistent read of its key). */
export async function alreadyProcessed(db: Db, eventId: string): Promise<boolean> {
  const { Item } = await db.client.send(
    new GetCommand({
      TableName: db.tableName,
      Key: keys.stripeEvent(eventId),
      ConsistentRead: true,
      ProjectionExpression: 'pk',
    }),
  );
  return Item !== undefined;
}
