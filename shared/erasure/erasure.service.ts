import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { batchRead, keyOf } from '../admin/batch-read.ts';
import type { Operator } from '../admin/operators.ts';
import { platformAuditSteps } from '../admin/platform-audit.ts';
import type { Db } from '../db/client.ts';
import { keys } from '../db/keys.ts';
import { queryItems } from '../db/query-items.ts';
import type { RequestMeta } from '../http/api-handler.ts';
import { ConflictError, NotFoundError } from '../http/errors.ts';
import type { Clock, IdGenerator } from '../ids.ts';
import type { Member } from '../members/members.schema.ts';
import type { IdentityDirectory } from '../users/identity-directory.ts';
import type { ErasureReport } from './erasure.schema.ts';
import { type ErasureStore, reportOf, type StoredReport } from './erasure.store.ts';
import { pseudonymOf } from './pseudonym.ts';

/** Who asked: the user themself, an operator (with the reason the platform audit log records), or the schedule. */
export type ErasureRequester =
  | { readonly kind: 'self' }
  | {
      readonly kind: 'operator';
      readonly operator: Operator;
      readonly reason: string;
      readonly request: RequestMeta;
    }
  | { readonly kind: 'schedule' };

export interface ErasureServiceDeps {
  readonly db: Db;
  readonly store: ErasureStore;
  readonly clock: Clock;
  readonly newId: IdGenerator;
  readonly pseudonymKey: string;
  readonly directory: IdentityDirectory;
}

/** The id of a subject's erasure: one per subject, so asking twice finds the first. */
export const userErasureId = (pseudonym: string) => `user-${pseudonym.replace(/^erased-/, '')}`;
export const tenantErasureId = (tenantId: string) => `tenant-${tenantId}`;

const accepted = (report: StoredReport) => ({
  erasureId: report.erasureId,
  status: report.status,
  requestedAt: report.requestedAt,
});

/**
 * The requesting side of erasure: checks what must hold before anything is erased, writes the
 * report (pending) and its work item, and leaves the work to the erasure-run schedule
 * (shared/erasure/erasure.runner.ts), since a user's or tenant's data is unbounded.
 */
