import { assertFeature } from '../billing/entitlements.ts';
import type { Db } from '../db/client.ts';
import { BadRequestError } from '../http/errors.ts';
import type { Clock } from '../ids.ts';
import { authorize, type TenantContext } from '../tenancy/tenant-context.ts';
import type { AuditPage, AuditRepositoryFactory } from './audit.repository.ts';
import {
  type AuditExportQuery,
  type AuditQuery,
  type AuditVerifyQuery,
  DEFAULT_EXPORT_DAYS,
  DEFAULT_VERIFY_DAYS,
  MAX_AUDIT_RANGE_DAYS,
} from './audit.schema.ts';
import { addDays, utcDayOf } from './audit-chain.ts';
import {
  type AuditLogExport,
  type ChainVerification,
  exportAuditLog,
  verifyTenantChain,
} from './audit-verify.ts';
import type { DigestArchive } from './digest-archive.ts';

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

/**
 * The days a verify or export covers: `to` defaults to today (UTC), `from` to `defaultDays` days
 * ending at `to`. The schema checks a range whose ends are both given; a default end is checked here.
 */
function dayRange(
  query: { from?: string | undefined; to?: string | undefined },
  defaultDays: number,
  now: Date,
): { from: string; to: string } {
  const to = query.to ?? utcDayOf(now);
  const from = query.from ?? addDays(to, -(defaultDays - 1));
  if (from > to) {
    throw new BadRequestError('The query is invalid.', [
      { field: 'query.from', message: `from must not be after to (${to})` },
    ]);
  }
  if (addDays(from, MAX_AUDIT_RANGE_DAYS - 1) < to) {
    throw new BadRequestError('The query is invalid.', [
      { field: 'query.from', message: `at most ${MAX_AUDIT_RANGE_DAYS} days up to ${to}` },
    ]);
  }
  return { from, to };
}

export interface AuditChainServiceDeps {
  readonly db: Db;
  /** The daily digests in the Object Lock bucket. */
  readonly archive: DigestArchive;
  readonly clock: Clock;
}

/**
 * Verifying and exporting the tenant's hash-chained audit log (./audit-verify.ts); the same
 * permission and plan feature as reading it.
 */
export function createAuditChainService(chain: AuditChainServiceDeps) {
  return {
    /**
     * Recomputes the tenant's chain for [from, to] (default the last 30 days up to today, UTC)
     * against the anchored digests (same permission and plan feature as reading the log).
     */
    async verify(ctx: TenantContext, query: AuditVerifyQuery): Promise<ChainVerification> {
      authorize(ctx, 'audit:read');
      assertFeature(ctx.billing, ctx.entitlements, 'audit-log');
      const now = chain.clock();
      return verifyTenantChain(chain, ctx.tenantId, dayRange(query, DEFAULT_VERIFY_DAYS, now), now);
    },

    /** The tenant's entries of [from, to] with their hashes and the anchored digests. */
    async export(ctx: TenantContext, query: AuditExportQuery): Promise<AuditLogExport> {
      authorize(ctx, 'audit:read');
      assertFeature(ctx.billing, ctx.entitlements, 'audit-log');
      return exportAuditLog(chain, ctx.tenantId, dayRange(query, DEFAULT_EXPORT_DAYS, chain.clock()));
    },
  };
}

export type AuditChainService = ReturnType<typeof createAuditChainService>;
