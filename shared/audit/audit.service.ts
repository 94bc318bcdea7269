import { authorize, type TenantContext } from '../tenancy/tenant-context.ts';
import type { AuditPage, AuditRepositoryFactory } from './audit.repository.ts';
import type { AuditQuery } from './audit.schema.ts';

export interface AuditServiceDeps {
  readonly audit: AuditRepositoryFactory;
}

/** Reading the audit log; writing happens inside each change's own transaction (`auditStep`). */
export function createAuditService({ audit }: AuditServiceDeps) {
  return {
    /**
     * A page of the tenant's audit log, newest first (owners and admins). With an `action` filter a
     * page may be short or empty while `nextCursor` is present; see `AuditLogRepository.list`.
     */
    async list(ctx: TenantContext, query: AuditQuery): Promise<AuditPage> {
      authorize(ctx, 'audit:read');
      return audit.forTenant(ctx).list(query);
    },
  };
}

export type AuditService = ReturnType<typeof createAuditService>;
