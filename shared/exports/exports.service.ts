import type { Caller } from '../auth/caller.ts';
import { NotFoundError, UpstreamError } from '../http/errors.ts';
import type { Clock, IdGenerator } from '../ids.ts';
import { logger } from '../observability/logger.ts';
import { authorize, type TenantContext } from '../tenancy/tenant-context.ts';
import type { IdentityDirectory } from '../users/identity-directory.ts';
import { type ExportQueue, exportPath, exportRequested } from './export-events.ts';
import type { ExportJobRecord, ExportJobRepository } from './export-jobs.repository.ts';
import { exportArchiveKey } from './export-keys.ts';
import type { ExportJobView, ExportScope } from './exports.schema.ts';

/** A download link lives this long (made on each GET; a link signed with a role's credentials dies with them anyway). */
export const EXPORT_LINK_SECONDS = 15 * 60;

/** A job still queued this long after its request is announced to the worker again (the first event was lost). */
const REQUEUE_AFTER_MS = 2 * 60 * 1000;

/** Presigns download links to archives (the exports bucket). */
export interface ArchiveLinks {
  presign(key: string, expiresInSeconds: number, filename: string): Promise<string>;
}

export interface ExportsServiceDeps {
  readonly jobs: ExportJobRepository;
  readonly queue: ExportQueue;
  readonly links: ArchiveLinks;
  /** The requester's email (access tokens carry none): where the "ready" email goes. */
  readonly directory: IdentityDirectory;
  readonly clock: Clock;
  readonly newId: IdGenerator;
  /** Days a job and its archive are kept. */
  readonly retentionDays: number;
}

const notFound = () => new NotFoundError('Export not found (exports are deleted after their expiry).');

/**
 * Export requests and their status. A request writes the job (queued) and puts the worker's event on
 * the bus; when the bus refuses, the job is taken back and the request answers 502, so nothing is
 * left that no worker will ever see. A status read of a ready job presigns a fresh 15-minute link.
 */
export function createExportsService(deps: ExportsServiceDeps) {
  const { jobs, queue, links, directory, clock, newId } = deps;

  async function request(scope: ExportScope, subjectId: string, caller: Caller) {
    const identity = await directory.getUser(caller.userId);
    if (!identity) throw new NotFoundError('Your account was not found in the user pool.');
    const now = clock();
    const jobId = newId();
    const expiresAt = new Date(now.getTime() + deps.retentionDays * 24 * 60 * 60 * 1000);
    const job: ExportJobRecord = {
      jobId,
      scope,
      subjectId,
      requestedBy: caller.userId,
      email: identity.email,
      status: 'queued',
      requestedAt: now.toISOString(),
      expiresAt: expiresAt.toISOString(),
      ttl: Math.floor(expiresAt.getTime() / 1000),
      archiveKey: exportArchiveKey(scope, subjectId, jobId),
      chunk: 0,
      chunkKeys: [],
      itemsRead: 0,
      filesWritten: 0,
      failures: 0,
    };
    await jobs.create(job);
    try {
      await queue.request(exportRequested(job, 0, now));
    } catch (error) {
      await jobs.withdraw(job);
      throw new UpstreamError('The export could not be queued; nothing was kept. Try again.', {
        cause: error,
      });
    }
    return { view: viewOf(job), location: exportPath(scope, subjectId, jobId) };
  }

  async function read(scope: ExportScope, subjectId: string, jobId: string): Promise<ExportJobView> {
    const job = await jobs.get({ scope, subjectId, jobId });
    const now = clock();
    // DynamoDB's TTL deletes expired jobs within days, not at once; the bucket's lifecycle the archive.
    if (!job || Date.parse(job.expiresAt) <= now.getTime()) throw notFound();
    if (job.status === 'queued' && now.getTime() - Date.parse(job.requestedAt) > REQUEUE_AFTER_MS) {
      // The job's lease makes a second event harmless; a lost first one would leave it queued forever.
      await queue
        .request(exportRequested(job, job.chunk, now))
        .catch((error: unknown) => logger.warn('could not announce a queued export again', { error }));
    }
    if (job.status !== 'ready') return viewOf(job);
    const url = await links.presign(job.archiveKey, EXPORT_LINK_SECONDS, `plinth-export-${job.jobId}.tar.gz`);
    const linkExpiry = Math.min(now.getTime() + EXPORT_LINK_SECONDS * 1000, Date.parse(job.expiresAt));
    return viewOf(job, { url, expiresAt: new Date(linkExpiry).toISOString() });
  }

  return {
    /** `POST /v1/me/exports`: everything Plinth keeps about the caller. */
    requestUserExport: (caller: Caller) => request('user', caller.userId, caller),
    /** `GET /v1/me/exports/{exportId}`: only the caller's own jobs exist at their key. */
    getUserExport: (caller: Caller, exportId: string) => read('user', caller.userId, exportId),
    /** `POST /v1/tenants/{tenantId}/exports`: owners only. */
    requestTenantExport(ctx: TenantContext) {
      authorize(ctx, 'tenant:export');
      return request('tenant', ctx.tenantId, ctx.caller);
    },
    /** `GET /v1/tenants/{tenantId}/exports/{exportId}`: owners only. */
    getTenantExport(ctx: TenantContext, exportId: string) {
      authorize(ctx, 'tenant:export');
      return read('tenant', ctx.tenantId, exportId);
    },
  };
}

export type ExportsService = ReturnType<typeof createExportsService>;

function viewOf(job: ExportJobRecord, download?: { url: string; expiresAt: string }): ExportJobView {
  return {
    exportId: job.jobId,
    scope: job.scope,
    ...(job.scope === 'tenant' ? { tenantId: job.subjectId } : {}),
    status: job.status,
    requestedAt: job.requestedAt,
    ...(job.startedAt ? { startedAt: job.startedAt } : {}),
    ...(job.completedAt ? { completedAt: job.completedAt } : {}),
    expiresAt: job.expiresAt,
    progress: { itemsRead: job.itemsRead, filesWritten: job.filesWritten },
    ...(job.archiveBytes !== undefined ? { archiveBytes: job.archiveBytes } : {}),
    ...(download ? { download } : {}),
    ...(job.status === 'failed' && job.error ? { error: job.error } : {}),
  };
}
