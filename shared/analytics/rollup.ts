import { randomUUID } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import type { Db } from '../db/client.ts';
import { keys } from '../db/keys.ts';
import { type Clock, systemClock } from '../ids.ts';
import { withAllMovementTypes } from './metrics.ts';
import type { Movement } from './movements.ts';
import { movementFromItem } from './mrr-ledger.ts';
import { type MetricsSnapshot, nextDay, previousDay, rollDay } from './snapshot.ts';

/**
 * The metrics rollup: turns days of movements into daily snapshots. It reads only what changed:
 * the dirty-day markers (one query), the latest snapshot before the first day to compute (one
 * query), and per month of the computed days those days' movements (one query); never tenants or
 * subscriptions.
 *
 * Which days: from the earliest of (a) the day after the latest snapshot and (b) the earliest dirty
 * day, through the day asked for. Every movement marks its day dirty in its own transaction, so a
 * movement that arrives late for a day already rolled up makes the next run recompute from that day
 * forward. A dirty marker is removed only if it is still the one read before the day's movements
 * were, so a movement recorded during a run keeps its day dirty for the next.
 */

export interface RollupDeps {
  readonly db: Db;
  /** @default systemClock (for the lease's expiry) */
  readonly clock?: Clock;
}

/** Longer than the function may run (5 minutes), so a lease outlives its run unless it crashed. */
const LEASE_SECONDS = 10 * 60;

/** Another run holds the lease: this one does nothing (the scheduler retries it). */
export class RollupBusyError extends Error {
  constructor(until: string) {
    super(`Another metrics rollup is running (its lease ends by ${until}); try again later.`);
    this.name = 'RollupBusyError';
  }
}

/**
 * Runs `work` holding the rollup's lease. Two runs that interleaved could write an older snapshot
 * over a newer one after the newer run had cleared the day's dirty marker, so runs never overlap.
 */
async function withLease<T>(deps: RollupDeps, work: () => Promise<T>): Promise<T> {
  const { db } = deps;
  const now = (deps.clock ?? systemClock)();
  const holder = randomUUID();
  const expiresAt = new Date(now.getTime() + LEASE_SECONDS * 1000).toISOString();
  try {
    await db.client.send(
      new PutCommand({
        TableName: db.tableName,
        Item: { ...keys.metricsRollupLease(), type: 'rollup-lease', holder, expiresAt },
        ConditionExpression: 'attribute_not_exists(pk) OR expiresAt < :now',
        ExpressionAttributeValues: { ':now': now.toISOString() },
      }),
    );
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) throw new RollupBusyError(expiresAt);
    throw error;
  }
  try {
    return await work();
  } finally {
    await db.client
      .send(
        new DeleteCommand({
          TableName: db.tableName,
          Key: keys.metricsRollupLease(),
          ConditionExpression: 'holder = :holder',
          ExpressionAttributeValues: { ':holder': holder },
        }),
      )
      .catch((error: unknown) => {
        // Expired and taken by another run: that run releases its own.
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      });
  }
}

export interface RollupResult {
  /** The first and last day computed (null when nothing was computed). */
  readonly from: string | null;
  readonly through: string;
  readonly days: number;
  readonly movements: number;
  /** Items read from the table (the figure the benchmark watches). */
  readonly itemsRead: number;
}

interface DirtyDay {
  readonly day: string;
  readonly markedAt: string;
}

async function queryAll(
  db: Db,
  input: Omit<ConstructorParameters<typeof QueryCommand>[0], 'TableName' | 'ExclusiveStartKey'>,
): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await db.client.send(
      new QueryCommand({ ...input, TableName: db.tableName, ExclusiveStartKey: start }),
    );
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

/** The movements dated `day`, in time order. */
export async function movementsOfDay(db: Db, day: string): Promise<Movement[]> {
  const range = keys.mrrMovementsOfDay(day);
  const items = await queryAll(db, {
    KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
    ExpressionAttributeValues: { ':pk': range.pk, ':from': range.skFrom, ':to': range.skTo },
    ConsistentRead: true,
  });
  return items.map(movementFromItem);
}

/** The movements dated `from` through `to` (inclusive days of one month), in time order. */
async function movementsBetween(db: Db, from: string, to: string): Promise<Movement[]> {
  const first = keys.mrrMovementsOfDay(from);
  const last = keys.mrrMovementsOfDay(to);
  if (first.pk !== last.pk) throw new Error(`movementsBetween: ${from} and ${to} are in different months`);
  const items = await queryAll(db, {
    KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
    ExpressionAttributeValues: { ':pk': first.pk, ':from': first.skFrom, ':to': last.skTo },
    ConsistentRead: true,
  });
  return items.map(movementFromItem);
}

function snapshotFromItem(item: Record<string, unknown>): MetricsSnapshot {
  const { pk: _pk, sk: _sk, type: _type, ...stored } = item;
  const snapshot = stored as unknown as MetricsSnapshot;
  // Snapshots rolled up before comps existed hold no comp sums: they were 0.
  return {
    ...snapshot,
    dayMovements: withAllMovementTypes(snapshot.dayMovements),
    month: { ...snapshot.month, sums: withAllMovementTypes(snapshot.month.sums) },
  };
}

/** The snapshot of one day, if it was rolled up. */
export async function readSnapshot(db: Db, day: string): Promise<MetricsSnapshot | undefined> {
  const { Item } = await db.client.send(
    new GetCommand({ TableName: db.tableName, Key: keys.metricsSnapshot(day), ConsistentRead: true }),
  );
  return Item ? snapshotFromItem(Item) : undefined;
}

