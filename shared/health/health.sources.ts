import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Db } from '../db/client.ts';
import { replayKeyCondition, replaySelection } from '../events/replay.ts';
import type { MetricSums } from './health.rules.ts';

/**
 * Where the health figures come from, as interfaces the service takes (the AWS implementations are
 * in health.aws.ts, loaded on first use): CloudWatch metric sums, SQS queue depths, and the outbox
 * in the table.
 */

/** One CloudWatch metric to sum, e.g. AWS/Lambda `Errors` of one function. */
export interface MetricQuery {
  readonly namespace: string;
  readonly metricName: string;
  /** The metric's whole dimension set (CloudWatch tells metrics apart by all their dimensions). */
  readonly dimensions: Readonly<Record<string, string>>;
}

export interface MetricReader {
  /**
   * Each query's sum from `start` to `end`, and over the last hour before `end`; a metric without
   * data sums to 0. Same order as `queries`.
   */
  sums(queries: readonly MetricQuery[], window: { start: Date; end: Date }): Promise<MetricSums[]>;
}

export interface QueueDepth {
  /** ApproximateNumberOfMessages: waiting to be received. */
  readonly visible: number;
  /** ApproximateNumberOfMessagesNotVisible: received, not yet deleted (in flight). */
  readonly inFlight: number;
}

export interface QueueReader {
  depth(queueUrl: string): Promise<QueueDepth>;
}

/** What the outbox holds unpublished, counted up to a bound. */
export interface OutboxBacklog {
  readonly count: number;
  readonly atLeast: boolean;
  /** When the oldest unpublished item was written (ISO), or null when none is. */
  readonly oldestWrittenAt: string | null;
}

/** Unpublished outbox items counted per health check at most (a few Query pages of COUNT). */
export const OUTBOX_COUNT_BOUND = 10_000;

/**
 * The unpublished outbox items (sparse gsi1 `OUTBOX_UNPUBLISHED`, the index the replay reads):
 * the oldest one's time (one item, the index is ordered by write time), and how many (Select
 * COUNT pages, stopping at `bound`: the figure then reads "at least").
 */
export async function readOutboxBacklog(
  db: Db,
  now: Date,
  bound = OUTBOX_COUNT_BOUND,
): Promise<OutboxBacklog> {
  const condition = replayKeyCondition(replaySelection({ now, minAgeSeconds: 0 }));
  const oldest = await db.client.send(
    new QueryCommand({
      TableName: db.tableName,
      IndexName: 'gsi1',
      ...condition,
      ScanIndexForward: true,
      Limit: 1,
      ProjectionExpression: 'gsi1sk',
    }),
  );
  const first = oldest.Items?.[0]?.gsi1sk;
  if (typeof first !== 'string') return { count: 0, atLeast: false, oldestWrittenAt: null };
  let count = 0;
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await db.client.send(
      new QueryCommand({
        TableName: db.tableName,
        IndexName: 'gsi1',
        ...condition,
        Select: 'COUNT',
        Limit: bound - count,
        ExclusiveStartKey: startKey,
      }),
    );
    count += page.Count ?? 0;
    startKey = page.LastEvaluatedKey;
  } while (startKey && count < bound);
  return { count, atLeast: startKey !== undefined, oldestWrittenAt: first.split('#')[0] ?? null };
}
