import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBRecord } from 'aws-lambda';
import { eventNameSchema } from './product.schema.ts';
import type { ProductEvent, ProductEventRecorder } from './recorder.ts';

/**
 * Server-side product events: every audited action of a person also counts as a product event for
 * that person, so feature use does not depend on clients sending it. Fed from the audit items on the
 * table's stream by a consumer of its own (functions/product-activity, see ./product-stream.ts),
 * beside the outbox publisher.
 */

/** Actor ids that are not people: Stripe's webhooks and the system's own jobs. */
export const serviceActorIds: ReadonlySet<string> = new Set(['stripe', 'system']);

/** One person's action in one tenant, as a product event. */
export interface AuditActivity {
  readonly tenantId: string;
  readonly userId: string;
  readonly event: ProductEvent;
}

/**
 * The product event of an audit item, or undefined when the item is not an audit entry of a
 * tenant, or its actor is not a person acting for themselves: Stripe, the system (service actor
 * ids), operators (`actorKind: 'operator'`, written by the admin API) and operators impersonating
 * the actor (`actorKind: 'impersonation'`) do not count as activity.
 * `project.created` becomes `project_created`, `member.role-changed` becomes `member_role_changed`.
 */
export function activityOfAuditItem(item: Record<string, unknown>): AuditActivity | undefined {
  if (item.type !== 'audit' || item.actorKind !== undefined) return undefined;
  const { tenantId, entryId, at, action, actor, target } = item as {
    tenantId?: unknown;
    entryId?: unknown;
    at?: unknown;
    action?: unknown;
    actor?: { userId?: unknown };
    target?: { type?: unknown };
  };
  const userId = actor?.userId;
  if (typeof tenantId !== 'string' || typeof entryId !== 'string' || typeof at !== 'string') return undefined;
  if (typeof userId !== 'string' || serviceActorIds.has(userId) || typeof action !== 'string')
    return undefined;
  const name = eventNameSchema().safeParse(action.replace(/[.-]/g, '_'));
  const occurredAt = new Date(at);
  if (!name.success || Number.isNaN(occurredAt.getTime())) return undefined;
  return {
    tenantId,
    userId,
    event: {
      eventId: `audit-${entryId}`,
      name: name.data,
      occurredAt,
      properties: typeof target?.type === 'string' ? { targetType: target.type } : {},
    },
  };
}

/** The activity of a stream record: an INSERT of an audit item by a person; undefined otherwise. */
export function activityOfRecord(record: DynamoDBRecord): AuditActivity | undefined {
  if (record.eventName !== 'INSERT') return undefined;
  const image = record.dynamodb?.NewImage;
  if (!image) return undefined;
  return activityOfAuditItem(unmarshall(image as Record<string, AttributeValue>));
}

/**
 * Records the product events of a batch of stream records, one by one (Powertools'
 * BatchProcessor reports the failed ones, so Lambda retries from the first). Redelivery is safe:
 * the recorder dedupes by event id (`audit-<entryId>`).
 */
export async function recordAuditActivity(
  records: readonly DynamoDBRecord[],
  deps: { recorder: ProductEventRecorder; onRecorded?: (activity: AuditActivity) => void },
): Promise<DynamoDBBatchResponse> {
  return processPartialResponse(
    { Records: [...records] },
    async (record: DynamoDBRecord) => {
      const activity = activityOfRecord(record);
      if (!activity) return;
      await deps.recorder.record(activity.tenantId, activity.userId, [activity.event], 'server');
      deps.onRecorded?.(activity);
    },
    new BatchProcessor(EventType.DynamoDBStreams),
    // One at a time: a person's actions often come in a row (tenant created, customer created), and
    // in parallel their first-activity markers would race each other (cancelled transactions).
    { throwOnFullBatchFailure: false, processInParallel: false },
  );
}
