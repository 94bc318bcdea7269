import { deferred } from '#shared/app/deferred.ts';
import { lazyIdentityDirectory } from '#shared/app/identity.ts';
import { createRuntime } from '#shared/app/runtime.ts';
import { type ExportQueue, exportQueueOf } from '#shared/exports/export-events.ts';
import { createExportJobRepository } from '#shared/exports/export-jobs.repository.ts';
import { createExportStorageFromEnv, readExportsEnv } from '#shared/exports/exports.env.ts';
import { type ArchiveLinks, createExportsService } from '#shared/exports/exports.service.ts';
import { createApiHandler, implement, reply } from '#shared/http/api-handler.ts';
import { exportsRoutes as routes } from '#shared/http/routes/exports.ts';
import { traceClient } from '#shared/observability/tracer.ts';

// Writes export jobs (and the caller's sign-in time, the tenant's request count); puts the worker's
// event on the bus; presigns download links (s3:GetObject on the exports bucket).
const runtime = createRuntime();
const { env, db, clock, newId, tenancy, userGate } = runtime;
const exportEnv = readExportsEnv();
// The S3 client and presigner are loaded on the first download link, the EventBridge client on the
// first export requested: not at cold start (reading a job's status needs neither until it is ready).
const links = deferred<ArchiveLinks>(async () => createExportStorageFromEnv(exportEnv));
const queue = deferred<ExportQueue>(async () => {
  const [{ EventBridgeClient }, { createEventPutter }] = await Promise.all([
    import('@aws-sdk/client-eventbridge'),
    import('#shared/events/put-events.ts'),
  ]);
  return exportQueueOf(
    createEventPutter(
      traceClient(new EventBridgeClient({ region: env.AWS_REGION, endpoint: env.AWS_ENDPOINT_URL })),
    ),
    exportEnv.EVENT_BUS_NAME,
  );
});
const exportsService = createExportsService({
  jobs: createExportJobRepository(db),
  queue,
  links,
  directory: lazyIdentityDirectory(env),
  clock,
  newId,
  retentionDays: exportEnv.EXPORT_RETENTION_DAYS,
});

// No impersonation gate: every route here is 'never' (route-policy), refused before any lookup.
export const handler = createApiHandler('exports', routes, [
  implement(routes.requestMyExport, async ({ caller }) => {
    await userGate.check(caller);
    const { view, location } = await exportsService.requestUserExport(caller);
    return reply(view, { location });
  }),
  implement(routes.getMyExport, async ({ caller, params }) => {
    await userGate.check(caller);
    return exportsService.getUserExport(caller, params.exportId);
  }),
  implement(routes.requestTenantExport, async ({ caller, params, request }) => {
    const ctx = await tenancy.resolve(caller, params.tenantId, request);
    const { view, location } = await exportsService.requestTenantExport(ctx);
    return reply(view, { location });
  }),
  implement(routes.getTenantExport, async ({ caller, params, request }) =>
    exportsService.getTenantExport(await tenancy.resolve(caller, params.tenantId, request), params.exportId),
  ),
]);
