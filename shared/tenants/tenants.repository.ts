import { BatchGetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { type AuditEvent, auditStep } from '../audit/audit.writer.ts';
import { noChargingSubscriptionStep } from '../billing/billing.repository.ts';
import { NEW_TENANT_COUNTERS } from '../billing/limits.ts';
import type { Db } from '../db/client.ts';
import { keys, searchTerm } from '../db/keys.ts';
import { transactWrite } from '../db/transact.ts';
import { ConflictError, NotFoundError } from '../http/errors.ts';
import type { Clock, IdGenerator } from '../ids.ts';
import { joinSteps } from '../members/members.records.ts';
import type { Role } from '../tenancy/permissions.ts';
import { type MemberRecord, type TenantRecord, withoutKeys } from '../tenancy/records.ts';
import type { TenantContext } from '../tenancy/tenant-context.ts';

export interface Membership {
  readonly tenant: TenantRecord;
  readonly role: Role;
}

/** BatchGetItem takes at most 100 keys per call. */
const BATCH = 100;

export function createTenantRepository(db: Db, deps: { clock: Clock; newId: IdGenerator }) {
  return {
    /**
     * Creates a tenant with its owner in one transaction: the slug claim, the tenant (owner count
     * 1, usage counters for its one member and no projects), the owner's membership and email
     * guard, and the audit entry. The tenant, the slug claim and the owner's membership each carry
     * an operators' search entry (gsi2: name, slug, owner email).
     */
    async create(
      tenant: TenantRecord,
      owner: MemberRecord,
      audit: Omit<AuditEvent, 'tenantId'>,
    ): Promise<void> {
      await transactWrite(db, [
        {
          item: {
            Put: {
              TableName: db.tableName,
              Item: {
                ...keys.tenantSlug(tenant.slug),
                ...keys.tenantSearchEntry(searchTerm(tenant.slug), tenant.tenantId),
                type: 'tenant-slug',
                tenantId: tenant.tenantId,
              },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
          onConditionFailed: () => new ConflictError(`The slug "${tenant.slug}" is taken.`),
        },
        {
          item: {
            Put: {
              TableName: db.tableName,
              Item: {
                ...keys.tenant(tenant.tenantId),
                ...keys.tenantSearchEntry(searchTerm(tenant.name), tenant.tenantId),
                type: 'tenant',
                ...tenant,
                ...NEW_TENANT_COUNTERS,
              },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
        },
        ...joinSteps(db, owner),
        auditStep(db, { ...audit, tenantId: tenant.tenantId }, deps),
      ]);
    },

    /** The caller's active memberships with their tenants (gsi1 query, then one batch read per 100). */
    async listMemberships(userId: string): Promise<Membership[]> {
      const index = keys.membershipsOfUser(userId);
      const members: MemberRecord[] = [];
      let startKey: Record<string, unknown> | undefined;
      do {
        const page = await db.client.send(
          new QueryCommand({
            TableName: db.tableName,
            IndexName: 'gsi1',
            KeyConditionExpression: 'gsi1pk = :pk AND begins_with(gsi1sk, :prefix)',
            ExpressionAttributeValues: { ':pk': index.gsi1pk, ':prefix': index.gsi1skPrefix },
            ExclusiveStartKey: startKey,
          }),
        );
        members.push(...(page.Items ?? []).map((i) => withoutKeys(i) as MemberRecord));
        startKey = page.LastEvaluatedKey;
      } while (startKey);

      const active = members.filter((m) => m.status === 'active');
      const tenants = new Map<string, TenantRecord>();
      for (let i = 0; i < active.length; i += BATCH) {
        let request: Record<string, { Keys: Record<string, unknown>[] }> | undefined = {
          [db.tableName]: { Keys: active.slice(i, i + BATCH).map((m) => keys.tenant(m.tenantId)) },
        };
        while (request && Object.keys(request).length > 0) {
          const result = await db.client.send(new BatchGetCommand({ RequestItems: request }));
          for (const item of result.Responses?.[db.tableName] ?? []) {
            const tenant = withoutKeys(item) as TenantRecord;
            tenants.set(tenant.tenantId, tenant);
          }
          request = result.UnprocessedKeys as typeof request;
        }
      }
      return active.flatMap((m) => {
        const tenant = tenants.get(m.tenantId);
        return tenant && tenant.status !== 'deleted' ? [{ tenant, role: m.role }] : [];
      });
    },

    forTenant(ctx: TenantContext) {
      const audit = (event: Omit<AuditEvent, 'tenantId'>) =>
        auditStep(db, { ...event, tenantId: ctx.tenantId }, deps);
      const stillActive = () => new NotFoundError('Tenant not found.');
      return {
        /** Writes the tenant's settings (name, support access, MFA requirement) with the audit entry. */
        async update(
          settings: {
            readonly name: string;
            readonly supportAccess: boolean;
            readonly requireMfa: boolean;
            readonly updatedAt: string;
          },
          event: Omit<AuditEvent, 'tenantId'>,
        ): Promise<void> {
          // The operators' search entry follows the name.
          const entry = keys.tenantSearchEntry(searchTerm(settings.name), ctx.tenantId);
          await transactWrite(db, [
            {
              item: {
                Update: {
                  TableName: db.tableName,
                  Key: keys.tenant(ctx.tenantId),
                  UpdateExpression:
                    'SET #name = :name, supportAccess = :support, requireMfa = :requireMfa, updatedAt = :updatedAt, gsi2pk = :g2pk, gsi2sk = :g2sk',
                  ConditionExpression: '#status = :active',
                  ExpressionAttributeNames: { '#name': 'name', '#status': 'status' },
                  ExpressionAttributeValues: {
                    ':name': settings.name,
                    ':support': settings.supportAccess,
                    ':requireMfa': settings.requireMfa,
                    ':updatedAt': settings.updatedAt,
                    ':active': 'active',
                    ':g2pk': entry.gsi2pk,
                    ':g2sk': entry.gsi2sk,
                  },
                },
              },
              onConditionFailed: stillActive,
            },
            audit(event),
          ]);
        },

        /**
         * Soft delete: the tenant and its data stay, every member loses access at once. Only while
         * no subscription can still charge the tenant and no checkout is open (checked in the same
         * transaction; `billingChanged` is the error when that condition fails).
         */
        async markDeleted(
          updatedAt: string,
          event: Omit<AuditEvent, 'tenantId'>,
          billingChanged: () => Error,
        ): Promise<void> {
          await transactWrite(db, [
            noChargingSubscriptionStep(db, ctx.tenantId, updatedAt, billingChanged),
            {
              item: {
                Update: {
                  TableName: db.tableName,
                  Key: keys.tenant(ctx.tenantId),
                  // gsi1: the sparse index the tenant-purge schedule finds it by once its grace period ends.
                  UpdateExpression:
                    'SET #status = :deleted, updatedAt = :updatedAt, deletedAt = :updatedAt, gsi1pk = :purgePk, gsi1sk = :purgeSk',
                  ConditionExpression: '#status <> :deleted',
                  ExpressionAttributeNames: { '#status': 'status' },
                  ExpressionAttributeValues: {
                    ':deleted': 'deleted',
                    ':updatedAt': updatedAt,
                    ':purgePk': keys.tenantPurgeDue(updatedAt, ctx.tenantId).gsi1pk,
                    ':purgeSk': keys.tenantPurgeDue(updatedAt, ctx.tenantId).gsi1sk,
                  },
                },
              },
              onConditionFailed: stillActive,
            },
            audit(event),
          ]);
        },
      };
    },
  };
}

export type TenantRepository = ReturnType<typeof createTenantRepository>;
