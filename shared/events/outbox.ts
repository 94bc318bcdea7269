import type { Db } from '../db/client.ts';
import { keys } from '../db/keys.ts';
import type { TransactStep } from '../db/transact.ts';
import type { DomainEvent } from './subscription-events.ts';

/** Published outbox items expire after a week; the stream has already carried them to the publisher. */
const OUTBOX_TTL_SECONDS = 7 * 24 * 60 * 60;

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
  readonly ttl: number;
}

/**
 * The outbox step of a state change's transaction: the event is stored with the change or not at
 * all, and the stream-driven publisher puts it on the bus (at least once; consumers dedupe by
 * `detail.eventId`).
 */
export function outboxStep(db: Db, event: DomainEvent, now: Date): TransactStep {
  const { eventId, tenantId, occurredAt } = event.detail;
  const item: OutboxItem = {
    ...keys.outbox(tenantId, eventId),
    type: 'outbox',
    eventId,
    tenantId,
    source: event.source,
    detailType: event.detailType,
    detail: JSON.stringify(event.detail),
    occurredAt,
    ttl: Math.floor(now.getTime() / 1000) + OUTBOX_TTL_SECONDS,
  };
  return {
    item: { Put: { TableName: db.tableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' } },
  };
}

/** Recognises an outbox item in a stream record's new image (already unmarshalled). */
export function isOutboxItem(
  item: Record<string, unknown> | undefined,
): item is Record<string, unknown> & OutboxItem {
  return item?.type === 'outbox' && typeof item.detail === 'string' && typeof item.detailType === 'string';
}
