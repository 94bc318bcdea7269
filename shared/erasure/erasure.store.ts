import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Db } from '../db/client.ts';
import { type CursorBinding, decodeCursor, encodeCursor } from '../db/cursor.ts';
import { keys } from '../db/keys.ts';
import { type TransactStep, transactWrite } from '../db/transact.ts';
import { plannedSteps, stepsOf } from './erasure.plan.ts';
import type { ErasureReport, ErasureStep } from './erasure.schema.ts';

/**
 * The erasure report item (`ERASURE#<id> REPORT`) is both the report operators read and the
 * erasure's progress: `steps.<name>` records a finished step (written once, conditionally), and
 * `progress.<step>.<kind>` counts what each batch did, SET in the batch's own transaction, so a
 * crash never counts a batch that did not happen nor loses one that did. The personal inputs the
 * run needs live in a separate `WORK` item: the email leaves it with the last step that reads it,
 * the rest (user id, tenant ids) when the erasure completes.
 */

export interface UserWork {
  readonly kind: 'user';
  readonly userId: string;
  /**
   * The person's email, lower-cased: only until the last step that reads it finishes
   * (erasure.plan.ts `stepsUsingEmail`), removed in the write that records that step.
   */
  readonly email?: string | undefined;
  /** The tenants the user belonged to when the erasure was asked for. */
  readonly tenantIds: readonly string[];
  /** The earliest time the user may have data (profile creation): NPS months are read from here. */
  readonly since: string;
}

export interface TenantWork {
  readonly kind: 'tenant';
  readonly tenantId: string;
  readonly slug: string;
  readonly since: string;
}

export type ErasureWork = UserWork | TenantWork;

export interface StoredReport {
  readonly erasureId: string;
  readonly kind: 'user' | 'tenant';
  readonly subject: string;
  readonly requestedBy: ErasureReport['requestedBy'];
  readonly requestedAt: string;
  readonly status: ErasureReport['status'];
  readonly attempts: number;
  readonly startedAt?: string;
  readonly completedAt?: string;
  readonly blockedReason?: string;
  readonly lastError?: string;
  readonly leaseUntil?: string;
  readonly steps: Record<string, { status: 'done' | 'skipped' | 'refused'; at: string; note?: string }>;
  readonly progress: Record<string, Record<string, number>>;
}

/** The report attribute holding a step's cursor: not part of the report operators read. */
const cursorAttribute = (step: ErasureStep) => `cursor:${step}`;

/** Where a step that keeps a cursor (the warehouse's last object key) stopped; undefined before it began. */
export function cursorOf(stored: StoredReport, step: ErasureStep): string | undefined {
  const value = (stored as unknown as Record<string, unknown>)[cursorAttribute(step)];
  return typeof value === 'string' ? value : undefined;
}

export function reportOf(stored: StoredReport): ErasureReport {
  return {
    erasureId: stored.erasureId,
    kind: stored.kind,
    subject: stored.subject,
    requestedBy: stored.requestedBy,
    requestedAt: stored.requestedAt,
    status: stored.status,
    attempts: stored.attempts,
    ...(stored.startedAt ? { startedAt: stored.startedAt } : {}),
    ...(stored.completedAt ? { completedAt: stored.completedAt } : {}),
    ...(stored.blockedReason ? { blockedReason: stored.blockedReason } : {}),
    ...(stored.lastError ? { lastError: stored.lastError } : {}),
    steps: stepsOf(stored.kind, stored.steps, stored.progress),
  };
}

/** Raised inside the store when the report already exists: the erasure was asked for before. */
class AlreadyRequestedError extends Error {
  constructor() {
    super('The erasure was already requested.');
    this.name = 'AlreadyRequestedError';
  }
}

/** Raised inside the store when a step's record exists already. */
class StepAlreadyFinishedError extends Error {
  constructor() {
    super('The erasure step was already recorded.');
    this.name = 'StepAlreadyFinishedError';
  }
}

