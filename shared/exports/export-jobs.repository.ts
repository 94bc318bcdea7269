import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Db } from '../db/client.ts';
import { keys } from '../db/keys.ts';
import type { ExportScope, ExportStatus } from './exports.schema.ts';

/** An export job as stored (`keys.exportJob`). */
export interface ExportJobRecord {
  readonly jobId: string;
  readonly scope: ExportScope;
  /** The user id (user exports) or tenant id (tenant exports). */
  readonly subjectId: string;
  /** Who asked for it. */
  readonly requestedBy: string;
  /** Where the "ready" email goes: the requester's email (Cognito's, when asked). */
  readonly email: string;
  readonly status: ExportStatus;
  readonly requestedAt: string;
  readonly startedAt?: string;
  readonly completedAt?: string;
  readonly expiresAt: string;
  /** `expiresAt` in Unix seconds: DynamoDB's TTL deletes the job then. */
  readonly ttl: number;
  /** The archive's object key (`exportArchiveKey`). */
  readonly archiveKey: string;
  readonly archiveBytes?: number;
  /** The next chunk's number (0 before the first). */
  readonly chunk: number;
  /** JSON of the `ArchiveCursor` after the last committed chunk. */
  readonly cursor?: string;
  /** The committed chunks' objects, in order. */
  readonly chunkKeys: readonly string[];
  readonly itemsRead: number;
  readonly filesWritten: number;
  /** Chunks that failed (the worker gives up at `MAX_EXPORT_FAILURES`). */
  readonly failures: number;
  /** The worker invocation that holds the job, and until when (Unix seconds). */
  readonly leaseId?: string;
  readonly leaseUntil?: number;
  /** When the "ready" email went out; a claim while it is being sent. */
  readonly notifiedAt?: string;
  readonly notifyClaimUntil?: number;
  readonly error?: string;
}

/** Chunks that may fail (each retried by the queue) before the job is marked failed. */
export const MAX_EXPORT_FAILURES = 3;

const isConditionFailure = (error: unknown) => error instanceof ConditionalCheckFailedException;

type JobRef = Pick<ExportJobRecord, 'scope' | 'subjectId' | 'jobId'>;
const keyOf = (job: JobRef) => keys.exportJob(job.scope, job.subjectId, job.jobId);

