import { impersonationGateFor } from '#shared/app/impersonation.ts';
import { createRuntime } from '#shared/app/runtime.ts';
import { createAuditRepository } from '#shared/audit/audit.repository.ts';
import { createAuditService } from '#shared/audit/audit.service.ts';
import { createApiHandler, implement } from '#shared/http/api-handler.ts';
import { auditRoutes as routes } from '#shared/http/routes/audit.ts';

const runtime = createRuntime();
const { db, tenancy } = runtime;
const audit = createAuditService({ audit: createAuditRepository(db) });

export const handler = createApiHandler(
  'audit',
  routes,
  [
    implement(routes.listAuditLog, async ({ params, query, caller, request }) =>
      audit.list(await tenancy.resolve(caller, params.tenantId, request), query),
    ),
  ],
  { impersonation: impersonationGateFor(runtime) },
);