export function createErasureStore(db: Db) {
  const reportKey = (erasureId: string) => keys.erasureReport(erasureId);

  async function get(erasureId: string): Promise<StoredReport | undefined> {
    const { Item } = await db.client.send(
      new GetCommand({ TableName: db.tableName, Key: reportKey(erasureId), ConsistentRead: true }),
    );
    return Item as StoredReport | undefined;
  }

  return {
    get,

    async getWork(erasureId: string): Promise<ErasureWork | undefined> {
      const { Item } = await db.client.send(
        new GetCommand({ TableName: db.tableName, Key: keys.erasureWork(erasureId), ConsistentRead: true }),
      );
      return Item?.work as ErasureWork | undefined;
    },

    /**
     * Writes a new report (pending) and its work item, with `extra` steps (the platform audit entry
     * of an operator's request) in the same transaction. When a report with this id exists (the
     * erasure was asked for before) nothing is written and the existing report is returned.
     */
    async create(
      report: Pick<StoredReport, 'erasureId' | 'kind' | 'subject' | 'requestedBy' | 'requestedAt'>,
      work: ErasureWork,
      extra: readonly TransactStep[] = [],
    ): Promise<{ report: StoredReport; created: boolean }> {
      const stored: StoredReport = {
        ...report,
        status: 'pending',
        attempts: 0,
        steps: {},
        progress: Object.fromEntries(plannedSteps(report.kind).map((step) => [step, {}])),
      };
      try {
        await transactWrite(db, [
          {
            item: {
              Put: {
                TableName: db.tableName,
                Item: {
                  ...reportKey(report.erasureId),
                  ...keys.erasurePending(report.requestedAt, report.erasureId),
                  ...keys.erasureListEntry(report.requestedAt, report.erasureId),
                  type: 'erasure-report',
                  ...stored,
                },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
            onConditionFailed: () => new AlreadyRequestedError(),
          },
          {
            item: {
              Put: {
                TableName: db.tableName,
                Item: { ...keys.erasureWork(report.erasureId), type: 'erasure-work', work },
              },
            },
          },
          ...extra,
        ]);
        return { report: stored, created: true };
      } catch (error) {
        if (!(error instanceof AlreadyRequestedError)) throw error;
        const existing = await get(report.erasureId);
        if (!existing) throw error;
        return { report: existing, created: false };
      }
    },

    /** Reports newest first (gsi2 ERASURES), optionally of one kind. */
    async list(query: { limit: number; cursor?: string | undefined; kind?: 'user' | 'tenant' | undefined }) {
      const partition = keys.erasureList().gsi2pk;
      const binding: CursorBinding = { partition, scope: JSON.stringify(['erasures', query.kind ?? null]) };
      const result = await db.client.send(
        new QueryCommand({
          TableName: db.tableName,
          IndexName: 'gsi2',
          KeyConditionExpression: 'gsi2pk = :pk',
          ...(query.kind
            ? {
                FilterExpression: '#kind = :kind',
                ExpressionAttributeNames: { '#kind': 'kind' },
              }
            : {}),
          ExpressionAttributeValues: { ':pk': partition, ...(query.kind ? { ':kind': query.kind } : {}) },
          ScanIndexForward: false,
          Limit: query.limit,
          ExclusiveStartKey: decodeCursor(query.cursor, binding, 'gsi2pk'),
        }),
      );
      return {
        items: (result.Items ?? []) as StoredReport[],
        nextCursor: encodeCursor(result.LastEvaluatedKey, binding),
      };
    },

    /** Ids of the erasures waiting to run (or to resume), oldest first. */
    async pendingIds(limit: number): Promise<string[]> {
      const { Items = [] } = await db.client.send(
        new QueryCommand({
          TableName: db.tableName,
          IndexName: 'gsi1',
          KeyConditionExpression: 'gsi1pk = :pk',
          ExpressionAttributeValues: { ':pk': keys.erasurePendingIndex().gsi1pk },
          ProjectionExpression: 'erasureId',
          Limit: limit,
        }),
      );
      return Items.map((item) => String(item.erasureId));
    },

    /**
     * Claims the erasure for one run until `leaseUntil`: only while it is pending, or running under
     * an expired lease (a worker that crashed or timed out). Undefined when another run holds it or
     * it is finished.
     */
    async claim(erasureId: string, now: Date, leaseMs: number): Promise<StoredReport | undefined> {
      try {
        const { Attributes } = await db.client.send(
          new UpdateCommand({
            TableName: db.tableName,
            Key: reportKey(erasureId),
            UpdateExpression:
              'SET #status = :running, leaseUntil = :lease, startedAt = if_not_exists(startedAt, :now) ADD attempts :one',
            ConditionExpression:
              '#status IN (:pending, :running) AND (attribute_not_exists(leaseUntil) OR leaseUntil < :now)',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: {
              ':running': 'running',
              ':pending': 'pending',
              ':lease': new Date(now.getTime() + leaseMs).toISOString(),
              ':now': now.toISOString(),
              ':one': 1,
            },
            ReturnValues: 'ALL_NEW',
          }),
        );
        return Attributes as StoredReport;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return undefined;
        throw error;
      }
    },

    /**
     * The transaction step that adds a batch's counts to the step's progress, and sets the step's
     * cursor (where a resumed run goes on: {@link cursorOf}) when given.
     */
    progressStep(
      erasureId: string,
      step: ErasureStep,
      counts: Readonly<Record<string, number>>,
      cursor?: string,
    ): TransactStep {
      const kinds = Object.keys(counts);
      const names: Record<string, string> = { '#step': step };
      const values: Record<string, number | string> = { ':zero': 0 };
      const sets = kinds.map((kind, index) => {
        names[`#k${index}`] = kind;
        values[`:n${index}`] = counts[kind] ?? 0;
        return `progress.#step.#k${index} = if_not_exists(progress.#step.#k${index}, :zero) + :n${index}`;
      });
      if (cursor !== undefined) {
        names['#cursor'] = cursorAttribute(step);
        values[':cursor'] = cursor;
        sets.push('#cursor = :cursor');
      }
      return {
        item: {
          Update: {
            TableName: db.tableName,
            Key: reportKey(erasureId),
            UpdateExpression: `SET ${sets.join(', ')}`,
            ConditionExpression: 'attribute_not_exists(steps.#step)',
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
          },
        },
      };
    },

    /**
     * Records a step as finished (once: a re-run finds it recorded and skips it). With `dropEmail`,
     * the same transaction removes the email from the work item: no later step needs it.
     */
    async finishStep(
      erasureId: string,
      step: ErasureStep,
      record: { status: 'done' | 'skipped' | 'refused'; at: string; note?: string | undefined },
      options: { readonly dropEmail?: boolean } = {},
    ): Promise<void> {
      const finish = {
        TableName: db.tableName,
        Key: reportKey(erasureId),
        UpdateExpression: 'SET steps.#step = :record',
        ConditionExpression: 'attribute_not_exists(steps.#step)',
        ExpressionAttributeNames: { '#step': step },
        ExpressionAttributeValues: {
          ':record': {
            status: record.status,
            at: record.at,
            ...(record.note ? { note: record.note } : {}),
          },
        },
      };
      try {
        if (!options.dropEmail) {
          await db.client.send(new UpdateCommand(finish));
          return;
        }
        await transactWrite(db, [
          { item: { Update: finish }, onConditionFailed: () => new StepAlreadyFinishedError() },
          {
            item: {
              Update: {
                TableName: db.tableName,
                Key: keys.erasureWork(erasureId),
                UpdateExpression: 'REMOVE #work.#email',
                ConditionExpression: 'attribute_exists(pk)',
                ExpressionAttributeNames: { '#work': 'work', '#email': 'email' },
              },
            },
          },
        ]);
      } catch (error) {
        // Recorded by another run meanwhile (which removed the email with it).
        if (error instanceof ConditionalCheckFailedException || error instanceof StepAlreadyFinishedError)
          return;
        throw error;
      }
    },

    /** Completed: off the pending index, its personal inputs deleted. */
    async complete(erasureId: string, now: Date): Promise<void> {
      await transactWrite(db, [
        {
          item: {
            Update: {
              TableName: db.tableName,
              Key: reportKey(erasureId),
              UpdateExpression:
                'SET #status = :completed, completedAt = :now REMOVE gsi1pk, gsi1sk, leaseUntil',
              ExpressionAttributeNames: { '#status': 'status' },
              ExpressionAttributeValues: { ':completed': 'completed', ':now': now.toISOString() },
            },
          },
        },
        { item: { Delete: { TableName: db.tableName, Key: keys.erasureWork(erasureId) } } },
      ]);
    },

    /** Blocked: off the pending index; nothing more runs until an operator retries it ({@link retry}). */
    async block(erasureId: string, reason: string): Promise<void> {
      await db.client.send(
        new UpdateCommand({
          TableName: db.tableName,
          Key: reportKey(erasureId),
          UpdateExpression:
            'SET #status = :blocked, blockedReason = :reason REMOVE gsi1pk, gsi1sk, leaseUntil',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':blocked': 'blocked', ':reason': reason },
        }),
      );
    },

    /**
     * Puts a blocked erasure back on the pending index, so the next erasure-run resumes it: the
     * `refused` steps' records go (they run again), every finished step stays finished, and `extra`
     * (the operator's platform audit entry) is written in the same transaction. `onNotBlocked` is
     * thrown when the erasure is no longer blocked, or its refused steps changed, when it is written.
     */
    async retry(
      report: Pick<StoredReport, 'erasureId' | 'requestedAt'>,
      refusedSteps: readonly string[],
      extra: readonly TransactStep[],
      onNotBlocked: () => Error,
    ): Promise<void> {
      // Back at its first place in the queue (the pending index is ordered by request time).
      const pending = keys.erasurePending(report.requestedAt, report.erasureId);
      const names: Record<string, string> = { '#status': 'status' };
      const values: Record<string, unknown> = {
        ':blocked': 'blocked',
        ':pending': 'pending',
        ':gsi1pk': pending.gsi1pk,
        ':gsi1sk': pending.gsi1sk,
        ...(refusedSteps.length > 0 ? { ':refused': 'refused' } : {}),
      };
      const refused = refusedSteps.map((step, index) => {
        names[`#r${index}`] = step;
        return `steps.#r${index}`;
      });
      await transactWrite(db, [
        {
          item: {
            Update: {
              TableName: db.tableName,
              Key: reportKey(report.erasureId),
              UpdateExpression: `SET #status = :pending, gsi1pk = :gsi1pk, gsi1sk = :gsi1sk REMOVE blockedReason${refused.map((path) => `, ${path}`).join('')}`,
              ConditionExpression: [
                '#status = :blocked',
                ...refused.map((path) => `${path}.#status = :refused`),
              ].join(' AND '),
              ExpressionAttributeNames: names,
              ExpressionAttributeValues: values,
            },
          },
          onConditionFailed: onNotBlocked,
        },
        ...extra,
      ]);
    },

    /**
     * Not now: a step must wait (late warehouse deliveries) or yielded its run. The erasure stays
     * running, but no run may claim it before `until` (its lease), and it moves on the pending index
     * to that time, so the erasures due earlier come first.
     */
    async defer(erasureId: string, until: Date): Promise<void> {
      await db.client.send(
        new UpdateCommand({
          TableName: db.tableName,
          Key: reportKey(erasureId),
          UpdateExpression: 'SET leaseUntil = :until, gsi1sk = :due',
          ConditionExpression: 'attribute_exists(gsi1pk)',
          ExpressionAttributeValues: {
            ':until': until.toISOString(),
            ':due': keys.erasurePending(until.toISOString(), erasureId).gsi1sk,
          },
        }),
      );
    },

    /** A run failed: the lease is released so the next scheduled run resumes it. */
    async fail(erasureId: string, errorName: string): Promise<void> {
      await db.client.send(
        new UpdateCommand({
          TableName: db.tableName,
          Key: reportKey(erasureId),
          UpdateExpression: 'SET lastError = :error REMOVE leaseUntil',
          ExpressionAttributeValues: { ':error': errorName },
        }),
      );
    },
  };
}

export type ErasureStore = ReturnType<typeof createErasureStore>;