export function createErasureService(deps: ErasureServiceDeps) {
  const { db, store } = deps;

  const requestedBy = (by: ErasureRequester): ErasureReport['requestedBy'] =>
    by.kind === 'operator' ? { kind: 'operator', operatorId: by.operator.userId } : { kind: by.kind };

  /** The tenants the user left or was removed from (their audit log and tickets still name them). */
  async function formerTenantsOf(userId: string): Promise<string[]> {
    const prefix = keys.formerTenantsPrefix(userId);
    const tenantIds: string[] = [];
    for await (const item of queryItems(db, {
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': prefix.pk, ':prefix': prefix.skPrefix },
      ConsistentRead: true,
    })) {
      tenantIds.push(String(item.tenantId));
    }
    return tenantIds;
  }

  async function membershipsOf(userId: string): Promise<Member[]> {
    const index = keys.membershipsOfUser(userId);
    const members: Member[] = [];
    for await (const item of queryItems(db, {
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :pk AND begins_with(gsi1sk, :prefix)',
      ExpressionAttributeValues: { ':pk': index.gsi1pk, ':prefix': index.gsi1skPrefix },
    })) {
      members.push(item as unknown as Member);
    }
    return members;
  }

  /** The tenants with an invitation (of any status) to the email. */
  async function invitingTenantsOf(email: string): Promise<string[]> {
    const index = keys.invitationsForEmail(email);
    const tenants = new Set<string>();
    for await (const item of queryItems(db, {
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :pk AND begins_with(gsi1sk, :prefix)',
      ExpressionAttributeValues: { ':pk': index.gsi1pk, ':prefix': index.gsi1skPrefix },
      ProjectionExpression: 'tenantId',
    })) {
      if (typeof item.tenantId === 'string') tenants.add(item.tenantId);
    }
    return [...tenants];
  }

  return {
    /**
     * Asks for a user's erasure: 404 when Plinth knows no such user, 409 naming every tenant (not
     * deleted) of which they are the last owner. Idempotent: asking again returns the first request.
     */
    async requestUserErasure(userId: string, by: ErasureRequester) {
      const [identity, profileResult, memberships, formerTenants] = await Promise.all([
        deps.directory.getUser(userId),
        db.client.send(
          new GetCommand({ TableName: db.tableName, Key: keys.userProfile(userId), ConsistentRead: true }),
        ),
        membershipsOf(userId),
        formerTenantsOf(userId),
      ]);
      const profile = profileResult.Item;
      const pseudonym = pseudonymOf(deps.pseudonymKey, 'user', userId);
      const erasureId = userErasureId(pseudonym);
      if (!identity && !profile && memberships.length === 0) {
        const existing = await store.get(erasureId);
        if (existing) return accepted(existing);
        throw new NotFoundError('User not found.');
      }

      const owned = memberships.filter((m) => m.role === 'owner');
      const tenants = await batchRead(
        db,
        owned.map((m) => keys.tenant(m.tenantId)),
      );
      const lastOwned = owned.flatMap((m) => {
        const tenant = tenants.get(keyOf(keys.tenant(m.tenantId)));
        if (!tenant || tenant.status === 'deleted' || Number(tenant.ownerCount ?? 0) > 1) return [];
        return [`${String(tenant.name)} (${m.tenantId})`];
      });
      if (lastOwned.length > 0) {
        throw new ConflictError(
          `${by.kind === 'self' ? 'You are' : 'The user is'} the last owner of ${lastOwned.join(', ')}: make another member an owner, or delete the tenant, first.`,
        );
      }

      const email = (
        identity?.email ?? (typeof profile?.email === 'string' ? profile.email : undefined)
      )?.toLowerCase();
      // Tenants that invited them hold their email too (the invitation, its audit entry, the email sent).
      const invitedBy = email ? await invitingTenantsOf(email) : [];
      const now = deps.clock().toISOString();
      const joined = memberships.map((m) => m.joinedAt).sort()[0];
      const since =
        [profile?.createdAt, joined, now].filter((t): t is string => typeof t === 'string').sort()[0] ?? now;
      const { report } = await store.create(
        { erasureId, kind: 'user', subject: pseudonym, requestedBy: requestedBy(by), requestedAt: now },
        {
          kind: 'user',
          userId,
          email,
          tenantIds: [...new Set([...memberships.map((m) => m.tenantId), ...formerTenants, ...invitedBy])],
          since,
        },
        by.kind === 'operator'
          ? platformAuditSteps(
              db,
              {
                operatorId: by.operator.userId,
                action: 'user.erasure-requested',
                // The pseudonym, not the id: the platform log keeps no link to the erased person.
                target: { type: 'user', id: pseudonym },
                before: null,
                after: { erasureId },
                reason: by.reason,
                request: by.request,
              },
              deps,
            )
          : [],
      );
      return accepted(report);
    },

    /**
     * Asks for a soft-deleted tenant's purge (an operator now, or the schedule after the grace
     * period): 404 for an unknown tenant, 409 unless it is soft-deleted. Idempotent.
     */
    async requestTenantPurge(tenantId: string, by: ErasureRequester) {
      const erasureId = tenantErasureId(tenantId);
      const { Item: tenant } = await db.client.send(
        new GetCommand({ TableName: db.tableName, Key: keys.tenant(tenantId), ConsistentRead: true }),
      );
      if (!tenant) {
        const existing = await store.get(erasureId);
        if (existing) return accepted(existing);
        throw new NotFoundError('Tenant not found.');
      }
      if (tenant.status !== 'deleted') {
        throw new ConflictError(
          'Only a deleted tenant can be purged: delete it first (DELETE /v1/tenants/{tenantId}).',
        );
      }
      const now = deps.clock().toISOString();
      const { report } = await store.create(
        { erasureId, kind: 'tenant', subject: tenantId, requestedBy: requestedBy(by), requestedAt: now },
        { kind: 'tenant', tenantId, slug: String(tenant.slug), since: String(tenant.createdAt ?? now) },
        by.kind === 'operator'
          ? platformAuditSteps(
              db,
              {
                operatorId: by.operator.userId,
                action: 'tenant.purge-requested',
                target: { type: 'tenant', id: tenantId, tenantId },
                before: { status: 'deleted' },
                after: { erasureId },
                reason: by.reason,
                request: by.request,
              },
              deps,
            )
          : [],
      );
      return accepted(report);
    },

    /**
     * The schedule's half of the purge: every tenant soft-deleted more than `graceDays` ago (Query
     * gsi1 TENANT_PURGE_DUE) gets its purge requested. Returns how many were requested.
     */
    async requestDuePurges(now: Date, graceDays: number): Promise<number> {
      const cutoff = new Date(now.getTime() - graceDays * 86_400_000).toISOString();
      const due = keys.tenantsPurgeDueBefore(cutoff);
      let requested = 0;
      let start: Record<string, unknown> | undefined;
      do {
        const page = await db.client.send(
          new QueryCommand({
            TableName: db.tableName,
            IndexName: 'gsi1',
            KeyConditionExpression: 'gsi1pk = :pk AND gsi1sk < :before',
            ExpressionAttributeValues: { ':pk': due.gsi1pk, ':before': due.gsi1skBefore },
            ExclusiveStartKey: start,
          }),
        );
        for (const item of page.Items ?? []) {
          await this.requestTenantPurge(String(item.tenantId), { kind: 'schedule' });
          requested += 1;
        }
        start = page.LastEvaluatedKey;
      } while (start);
      return requested;
    },

    /**
     * An operator's retry of a blocked erasure, once its cause is removed (the subscription
     * cancelled, another owner named): back to pending, so the erasure-run schedule resumes it at
     * the refused step, every finished step kept. 404 for an unknown erasure, 409 unless it is
     * blocked. Platform-audited with the reason, naming only the erasure (its id holds no personal data).
     */
    async retry(erasureId: string, by: Extract<ErasureRequester, { kind: 'operator' }>) {
      const stored = await store.get(erasureId);
      if (!stored) throw new NotFoundError('Erasure not found.');
      if (stored.status !== 'blocked') {
        throw new ConflictError(`Only a blocked erasure can be retried: this one is ${stored.status}.`);
      }
      const refused = Object.entries(stored.steps)
        .filter(([, step]) => step.status === 'refused')
        .map(([step]) => step);
      await store.retry(
        stored,
        refused,
        platformAuditSteps(
          db,
          {
            operatorId: by.operator.userId,
            action: 'erasure.retried',
            target: { type: 'erasure', id: erasureId },
            before: {
              status: 'blocked',
              ...(stored.blockedReason ? { blockedReason: stored.blockedReason } : {}),
            },
            after: { status: 'pending' },
            reason: by.reason,
            request: by.request,
          },
          deps,
        ),
        () => new ConflictError('The erasure changed while it was being retried: read it again.'),
      );
      return accepted({ ...stored, status: 'pending' });
    },

    async get(erasureId: string): Promise<ErasureReport> {
      const stored = await store.get(erasureId);
      if (!stored) throw new NotFoundError('Erasure not found.');
      return reportOf(stored);
    },

    async list(query: { limit: number; cursor?: string | undefined; kind?: 'user' | 'tenant' | undefined }) {
      const { items, nextCursor } = await store.list(query);
      return { items: items.map(reportOf), ...(nextCursor ? { nextCursor } : {}) };
    },
  };
}

export type ErasureService = ReturnType<typeof createErasureService>;