/** The export jobs in the table; every state change is one conditional write on the job item. */
export function createExportJobRepository(db: Db) {
  const update = async (
    job: JobRef,
    expression: string,
    condition: string,
    values: Record<string, unknown>,
    names: Record<string, string> = {},
  ): Promise<ExportJobRecord | undefined> => {
    const text = `${expression} ${condition}`;
    // DynamoDB refuses names an expression does not use.
    const used = Object.entries({ '#status': 'status', ...names }).filter(([name]) => text.includes(name));
    try {
      const result = await db.client.send(
        new UpdateCommand({
          TableName: db.tableName,
          Key: keyOf(job),
          UpdateExpression: expression,
          ConditionExpression: `attribute_exists(pk) AND ${condition}`,
          ...(used.length > 0 ? { ExpressionAttributeNames: Object.fromEntries(used) } : {}),
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return result.Attributes as ExportJobRecord | undefined;
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
  };

  return {
    async create(job: ExportJobRecord): Promise<void> {
      await db.client.send(
        new PutCommand({
          TableName: db.tableName,
          Item: { ...keyOf(job), type: 'export-job', ...job },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    },

    async get(job: JobRef): Promise<ExportJobRecord | undefined> {
      const { Item } = await db.client.send(
        new GetCommand({ TableName: db.tableName, Key: keyOf(job), ConsistentRead: true }),
      );
      return Item as ExportJobRecord | undefined;
    },

    /** Takes back a job whose request never reached the bus (so no worker will ever see it). */
    async withdraw(job: JobRef): Promise<void> {
      try {
        await db.client.send(
          new DeleteCommand({
            TableName: db.tableName,
            Key: keyOf(job),
            ConditionExpression: '#status = :queued AND #chunk = :zero',
            ExpressionAttributeNames: { '#status': 'status', '#chunk': 'chunk' },
            ExpressionAttributeValues: { ':queued': 'queued', ':zero': 0 },
          }),
        );
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
      }
    },

    /**
     * Leases the job to one worker invocation until `leaseUntil` (Unix seconds): only a queued or
     * running job that nobody holds (or whose holder's lease ran out: it crashed or timed out).
     * Undefined when another invocation holds it or it is finished.
     */
    claim(job: JobRef, leaseId: string, leaseUntil: number, now: Date) {
      return update(
        job,
        'SET #status = :running, leaseId = :lease, leaseUntil = :until, startedAt = if_not_exists(startedAt, :at)',
        '#status IN (:queued, :running) AND (attribute_not_exists(leaseUntil) OR leaseUntil < :now)',
        {
          ':running': 'running',
          ':queued': 'queued',
          ':lease': leaseId,
          ':until': leaseUntil,
          ':at': now.toISOString(),
          ':now': Math.floor(now.getTime() / 1000),
        },
      );
    },

    /** Records a written chunk and its cursor, and gives the lease up: only by its holder. */
    commitChunk(
      job: JobRef,
      leaseId: string,
      chunk: {
        readonly key: string;
        readonly cursor: string;
        readonly itemsRead: number;
        readonly filesWritten: number;
      },
    ) {
      return update(
        job,
        'SET #cursor = :cursor, #chunk = #chunk + :one, chunkKeys = list_append(chunkKeys, :keys), itemsRead = :read, filesWritten = :files REMOVE leaseId, leaseUntil',
        'leaseId = :lease',
        {
          ':cursor': chunk.cursor,
          ':one': 1,
          ':keys': [chunk.key],
          ':read': chunk.itemsRead,
          ':files': chunk.filesWritten,
          ':lease': leaseId,
        },
        { '#cursor': 'cursor', '#chunk': 'chunk' },
      );
    },

    /** The archive is complete: ready, with its size; the cursor and chunk list go. Only by the holder. */
    finish(
      job: JobRef,
      leaseId: string,
      result: { readonly archiveBytes: number; readonly itemsRead: number; readonly filesWritten: number },
      now: Date,
    ) {
      return update(
        job,
        'SET #status = :ready, archiveBytes = :bytes, itemsRead = :read, filesWritten = :files, completedAt = :at, #chunk = #chunk + :one REMOVE leaseId, leaseUntil, #cursor, chunkKeys',
        'leaseId = :lease',
        {
          ':ready': 'ready',
          ':bytes': result.archiveBytes,
          ':read': result.itemsRead,
          ':files': result.filesWritten,
          ':at': now.toISOString(),
          ':one': 1,
          ':lease': leaseId,
        },
        { '#cursor': 'cursor', '#chunk': 'chunk' },
      );
    },

    /**
     * A chunk failed: counts it and gives the lease up, so the queue's retry can take the job again;
     * at {@link MAX_EXPORT_FAILURES} the job is marked failed instead (with `reason`).
     */
    async recordFailure(job: JobRef, leaseId: string, reason: string): Promise<ExportJobRecord | undefined> {
      const counted = await update(job, 'ADD failures :one REMOVE leaseId, leaseUntil', 'leaseId = :lease', {
        ':one': 1,
        ':lease': leaseId,
      });
      if (!counted || counted.failures < MAX_EXPORT_FAILURES) return counted;
      return update(
        job,
        'SET #status = :failed, #error = :reason',
        '#status = :running',
        {
          ':failed': 'failed',
          ':running': 'running',
          ':reason': reason,
        },
        { '#error': 'error' },
      );
    },

    /** Claims sending the "ready" email for two minutes; false when it was sent or is being sent. */
    async claimNotification(job: JobRef, now: Date): Promise<boolean> {
      const seconds = Math.floor(now.getTime() / 1000);
      const claimed = await update(
        job,
        'SET notifyClaimUntil = :until',
        '#status = :ready AND attribute_not_exists(notifiedAt) AND (attribute_not_exists(notifyClaimUntil) OR notifyClaimUntil < :now)',
        { ':ready': 'ready', ':until': seconds + 120, ':now': seconds },
      );
      return claimed !== undefined;
    },

    async settleNotification(job: JobRef, now: Date): Promise<void> {
      await update(job, 'SET notifiedAt = :at REMOVE notifyClaimUntil', '#status = :ready', {
        ':at': now.toISOString(),
        ':ready': 'ready',
      });
    },

    async releaseNotification(job: JobRef): Promise<void> {
      await update(job, 'REMOVE notifyClaimUntil', '#status = :ready', { ':ready': 'ready' });
    },
  };
}

export type ExportJobRepository = ReturnType<typeof createExportJobRepository>;
