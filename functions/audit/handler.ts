import { impersonationGateFor } from '#shared/app/impersonation.ts';
import { createRuntime } from '#shared/app/runtime.ts';
import { createDigestArchiveFromEnv } from '#shared/audit/audit.env.ts';
import { createAuditRepository } from '#shared/audit/audit.repository.ts';
import { createAuditChainService, createAuditService } from '#shared/audit/audit.service.ts';
import { createApiHandler, implement } from '#shared/http/api-handler.ts';
import { auditRoutes as routes } from '#shared/http/routes/audit.ts';

const runtime = createRuntime();
const { db, tenancy, clock } = runtime;
const audit = createAuditService({ audit: createAuditRepository(db) });
const chain = createAuditChainService({ db, archive: createDigestArchiveFromEnv(), clock });

export const handler = createApiHandler(
  'audit',
  routes,
  [
    implement(routes.listAuditLog, async ({ params, query, caller, request }) =>
      audit.list(await tenancy.resolve(caller, params.tenantId, request), query),
    ),
    implement(routes.verifyAuditLog, async ({ params, query, caller, request }) =>
      chain.verify(await tenancy.resolve(caller, params.tenantId, request), query),
    ),
    implement(routes.exportAuditLog, async ({ params, query, caller, request }) =>
      chain.export(await tenancy.resolve(caller, params.tenantId, request), query),
    ),
  ],
  { impersonation: impersonationGateFor(runtime) },
);
