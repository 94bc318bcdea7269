import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Db } from '../db/client.ts';
import { keys } from '../db/keys.ts';
import { queryPrefixPage } from '../db/page.ts';
import { transactWrite } from '../db/transact.ts';
import { ConflictError, NotFoundError } from '../http/errors.ts';
import type { Clock, IdGenerator } from '../ids.ts';
import { withoutKeys } from '../tenancy/records.ts';
import { profileOf, type UserProfile } from '../users/user-profile.ts';
import { batchRead, keyOf } from './batch-read.ts';
import { type PlatformAuditEvent, platformAuditSteps } from './platform-audit.ts';

type Item = Record<string, unknown>;

/** Who suspended an account, when and why, as stored on the profile or tenant item. */
export interface Suspension {
  readonly at: string;
  readonly by: string;
  readonly reason: string;
}

export interface TenantDetailRecord {
  readonly tenant: Item;
  readonly billing: Item | undefined;
  readonly members: Item[];
  readonly invoices: Item[];
  readonly audit: Item[];
}

export interface UserDetailRecord {
  readonly profile: UserProfile | undefined;
  readonly memberships: { member: Item; tenant: Item | undefined }[];
  /** The newest day (`YYYY-MM-DD`) with a platform-wide activity marker. */
  readonly lastActiveOn: string | undefined;
  readonly recentActivity: Item[];
}

/** How many of a user's tenants the detail reads recent activity from, and entries per tenant. */
const ACTIVITY_TENANTS = 20;
const ACTIVITY_ENTRIES = 20;

/** Audit for the change: the caller's event without the parts the repository knows. */
type AuditFor = Omit<PlatformAuditEvent, 'before' | 'after' | 'target'>;

/**
 * The table side of the operators' user and tenant actions. Operators are not members, so these
 * take ids, not a TenantContext: only admin use cases that passed the operator guard call them.
 */