/** The snapshots of the days from `from` through `to` (inclusive), in day order. */
export async function readSnapshots(db: Db, from: string, to: string): Promise<MetricsSnapshot[]> {
  const items = await queryAll(db, {
    KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
    ExpressionAttributeValues: { ':pk': keys.metricsSnapshots().pk, ':from': from, ':to': to },
  });
  return items.map(snapshotFromItem);
}

async function latestSnapshotBefore(db: Db, day: string): Promise<MetricsSnapshot | undefined> {
  const { Items = [] } = await db.client.send(
    new QueryCommand({
      TableName: db.tableName,
      KeyConditionExpression: 'pk = :pk AND sk < :day',
      ExpressionAttributeValues: { ':pk': keys.metricsSnapshots().pk, ':day': day },
      ScanIndexForward: false,
      Limit: 1,
      ConsistentRead: true,
    }),
  );
  const [item] = Items;
  return item ? snapshotFromItem(item) : undefined;
}

async function dirtyDaysThrough(db: Db, day: string): Promise<DirtyDay[]> {
  const items = await queryAll(db, {
    KeyConditionExpression: 'pk = :pk AND sk <= :day',
    ExpressionAttributeValues: { ':pk': keys.metricsDirtyDays().pk, ':day': day },
    ConsistentRead: true,
  });
  return items.map((item) => ({ day: String(item.day), markedAt: String(item.markedAt) }));
}

async function clearDirty(db: Db, dirty: DirtyDay): Promise<void> {
  try {
    await db.client.send(
      new DeleteCommand({
        TableName: db.tableName,
        Key: keys.metricsDirtyDay(dirty.day),
        ConditionExpression: 'markedAt = :markedAt',
        ExpressionAttributeValues: { ':markedAt': dirty.markedAt },
      }),
    );
  } catch (error) {
    // Marked again meanwhile: a movement came in during this run; the next run takes it.
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
  }
}

/** BatchWriteItem takes at most 25 items per call. */
const WRITE_BATCH = 25;

/** Writes the snapshots (plain puts: a re-run writes the same), 25 per call, retrying what is left. */
async function writeSnapshots(db: Db, snapshots: readonly MetricsSnapshot[]): Promise<void> {
  for (let i = 0; i < snapshots.length; i += WRITE_BATCH) {
    let request: Record<string, { PutRequest: { Item: Record<string, unknown> } }[]> | undefined = {
      [db.tableName]: snapshots.slice(i, i + WRITE_BATCH).map((snapshot) => ({
        PutRequest: {
          Item: { ...keys.metricsSnapshot(snapshot.day), type: 'metrics-snapshot', ...snapshot },
        },
      })),
    };
    while (request && Object.keys(request).length > 0) {
      const result = await db.client.send(new BatchWriteCommand({ RequestItems: request }));
      request = result.UnprocessedItems as typeof request;
    }
  }
}

/** The last day of the month of `day`. */
function lastDayOfMonth(day: string): string {
  const date = new Date(`${day}T00:00:00.000Z`);
  return new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 0)).toISOString().slice(0, 10);
}

/**
 * Rolls up through `through` (a UTC day): recomputes from the earliest day that needs it, or from
 * `from` when given (a backfill), one day after the other, each from the one before. One run at a
 * time: a run that finds another holding the lease throws {@link RollupBusyError}.
 */
export function rollUpThrough(
  deps: RollupDeps,
  through: string,
  options: { readonly from?: string } = {},
): Promise<RollupResult> {
  return withLease(deps, () => rollUp(deps, through, options));
}

async function rollUp(
  deps: RollupDeps,
  through: string,
  options: { readonly from?: string },
): Promise<RollupResult> {
  const { db } = deps;
  let itemsRead = 0;
  const dirty = await dirtyDaysThrough(db, through);
  itemsRead += Math.max(1, dirty.length);

  const latest = await latestSnapshotBefore(db, nextDay(through));
  itemsRead += 1;
  const candidates = [
    ...(options.from ? [options.from] : []),
    ...dirty.map((marker) => marker.day),
    latest ? nextDay(latest.day) : through,
  ];
  // ISO days sort as strings: the first is the earliest.
  const [from = through] = [...candidates].sort();
  if (from > through) return { from: null, through, days: 0, movements: 0, itemsRead };

  let previous =
    latest && latest.day === previousDay(from) ? latest : await readSnapshot(db, previousDay(from));
  if (!(latest && latest.day === previousDay(from))) itemsRead += 1;
  let days = 0;
  let movementCount = 0;
  // A month at a time: one query for the month's movements in the range, its days rolled one after
  // the other, their snapshots written in batches. A backfill of a year is a few dozen calls.
  for (let monthStart = from; monthStart <= through; ) {
    const monthEnd = [lastDayOfMonth(monthStart), through].sort()[0] ?? through;
    const movements = await movementsBetween(db, monthStart, monthEnd);
    itemsRead += Math.max(1, movements.length);
    movementCount += movements.length;
    const byDay = Map.groupBy(movements, (movement) => movement.day);
    const snapshots: MetricsSnapshot[] = [];
    for (let day = monthStart; day <= monthEnd; day = nextDay(day)) {
      const snapshot = rollDay(previous, day, byDay.get(day) ?? []);
      snapshots.push(snapshot);
      previous = snapshot;
      days += 1;
    }
    await writeSnapshots(db, snapshots);
    monthStart = nextDay(monthEnd);
  }
  for (const marker of dirty) if (marker.day >= from) await clearDirty(db, marker);
  return { from, through, days, movements: movementCount, itemsRead };
}
