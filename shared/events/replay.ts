import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Db } from '../db/client.ts';
import { keys } from '../db/keys.ts';
import { clearUnpublishedMark, isOutboxItem, type OutboxItem } from './outbox.ts';
import { describeError } from './publisher.ts';
import { createEventPutter, outboxEntry } from './put-events.ts';

/**
 * Outbox items younger than this are left to the stream publisher, which normally publishes them
 * within a second: a replay that took them too would only publish them twice.
 */
export const DEFAULT_REPLAY_MIN_AGE_SECONDS = 60;

/** Unpublished items read per query page (and put on the bus before the next page is read). */
const REPLAY_PAGE_SIZE = 100;

export interface ReplaySelectionOptions {
  /** Only items written at or after this time. @default the beginning */
  readonly from?: Date | undefined;
  /** Now, as the replay sees it. */
  readonly now: Date;
  /** Only items at least this old. @default DEFAULT_REPLAY_MIN_AGE_SECONDS */
  readonly minAgeSeconds?: number | undefined;
}

/** Which unpublished outbox items a replay takes: the gsi1 key range it queries. */
export interface ReplaySelection {
  readonly gsi1pk: string;
  /** Inclusive lower bound of gsi1sk (`<writtenAt>#<eventId>`); none without `from`. */
  readonly gsi1skFrom: string | undefined;
  /** Exclusive upper bound of gsi1sk: items written before `now - minAge`. */
  readonly gsi1skBefore: string;
  /** The times the bounds stand for, for the report. */
  readonly writtenFrom: string | undefined;
  readonly writtenBefore: string;
}

/**
 * The replay's selection: unpublished items written from `from` (or ever) until `minAgeSeconds`
 * before `now`. Throws on a `from` that is not before that bound, or a negative minimum age.
 */
export function replaySelection({
  from,
  now,
  minAgeSeconds = DEFAULT_REPLAY_MIN_AGE_SECONDS,
}: ReplaySelectionOptions): ReplaySelection {
  if (!Number.isFinite(minAgeSeconds) || minAgeSeconds < 0) {
    throw new RangeError(`The minimum age must be a number of seconds >= 0, got ${minAgeSeconds}.`);
  }
  const before = new Date(now.getTime() - minAgeSeconds * 1000).toISOString();
  const fromIso = from?.toISOString();
  if (fromIso !== undefined && fromIso >= before) {
    throw new RangeError(
      `--from ${fromIso} is not before ${before} (now minus the minimum age): nothing to replay.`,
    );
  }
  const range = keys.outboxUnpublishedBetween(fromIso, before);
  return {
    gsi1pk: range.gsi1pk,
    gsi1skFrom: range.gsi1skFrom,
    gsi1skBefore: range.gsi1skBefore,
    writtenFrom: fromIso,
    writtenBefore: before,
  };
}

/** The Query key condition of a selection (a key must be non-empty, so no lower bound without `from`). */
export function replayKeyCondition(selection: ReplaySelection) {
  return selection.gsi1skFrom === undefined
    ? {
        KeyConditionExpression: 'gsi1pk = :pk AND gsi1sk < :before',
        ExpressionAttributeValues: { ':pk': selection.gsi1pk, ':before': selection.gsi1skBefore },
      }
    : {
        KeyConditionExpression: 'gsi1pk = :pk AND gsi1sk BETWEEN :from AND :before',
        ExpressionAttributeValues: {
          ':pk': selection.gsi1pk,
          ':from': selection.gsi1skFrom,
          ':before': selection.gsi1skBefore,
        },
      };
}

export interface ReplayDeps {
  readonly db: Db;
  readonly eventBridge: Pick<EventBridgeClient, 'send'>;
  readonly eventBusName: string;
  readonly clock: () => Date;
}

/** One item the replay could not publish (it stays marked for the next replay). */
export interface ReplayFailure {
  readonly eventId: string;
  readonly tenantId: string;
  readonly errorCode: string;
  readonly errorMessage: string | undefined;
}

export interface ReplayResult {
  readonly selection: ReplaySelection;
  /** Unpublished items the index listed in the selection. */
  readonly found: number;
  /** Events EventBridge accepted (their marks are cleared). */
  readonly published: number;
  readonly failed: readonly ReplayFailure[];
}

/**
 * Republishes the outbox items that never reached the bus: Queries the unpublished index (gsi1
 * `OUTBOX_UNPUBLISHED`, never a Scan) for the selection, page by page, puts each page's events on
 * the bus ten per PutEvents call, and clears the mark of every event EventBridge accepted, the way
 * the stream publisher does (conditional UpdateItem REMOVE). Safe to run at any time and twice:
 * an event already published by the stream, or by a replay running at the same moment, is
 * published once more at most, and consumers dedupe by `detail.eventId`.
 */
export async function replayUnpublishedOutbox(
  deps: ReplayDeps,
  options: Omit<ReplaySelectionOptions, 'now'>,
): Promise<ReplayResult> {
  const selection = replaySelection({ ...options, now: deps.clock() });
  const putter = createEventPutter(deps.eventBridge);
  let found = 0;
  let published = 0;
  const failed: ReplayFailure[] = [];
  let exclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await deps.db.client.send(
      new QueryCommand({
        TableName: deps.db.tableName,
        IndexName: 'gsi1',
        ...replayKeyCondition(selection),
        Limit: REPLAY_PAGE_SIZE,
        ExclusiveStartKey: exclusiveStartKey,
      }),
    );
    const items = (page.Items ?? []).filter((item): item is OutboxItem & Record<string, unknown> =>
      isOutboxItem(item),
    );
    found += items.length;
    await Promise.all(
      items.map(async (item) => {
        try {
          await putter.put(outboxEntry(item, deps.eventBusName));
          published += 1;
          await clearUnpublishedMark(deps.db, item, deps.clock());
        } catch (error) {
          failed.push({ eventId: item.eventId, tenantId: item.tenantId, ...describeError(error) });
        }
      }),
    );
    exclusiveStartKey = page.LastEvaluatedKey;
  } while (exclusiveStartKey);
  return { selection, found, published, failed };
}

/**
 * The SSM parameter (String) the events stack writes with the stage's table name, so that
 * `npm run outbox:replay -- --stage <stage>` finds the table CloudFormation named.
 */
export function tableNameParameterFor(stage: string): string {
  return `/plinth/${stage}/table-name`;
}