export function createAccountsRepository(db: Db, deps: { clock: Clock; newId: IdGenerator }) {
  const audited = (event: PlatformAuditEvent) => platformAuditSteps(db, event, deps);

  async function queryNewest(
    index: { IndexName?: string; pkName: string; pk: string; skName: string; skPrefix: string },
    limit: number,
  ): Promise<Item[]> {
    const result = await db.client.send(
      new QueryCommand({
        TableName: db.tableName,
        IndexName: index.IndexName,
        KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
        ExpressionAttributeNames: { '#pk': index.pkName, '#sk': index.skName },
        ExpressionAttributeValues: { ':pk': index.pk, ':prefix': index.skPrefix },
        ScanIndexForward: false,
        Limit: limit,
      }),
    );
    return result.Items ?? [];
  }

  async function getProfile(userId: string): Promise<UserProfile | undefined> {
    const result = await db.client.send(
      new GetCommand({ TableName: db.tableName, Key: keys.userProfile(userId), ConsistentRead: true }),
    );
    return profileOf(result.Item);
  }

  return {
    getProfile,

    async getTenant(tenantId: string): Promise<Item | undefined> {
      const result = await db.client.send(
        new GetCommand({ TableName: db.tableName, Key: keys.tenant(tenantId), ConsistentRead: true }),
      );
      return result.Item ? withoutKeys(result.Item) : undefined;
    },

    /**
     * A tenant with what an operator looks at: billing state, the first 100 members, the 10 newest
     * invoices and the 20 newest audit entries (one BatchGet and three Queries, in parallel).
     */
    async tenantDetail(tenantId: string): Promise<TenantDetailRecord | undefined> {
      const [found, members, invoices, audit] = await Promise.all([
        batchRead(db, [keys.tenant(tenantId), keys.billing(tenantId)], { consistentRead: true }),
        queryPrefixPage(db, keys.membersPrefix(tenantId), 'admin-members', { limit: 100 }),
        queryPrefixPage(
          db,
          keys.invoicesPrefix(tenantId),
          'admin-invoices',
          { limit: 10 },
          { newestFirst: true },
        ),
        queryPrefixPage(
          db,
          { pk: keys.auditRange(tenantId).pk, skPrefix: 'AUDIT#' },
          'admin-audit',
          { limit: 20 },
          { newestFirst: true },
        ),
      ]);
      const tenant = found.get(keyOf(keys.tenant(tenantId)));
      if (!tenant) return undefined;
      const billing = found.get(keyOf(keys.billing(tenantId)));
      return {
        tenant: withoutKeys(tenant),
        billing: billing ? withoutKeys(billing) : undefined,
        members: members.items.map(withoutKeys),
        invoices: invoices.items.map(withoutKeys),
        audit: audit.items.map(withoutKeys),
      };
    },

    /**
     * A user's profile, memberships (every status) with their tenants, last active day and recent
     * audit entries as actor: bounded to their first {@link ACTIVITY_TENANTS} tenants, each read
     * newest first from the actor index (gsi1 `TENANT#<id>#ACTOR#<userId>`).
     */
    async userDetail(userId: string): Promise<UserDetailRecord> {
      const index = keys.membershipsOfUser(userId);
      const activity = keys.userActivityDays(userId);
      const [profile, members, activeDays] = await Promise.all([
        getProfile(userId),
        queryNewest(
          {
            IndexName: 'gsi1',
            pkName: 'gsi1pk',
            pk: index.gsi1pk,
            skName: 'gsi1sk',
            skPrefix: index.gsi1skPrefix,
          },
          100,
        ),
        queryNewest({ pkName: 'pk', pk: activity.pk, skName: 'sk', skPrefix: activity.skPrefix }, 1),
      ]);
      const tenantIds = members.map((m) => String(m.tenantId));
      const [tenants, ...activityPerTenant] = await Promise.all([
        batchRead(
          db,
          tenantIds.map((id) => keys.tenant(id)),
        ),
        ...tenantIds.slice(0, ACTIVITY_TENANTS).map((tenantId) =>
          queryNewest(
            {
              IndexName: 'gsi1',
              pkName: 'gsi1pk',
              pk: keys.auditByActor(tenantId, userId).gsi1pk,
              skName: 'gsi1sk',
              skPrefix: 'AUDIT#',
            },
            ACTIVITY_ENTRIES,
          ),
        ),
      ]);
      const recentActivity = activityPerTenant
        .flat()
        .map(withoutKeys)
        .sort((a, b) => String(b.at).localeCompare(String(a.at)))
        .slice(0, ACTIVITY_ENTRIES);
      const lastSeen = activeDays[0]?.sk;
      return {
        profile,
        memberships: members.map((m) => {
          const tenant = tenants.get(keyOf(keys.tenant(String(m.tenantId))));
          return { member: withoutKeys(m), tenant: tenant ? withoutKeys(tenant) : undefined };
        }),
        // `PA_SEEN#D2026-12-02`
        lastActiveOn: typeof lastSeen === 'string' ? lastSeen.slice('PA_SEEN#D'.length) : undefined,
        recentActivity,
      };
    },

    /**
     * Flags the user's profile suspended (creating it if the user never had one) and writes the
     * platform audit entry, in one transaction; 409 when already suspended.
     */
    async suspendUser(userId: string, suspension: Suspension, audit: AuditFor): Promise<void> {
      await transactWrite(db, [
        {
          item: {
            Update: {
              TableName: db.tableName,
              Key: keys.userProfile(userId),
              UpdateExpression:
                'SET #status = :suspended, suspendedAt = :at, suspendedBy = :by, suspensionReason = :reason, userId = :userId, #type = :type',
              ConditionExpression: 'attribute_not_exists(#status) OR #status <> :suspended',
              ExpressionAttributeNames: { '#status': 'status', '#type': 'type' },
              ExpressionAttributeValues: {
                ':suspended': 'suspended',
                ':at': suspension.at,
                ':by': suspension.by,
                ':reason': suspension.reason,
                ':userId': userId,
                ':type': 'user-profile',
              },
            },
          },
          onConditionFailed: () => new ConflictError('The user is already suspended.'),
        },
        ...audited({
          ...audit,
          target: { type: 'user', id: userId, userId },
          before: { status: 'active' },
          after: { status: 'suspended' },
        }),
      ]);
    },

    /** Clears the suspension flag and audits it, in one transaction; 409 when not suspended. */
    async reactivateUser(userId: string, before: Suspension, audit: AuditFor): Promise<void> {
      await transactWrite(db, [
        {
          item: {
            Update: {
              TableName: db.tableName,
              Key: keys.userProfile(userId),
              UpdateExpression: 'SET #status = :active REMOVE suspendedAt, suspendedBy, suspensionReason',
              ConditionExpression: '#status = :suspended',
              ExpressionAttributeNames: { '#status': 'status' },
              ExpressionAttributeValues: { ':active': 'active', ':suspended': 'suspended' },
            },
          },
          onConditionFailed: () => new ConflictError('The user is not suspended.'),
        },
        ...audited({
          ...audit,
          target: { type: 'user', id: userId, userId },
          before: { status: 'suspended', suspendedAt: before.at, suspendedBy: before.by },
          after: { status: 'active' },
        }),
      ]);
    },

    /**
     * Moves the tenant from `from` to `to` status (active ↔ suspended) with its audit entry (also in
     * the tenant's own log, as support), in one transaction: 404 for a tenant that does not exist,
     * 409 when it is not in `from` (already suspended, deleted, …).
     */
    async setTenantStatus(
      tenantId: string,
      change: { from: 'active' | 'suspended'; to: 'active' | 'suspended'; suspension?: Suspension },
      audit: AuditFor,
    ): Promise<void> {
      const now = deps.clock().toISOString();
      const set = change.suspension
        ? 'SET #status = :to, updatedAt = :now, suspendedAt = :at, suspendedBy = :by, suspensionReason = :reason'
        : 'SET #status = :to, updatedAt = :now REMOVE suspendedAt, suspendedBy, suspensionReason';
      await transactWrite(db, [
        {
          item: {
            Update: {
              TableName: db.tableName,
              Key: keys.tenant(tenantId),
              UpdateExpression: set,
              ConditionExpression: '#status = :from',
              ExpressionAttributeNames: { '#status': 'status' },
              ExpressionAttributeValues: {
                ':to': change.to,
                ':from': change.from,
                ':now': now,
                ...(change.suspension
                  ? {
                      ':at': change.suspension.at,
                      ':by': change.suspension.by,
                      ':reason': change.suspension.reason,
                    }
                  : {}),
              },
            },
          },
          onConditionFailed: () =>
            new ConflictError(
              change.to === 'suspended'
                ? 'Only an active tenant can be suspended.'
                : 'The tenant is not suspended.',
            ),
        },
        ...audited({
          ...audit,
          target: { type: 'tenant', id: tenantId, tenantId },
          before: { status: change.from },
          after: { status: change.to },
        }),
      ]);
    },

    /** Audits a change made in the user pool only (a password reset). */
    async audit(event: PlatformAuditEvent): Promise<void> {
      await transactWrite(db, audited(event));
    },

    notFound: (what: 'Tenant' | 'User') => new NotFoundError(`${what} not found.`),
  };
}

export type AccountsRepository = ReturnType<typeof createAccountsRepository>;
