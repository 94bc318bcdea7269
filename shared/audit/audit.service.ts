import { assertFeature } from '../billing/entitlements.ts';
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
     * Reading it is a plan feature (`audit-log`): a 402 names the plan that includes it. Changes
     * are audited on every plan, so the log is complete from the start once the tenant upgrades.
     */
    async list(ctx: TenantContext, query: AuditQuery): Promise<AuditPage> {
      authorize(ctx, 'audit:read');
      assertFeature(ctx.billing, ctx.entitlements, 'audit-log');
      return audit.forTenant(ctx).list(query);
    },
  };
}

export type AuditService = ReturnType<typeof createAuditService>;
