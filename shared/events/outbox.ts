import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { readRetention, ttlAfterDays } from '../config/retention.ts';
import type { Db } from '../db/client.ts';
import { keys } from '../db/keys.ts';
import type { TransactStep } from '../db/transact.ts';
import type { DomainEvent } from './subscription-events.ts';

/*
 * Published outbox items expire `OUTBOX_RETENTION_DAYS` (a week by default, per stage) after
 * EventBridge accepted their event (the TTL is set when the unpublished mark is cleared). An item
 * that never reached the bus has no TTL: it stays, marked, until `npm run outbox:replay` publishes it.
 */

/** The stored outbox item: what the stream publisher reads from the NEW_IMAGE of an INSERT. */
export interface OutboxItem {
  readonly pk: string;
  readonly sk: string;
  readonly type: 'outbox';
  readonly eventId: string;
  readonly tenantId: string;
  readonly source: string;
  readonly detailType: string;
  /** JSON of the detail, as put on the bus. */
  readonly detail: string;
  readonly occurredAt: string;
  /** When the outbox item was written (the transaction's clock); orders the unpublished index. */
  readonly writtenAt: string;
  /** The unpublished mark (`keys.outboxUnpublished`): present until EventBridge accepted the event. */
  readonly gsi1pk?: string;
  readonly gsi1sk?: string;
  /** Set when the mark is cleared. */
  readonly ttl?: number;
  readonly publishedAt?: string;
}

/**
 * The outbox step of a state change's transaction: the event is stored with the change or not at
 * all, marked unpublished, and the stream-driven publisher puts it on the bus and clears the mark
 * (at least once; consumers dedupe by `detail.eventId`).
 */
export function outboxStep(db: Db, event: DomainEvent, now: Date): TransactStep {
  const { eventId, tenantId, occurredAt } = event.detail;
  const writtenAt = now.toISOString();
  const item: OutboxItem = {
    ...keys.outbox(tenantId, eventId),
    ...keys.outboxUnpublished(writtenAt, eventId),
    type: 'outbox',
    eventId,
    tenantId,
    source: event.source,
    detailType: event.detailType,
    detail: JSON.stringify(event.detail),
    occurredAt,
    writtenAt,
  };
  return {
    item: { Put: { TableName: db.tableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' } },
  };
}

/** Recognises an outbox item in a stream record's new image or a query result (already unmarshalled). */
export function isOutboxItem(
  item: Record<string, unknown> | undefined,
): item is Record<string, unknown> & OutboxItem {
  return (
    item?.type === 'outbox' &&
    typeof item.detail === 'string' &&
    typeof item.detailType === 'string' &&
    typeof item.eventId === 'string' &&
    typeof item.tenantId === 'string'
  );
}

/**
 * Clears an outbox item's unpublished mark once EventBridge accepted its event, and starts its TTL.
 * Conditional on the mark, so it never recreates a deleted item nor rewrites a cleared one: returns
 * false when there was no mark to clear (published before, by the stream or a replay).
 */
export async function clearUnpublishedMark(
  db: Db,
  item: Pick<OutboxItem, 'tenantId' | 'eventId'>,
  now: Date,
): Promise<boolean> {
  try {
    await db.client.send(
      new UpdateCommand({
        TableName: db.tableName,
        Key: keys.outbox(item.tenantId, item.eventId),
        UpdateExpression: 'REMOVE gsi1pk, gsi1sk SET #ttl = :ttl, publishedAt = :now',
        ConditionExpression: 'gsi1pk = :unpublished',
        ExpressionAttributeNames: { '#ttl': 'ttl' },
        ExpressionAttributeValues: {
          ':unpublished': keys.outboxUnpublished('', item.eventId).gsi1pk,
          ':ttl': ttlAfterDays(now, readRetention().OUTBOX_RETENTION_DAYS),
          ':now': now.toISOString(),
        },
      }),
    );
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}
