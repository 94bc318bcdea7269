import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Db } from '../db/client.ts';
import { keys } from '../db/keys.ts';
import type { Clock, IdGenerator } from '../ids.ts';
import type { MailSender } from '../mail/mail-sender.ts';
import { escapeHtml } from '../mail/mail-text.ts';
import { logger } from '../observability/logger.ts';
import { type ArchiveCursor, type ChunkLimits, newCursor, writeChunk } from './export-archive.ts';
import {
  type ExportQueue,
  type ExportRequestedDetail,
  exportPath,
  exportRequested,
} from './export-events.ts';
import type { ExportJobRecord, ExportJobRepository } from './export-jobs.repository.ts';
import { exportChunkKey } from './export-keys.ts';
import { type ExportSubject, monthsBetween, tenantExportPlan, userExportPlan } from './export-sources.ts';
import type { ExportStorage } from './export-storage.ts';

export interface ExportWorkerDeps {
  readonly db: Db;
  readonly jobs: ExportJobRepository;
  readonly storage: ExportStorage;
  readonly queue: ExportQueue;
  readonly mailer: MailSender;
  readonly clock: Clock;
  readonly newId: IdGenerator;
  readonly limits: ChunkLimits;
  /** How long an invocation holds a job: the function's timeout, so a crashed holder's lease runs out. */
  readonly leaseSeconds: number;
  readonly appUrl: string;
}

/** What one event did. */
export type ExportRunOutcome =
  /** The job is gone (expired) or failed: nothing to do. */
  | { readonly outcome: 'skipped'; readonly reason: string }
  /** Another invocation holds the job (a duplicate event): it carries on. */
  | { readonly outcome: 'busy' }
  /** A chunk was written and the rest queued. */
  | { readonly outcome: 'continued'; readonly chunk: number; readonly itemsRead: number }
  /** The archive is complete (and its email sent). */
  | { readonly outcome: 'ready'; readonly itemsRead: number; readonly archiveBytes: number }
  /** The job failed for good (after `MAX_EXPORT_FAILURES` chunks failed). */
  | { readonly outcome: 'failed' };

/** The reason a failed job shows: no internals. */
const FAILED_REASON = 'The archive could not be written; ask for a new export.';

/**
 * The export worker (functions/export-worker): one event, one chunk. It leases the job (a
 * conditional write: a redelivered or duplicated event finds it held or further on and does nothing
 * twice), writes the next chunk of the archive from the job's cursor until its time is nearly up,
 * then commits the cursor and queues the rest, or, at the end, joins the chunks into the archive,
 * marks the job ready and emails the requester (once).
 */
