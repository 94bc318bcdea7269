import * as z from 'zod';
import { lazyValue } from '../app/deferred.ts';
import { EVENT_SOURCE } from '../events/bus.ts';
import { exportScopeSchema } from './exports.schema.ts';

/**
 * The export worker's timeout (lib/stacks/events-stack.ts; Lambda's longest): a chunk stops a minute
 * before it, and a crashed holder's lease on a job runs out after it.
 */
export const EXPORT_WORKER_TIMEOUT_SECONDS = 900;

/** The bus event that asks the export worker to write (the next chunk of) an export's archive. */
export const EXPORT_REQUESTED = 'Export Requested v1';

/**
 * Its detail names the job; the job item holds everything else (its cursor, lease and state), so a
 * redelivered or duplicated event finds the job busy or further on and does nothing twice.
 * `chunk` is informational (which continuation this is) and makes the id unique per continuation.
 */
export const exportRequestedDetail = /* @__PURE__ */ lazyValue(() =>
  z.object({
    eventId: z.string(),
    scope: exportScopeSchema(),
    /** The user id (user exports) or the tenant id (tenant exports). */
    subjectId: z.string(),
    jobId: z.string(),
    chunk: z.number().int().nonnegative(),
    occurredAt: z.iso.datetime(),
  }),
);
export type ExportRequestedDetail = z.infer<ReturnType<typeof exportRequestedDetail>>;

/** The detail of continuation `chunk` of a job. */
export function exportRequested(
  job: {
    readonly scope: z.infer<ReturnType<typeof exportScopeSchema>>;
    readonly subjectId: string;
    readonly jobId: string;
  },
  chunk: number,
  now: Date,
): ExportRequestedDetail {
  return {
    eventId: `${job.jobId}-c${chunk}`,
    scope: job.scope,
    subjectId: job.subjectId,
    jobId: job.jobId,
    chunk,
    occurredAt: now.toISOString(),
  };
}

/** The PutEvents entry of a request on the given bus. */
export function exportRequestedEntry(detail: ExportRequestedDetail, eventBusName: string) {
  return {
    EventBusName: eventBusName,
    Source: EVENT_SOURCE,
    DetailType: EXPORT_REQUESTED,
    Detail: JSON.stringify(exportRequestedDetail().parse(detail)),
    Time: new Date(detail.occurredAt),
  };
}

/** Where the export requests go: the bus, one event at a time, refused entries thrown. */
export interface ExportQueue {
  request(detail: ExportRequestedDetail): Promise<void>;
}

/** The bus as the exports use it (an event putter from shared/events/put-events.ts). */
export function exportQueueOf(
  putter: { put(entry: ReturnType<typeof exportRequestedEntry>): Promise<string> },
  eventBusName: string,
): ExportQueue {
  return {
    async request(detail) {
      await putter.put(exportRequestedEntry(detail, eventBusName));
    },
  };
}

/** The API path of a job: where its status and link are read (the 202's Location). */
export function exportPath(
  scope: z.infer<ReturnType<typeof exportScopeSchema>>,
  subjectId: string,
  jobId: string,
): string {
  return scope === 'user' ? `/v1/me/exports/${jobId}` : `/v1/tenants/${subjectId}/exports/${jobId}`;
}
