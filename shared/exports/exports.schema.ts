import * as z from 'zod';
import { lazyValue } from '../app/deferred.ts';
import { idSchema } from '../http/common.schema.ts';

/** Whose data an export holds: the caller's own (`/v1/me/exports`) or a tenant's (owners only). */
export const exportScopeSchema = /* @__PURE__ */ lazyValue(() => z.enum(['user', 'tenant']));
export type ExportScope = z.infer<ReturnType<typeof exportScopeSchema>>;

/**
 * `queued`: written, waiting for the worker; `running`: the worker has written part of the archive
 * (it works in chunks, see README "Exporting data"); `ready`: the archive can be downloaded;
 * `failed`: the worker gave up (the job says why, in general terms).
 */
export const exportStatusSchema = /* @__PURE__ */ lazyValue(() =>
  z.enum(['queued', 'running', 'ready', 'failed']),
);
export type ExportStatus = z.infer<ReturnType<typeof exportStatusSchema>>;

export const exportParams = /* @__PURE__ */ lazyValue(() => z.strictObject({ exportId: idSchema() }));
export const tenantExportParams = /* @__PURE__ */ lazyValue(() =>
  z.strictObject({ tenantId: idSchema(), exportId: idSchema() }),
);

/** An export job as the API shows it. */
export const exportJobSchema = /* @__PURE__ */ lazyValue(() =>
  z.object({
    exportId: z.string(),
    scope: exportScopeSchema(),
    /** The exported tenant (tenant exports only). */
    tenantId: z.string().optional(),
    status: exportStatusSchema(),
    requestedAt: z.iso.datetime(),
    startedAt: z.iso.datetime().optional(),
    completedAt: z.iso.datetime().optional(),
    /** When the job and its archive are deleted (the stage's export retention after the request). */
    expiresAt: z.iso.datetime(),
    progress: z.object({
      /** Items read from the table so far. */
      itemsRead: z.number().int().nonnegative(),
      /** Files written to the archive so far. */
      filesWritten: z.number().int().nonnegative(),
    }),
    /** Size of the archive (tar.gz) once ready. */
    archiveBytes: z.number().int().nonnegative().optional(),
    /**
     * Present when ready: a presigned S3 link to the archive, made by this request and valid for 15
     * minutes (ask again for a fresh one).
     */
    download: z.object({ url: z.url(), expiresAt: z.iso.datetime() }).optional(),
    /** Why the export failed (no internals). */
    error: z.string().optional(),
  }),
);
export type ExportJobView = z.infer<ReturnType<typeof exportJobSchema>>;
