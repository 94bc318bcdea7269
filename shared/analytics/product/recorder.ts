import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import type { TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { BatchGetCommand, GetCommand, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { Db } from '../../db/client.ts';
import { keys } from '../../db/keys.ts';
import type { Clock } from '../../ids.ts';
import { type ActivityPeriod, dayOf, isoWeekOf, periodEnd, periodsOf, weeksBetween } from './periods.ts';

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** A property value: product events carry flat strings, numbers and booleans only. */
export type PropertyValue = string | number | boolean;

/** One product event, valid and ready to record (the user comes from the caller, never the event). */
export interface ProductEvent {
  /** The client's idempotency key (or `audit-<entryId>` for server-side events). */
  readonly eventId: string;
  readonly name: string;
  readonly occurredAt: Date;
  readonly properties: Readonly<Record<string, PropertyValue>>;
}

/** Where an event came from: the tracking API, or an audited action fed from the table's stream. */
export type ProductEventSource = 'client' | 'server';

export interface RecordOutcome {
  /** The events recorded now, in the order given. */
  readonly accepted: readonly ProductEvent[];
  /** How many events had been recorded before (same id, same tenant and user) or repeat an id of the batch. */
  readonly duplicates: number;
}

export interface ProductEventRecorder {
  /**
   * Records one user's events in one tenant: each raw event with its counts exactly once, then the
   * user's activity in every day, ISO week and month the events fall in. Safe to call again with the
   * same events (a retried batch, a redelivered stream record): duplicates change nothing, and the
   * activity step completes what a crash may have left undone.
   */
  record(
    tenantId: string,
    userId: string,
    events: readonly ProductEvent[],
    source: ProductEventSource,
  ): Promise<RecordOutcome>;
}

export interface ProductEventRecorderDeps {
  readonly db: Db;
  readonly clock: Clock;
  /** Days a raw event is kept before it expires by TTL (its aggregates stay). */
  readonly rawEventTtlDays: number;
}

/** Raw events of one (day, name) group per transaction: 100 items at most, two are the counters. */
const EVENTS_PER_TRANSACTION = 98;
/** Attempts for a transaction that collided with another one on a counter (TransactionConflict). */
const CONFLICT_ATTEMPTS = 6;
/** Activity markers outlive their period by more than the 7 days an event may be backdated. */
const MARKER_GRACE_SECONDS = 8 * 24 * 60 * 60;

const periodCode = (period: ActivityPeriod) => `${period.kind[0]?.toUpperCase()}${period.value}`;
const epochSeconds = (at: Date) => Math.floor(at.getTime() / 1000);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The incremental aggregates of product events (see the table comment in shared/db/keys.ts):
 * per tenant and platform-wide, a count per event name and day, distinct active users per day,
 * ISO week and month (one first-activity marker per user and period), and weekly retention cohorts.
 * Nothing here reads raw events back.
 */
export function createProductEventRecorder(deps: ProductEventRecorderDeps): ProductEventRecorder {
  const { db } = deps;

  const counterUpdate = (key: { pk: string; sk: string }, by: number, attributes: Record<string, string>) => {
    const names: Record<string, string> = { '#count': 'count', '#type': 'type' };
    const values: Record<string, unknown> = { ':by': by, ':type': 'product-aggregate' };
    const sets = ['#type = :type'];
    for (const [name, value] of Object.entries(attributes)) {
      names[`#${name}`] = name;
      values[`:${name}`] = value;
      sets.push(`#${name} = :${name}`);
    }
    return {
      Update: {
        TableName: db.tableName,
        Key: key,
        UpdateExpression: `SET ${sets.join(', ')} ADD #count :by`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      },
    } satisfies TransactItem;
  };

  /**
   * Runs a transaction whose first `guarded` items are conditional puts; returns the indexes of
   * those whose condition failed (already written), or `[]` when it committed.
   */
  const transact = async (items: TransactItem[], guarded: number): Promise<number[]> => {
    for (let attempt = 1; ; attempt++) {
      try {
        await db.client.send(new TransactWriteCommand({ TransactItems: items }));
        return [];
      } catch (error) {
        if (!(error instanceof TransactionCanceledException)) throw error;
        const reasons = error.CancellationReasons ?? [];
        const failed = reasons.flatMap((reason, index) =>
          reason.Code === 'ConditionalCheckFailed' && index < guarded ? [index] : [],
        );
        if (failed.length > 0) return failed;
        if (
          !reasons.some((reason) => reason.Code === 'TransactionConflict') ||
          attempt >= CONFLICT_ATTEMPTS
        ) {
          throw error;
        }
        await sleep(20 * 2 ** attempt * Math.random());
      }
    }
  };

  /** Writes one (day, name) group: the raw events and both counters, each new event counted once. */
  const recordGroup = async (
    tenantId: string,
    userId: string,
    group: ProductEvent[],
    source: ProductEventSource,
  ): Promise<ProductEvent[]> => {
    const now = deps.clock();
    const expires = epochSeconds(now) + deps.rawEventTtlDays * 24 * 60 * 60;
    let pending = group;
    while (pending.length > 0) {
      const first = pending[0] as ProductEvent;
      const day = dayOf(first.occurredAt);
      const puts: TransactItem[] = pending.map((event) => ({
        Put: {
          TableName: db.tableName,
          Item: {
            ...keys.productEvent(tenantId, userId, event.eventId),
            type: 'product-event',
            tenantId,
            userId,
            eventId: event.eventId,
            name: event.name,
            occurredAt: event.occurredAt.toISOString(),
            receivedAt: now.toISOString(),
            properties: event.properties,
            source,
            ttl: expires,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      }));
      const counted = { day, name: first.name };
      const failed = await transact(
        [
          ...puts,
          counterUpdate(keys.productEventCount(tenantId, day, first.name), pending.length, counted),
          counterUpdate(keys.productEventCount(undefined, day, first.name), pending.length, counted),
        ],
        puts.length,
      );
      if (failed.length === 0) return pending;
      const duplicate = new Set(failed);
      pending = pending.filter((_, index) => !duplicate.has(index));
    }
    return [];
  };

  /** The cohort (ISO week of first activity) of the user in a scope, set by the first call. */
  const cohortOf = async (
    tenantId: string | undefined,
    userId: string,
    known: Record<string, unknown> | undefined,
    earliest: Date,
  ): Promise<string> => {
    if (typeof known?.cohortWeek === 'string') return known.cohortWeek;
    const key = keys.productFirstActivity(tenantId, userId);
    const cohortWeek = isoWeekOf(earliest);
    try {
      await db.client.send(
        new PutCommand({
          TableName: db.tableName,
          Item: { ...key, type: 'product-first-activity', cohortWeek, firstAt: earliest.toISOString() },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return cohortWeek;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const { Item } = await db.client.send(
        new GetCommand({ TableName: db.tableName, Key: key, ConsistentRead: true }),
      );
      return typeof Item?.cohortWeek === 'string' ? Item.cohortWeek : cohortWeek;
    }
  };

  /** Counts the user once in each period (and retention cell) of a scope it was not yet counted in. */
  const markActive = async (
    tenantId: string | undefined,
    userId: string,
    period: ActivityPeriod,
    cohortWeek: string,
  ): Promise<void> => {
    const marker = keys.productActivityMarker(tenantId, userId, periodCode(period));
    const items: TransactItem[] = [
      {
        Put: {
          TableName: db.tableName,
          Item: {
            ...marker,
            type: 'product-activity',
            ttl: epochSeconds(periodEnd(period)) + MARKER_GRACE_SECONDS,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      counterUpdate(keys.productActiveUsers(tenantId, period.kind, period.value), 1, {
        kind: period.kind,
        period: period.value,
      }),
    ];
    // Activity before the cohort's week (an event backdated past the first one seen) has no cell.
    if (period.kind === 'week' && weeksBetween(cohortWeek, period.value) >= 0) {
      items.push(
        counterUpdate(keys.productRetentionCell(tenantId, cohortWeek, period.value), 1, {
          cohortWeek,
          week: period.value,
        }),
      );
    }
    await transact(items, 1);
  };

  const recordActivity = async (tenantId: string, userId: string, instants: readonly Date[]) => {
    const periods = periodsOf(instants);
    const earliest = new Date(Math.min(...instants.map((at) => at.getTime())));
    const scopes = [tenantId, undefined] as const;
    const wanted = scopes.flatMap((scope) => [
      keys.productFirstActivity(scope, userId),
      ...periods.map((period) => keys.productActivityMarker(scope, userId, periodCode(period))),
    ]);
    // A hint only (eventually consistent): what it finds is skipped, what it misses is written
    // under a condition, so the common case (active already) costs reads, not writes.
    const found = new Map<string, Record<string, unknown>>();
    let request: Record<string, { Keys: Record<string, unknown>[] }> | undefined = {
      [db.tableName]: { Keys: wanted },
    };
    while (request && Object.keys(request).length > 0) {
      const result = await db.client.send(new BatchGetCommand({ RequestItems: request }));
      for (const item of result.Responses?.[db.tableName] ?? []) found.set(`${item.pk}|${item.sk}`, item);
      request = result.UnprocessedKeys as typeof request;
    }
    const has = (key: { pk: string; sk: string }) => found.get(`${key.pk}|${key.sk}`);

    await Promise.all(
      scopes.map(async (scope) => {
        const cohortWeek = await cohortOf(
          scope,
          userId,
          has(keys.productFirstActivity(scope, userId)),
          earliest,
        );
        await Promise.all(
          periods
            .filter((period) => !has(keys.productActivityMarker(scope, userId, periodCode(period))))
            .map((period) => markActive(scope, userId, period, cohortWeek)),
        );
      }),
    );
  };

  return {
    async record(tenantId, userId, events, source) {
      const unique = new Map<string, ProductEvent>();
      for (const event of events) if (!unique.has(event.eventId)) unique.set(event.eventId, event);
      const groups = new Map<string, ProductEvent[]>();
      for (const event of unique.values()) {
        const key = `${dayOf(event.occurredAt)}|${event.name}`;
        const group = groups.get(key) ?? [];
        group.push(event);
        groups.set(key, group);
      }
      const chunks = [...groups.values()].flatMap((group) => {
        const parts: ProductEvent[][] = [];
        for (let i = 0; i < group.length; i += EVENTS_PER_TRANSACTION) {
          parts.push(group.slice(i, i + EVENTS_PER_TRANSACTION));
        }
        return parts;
      });
      const written = new Set(
        (await Promise.all(chunks.map((chunk) => recordGroup(tenantId, userId, chunk, source))))
          .flat()
          .map((event) => event.eventId),
      );
      // Duplicates too: a retry completes the activity a crash after the raw write left undone.
      if (unique.size > 0) {
        await recordActivity(
          tenantId,
          userId,
          [...unique.values()].map((event) => event.occurredAt),
        );
      }
      return {
        accepted: [...unique.values()].filter((event) => written.has(event.eventId)),
        duplicates: events.length - written.size,
      };
    },
  };
}