export function createExportWorker(deps: ExportWorkerDeps) {
  const { db, jobs, storage, queue, mailer, clock } = deps;

  async function subjectOf(job: ExportJobRecord): Promise<ExportSubject> {
    return job.scope === 'user'
      ? { scope: 'user', userId: job.subjectId, email: job.email }
      : { scope: 'tenant', tenantId: job.subjectId };
  }

  /** The user's tenants now (their memberships), and the months since they first joined one. */
  async function planFor(job: ExportJobRecord) {
    if (job.scope === 'tenant') return tenantExportPlan(job.subjectId);
    const index = keys.membershipsOfUser(job.subjectId);
    const tenantIds: string[] = [];
    let earliest: string | undefined;
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await db.client.send(
        new QueryCommand({
          TableName: db.tableName,
          IndexName: 'gsi1',
          KeyConditionExpression: 'gsi1pk = :pk AND begins_with(gsi1sk, :prefix)',
          ExpressionAttributeValues: { ':pk': index.gsi1pk, ':prefix': index.gsi1skPrefix },
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      for (const item of page.Items ?? []) {
        if (typeof item.tenantId === 'string') tenantIds.push(item.tenantId);
        if (typeof item.joinedAt === 'string' && (!earliest || item.joinedAt < earliest))
          earliest = item.joinedAt;
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    const now = clock();
    return userExportPlan(tenantIds, earliest ? monthsBetween(new Date(earliest), now) : []);
  }

  async function notify(job: ExportJobRecord): Promise<void> {
    if (job.notifiedAt || !(await jobs.claimNotification(job, clock()))) return;
    const path = exportPath(job.scope, job.subjectId, job.jobId);
    const what = job.scope === 'user' ? 'your Plinth data' : `the data of tenant ${job.subjectId}`;
    const text = [
      `The export of ${what} that you asked for on ${job.requestedAt} is ready.`,
      '',
      `Download it until ${job.expiresAt} from ${deps.appUrl}, or with GET ${path}, which answers with a download link valid for 15 minutes.`,
      '',
      'If you did not ask for this export, contact support.',
    ].join('\n');
    try {
      await mailer.send(
        {
          to: [job.email],
          subject: 'Your Plinth data export is ready',
          text,
          html: `<p>${escapeHtml(text).replace(/\n\n/g, '</p><p>')}</p>`,
        },
        { kind: 'export', tenantId: job.scope === 'tenant' ? job.subjectId : undefined },
      );
    } catch (error) {
      await jobs.releaseNotification(job);
      throw error;
    }
    await jobs.settleNotification(job, clock());
  }

  return {
    /**
     * Handles one request event; `timeLeft` is what this invocation may still spend on reading
     * (checked after each page). Throws when the chunk failed and may be retried by the queue.
     */
    async handle(detail: ExportRequestedDetail, timeLeft: () => number): Promise<ExportRunOutcome> {
      const ref = { scope: detail.scope, subjectId: detail.subjectId, jobId: detail.jobId };
      const job = await jobs.get(ref);
      if (!job) return { outcome: 'skipped', reason: 'no such job (expired)' };
      if (job.status === 'ready') {
        await notify(job);
        return { outcome: 'skipped', reason: 'ready already' };
      }
      if (job.status === 'failed') return { outcome: 'skipped', reason: 'failed already' };

      const leaseId = deps.newId();
      const now = clock();
      const claimed = await jobs.claim(
        ref,
        leaseId,
        Math.floor(now.getTime() / 1000) + deps.leaseSeconds,
        now,
      );
      if (!claimed) return { outcome: 'busy' };

      let chunkKey: string | undefined;
      try {
        const cursor: ArchiveCursor = claimed.cursor
          ? (JSON.parse(claimed.cursor) as ArchiveCursor)
          : newCursor(await planFor(claimed));
        chunkKey = exportChunkKey(ref.scope, ref.subjectId, ref.jobId, claimed.chunk, leaseId);
        const sink = storage.openChunk(chunkKey);
        const { done } = await writeChunk({
          db,
          sink,
          subject: await subjectOf(claimed),
          cursor,
          limits: deps.limits,
          root: `plinth-export-${claimed.jobId}`,
          jobId: claimed.jobId,
          requestedAt: claimed.requestedAt,
          expiresAt: claimed.expiresAt,
          timeLeft,
        });
        await sink.close();
        const progress = { itemsRead: cursor.itemsRead, filesWritten: cursor.files.length };

        if (!done) {
          const committed = await jobs.commitChunk(ref, leaseId, {
            key: chunkKey,
            cursor: JSON.stringify(cursor),
            ...progress,
          });
          if (!committed) throw new Error('The export lease ran out before the chunk was committed');
          chunkKey = undefined;
          // Committed first: a failed put is retried by the queue, which finds the lease free and resumes.
          await queue.request(exportRequested(committed, committed.chunk, clock()));
          return { outcome: 'continued', chunk: committed.chunk, itemsRead: cursor.itemsRead };
        }

        const chunkKeys = [...claimed.chunkKeys, chunkKey];
        const archiveBytes = await storage.assemble(chunkKeys, claimed.archiveKey);
        const finished = await jobs.finish(ref, leaseId, { archiveBytes, ...progress }, clock());
        if (!finished) throw new Error('The export lease ran out before the archive was recorded');
        chunkKey = undefined;
        // The chunks are joined into the archive; a failure here leaves them to the bucket's lifecycle.
        await storage
          .remove(chunkKeys)
          .catch((error: unknown) => logger.warn('could not delete export chunks', { error }));
        await notify(finished);
        return { outcome: 'ready', itemsRead: cursor.itemsRead, archiveBytes };
      } catch (error) {
        if (chunkKey) await storage.remove([chunkKey]).catch(() => undefined);
        const after = await jobs.recordFailure(ref, leaseId, FAILED_REASON);
        if (after?.status === 'failed') {
          logger.error('export failed for good', { jobId: ref.jobId, error });
          return { outcome: 'failed' };
        }
        throw error;
      }
    },
  };
}

export type ExportWorker = ReturnType<typeof createExportWorker>;
