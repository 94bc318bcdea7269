import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { BillingState } from '../billing/billing.schema.ts';
import { effectivePlan } from '../billing/entitlements.ts';
import type { Db } from '../db/client.ts';
import { decodeCursor, encodeCursor } from '../db/cursor.ts';
import { keys } from '../db/keys.ts';
import type { Page, PageRequest } from '../db/page.ts';
import { type TransactStep, transactWrite } from '../db/transact.ts';
import { communicationStep, excerptOf } from '../mail/communications.ts';
import type { Role } from '../tenancy/permissions.ts';
import type { AnnouncementStatus, Audience, Severity } from './announcements.schema.ts';
import type { AudienceMembership } from './audience.ts';

/** An announcement as stored (without its keys). */
export interface AnnouncementRecord {
  readonly announcementId: string;
  readonly title: string;
  readonly body: string;
  readonly severity: Severity;
  readonly audience: Audience;
  readonly publishAt: string;
  readonly expiresAt: string;
  readonly email: boolean;
  /** `pending` while an emailed announcement waits for its mail run, `started` once it began. */
  readonly emailStatus: 'none' | 'pending' | 'started';
  readonly createdAt: string;
  readonly createdBy: string;
  readonly updatedAt: string;
  readonly withdrawnAt: string | null;
  readonly version: number;
}

/** The write's version condition failed: the announcement changed since it was read. */
export class StaleAnnouncementError extends Error {
  constructor(announcementId: string) {
    super(`Announcement ${announcementId} changed since it was read.`);
    this.name = 'StaleAnnouncementError';
  }
}

/** Dismissals outlive their announcement by this long, then expire. */
const DISMISSAL_TTL_AFTER_EXPIRY_SECONDS = 30 * 24 * 60 * 60;
/** BatchGetItem takes at most 100 keys per call. */
const BATCH = 100;

const ANNOUNCEMENT_FIELDS = [
  'announcementId',
  'title',
  'body',
  'severity',
  'audience',
  'publishAt',
  'expiresAt',
  'email',
  'emailStatus',
  'createdAt',
  'createdBy',
  'updatedAt',
  'withdrawnAt',
  'version',
] as const;

function toRecord(item: Record<string, unknown>): AnnouncementRecord {
  const record = Object.fromEntries(ANNOUNCEMENT_FIELDS.map((f) => [f, item[f]]));
  return { ...record, withdrawnAt: item.withdrawnAt ?? null } as unknown as AnnouncementRecord;
}

/**
 * The stored item: keys, and the live index entry while it is not withdrawn. `withdrawnAt` is
 * stored only once set, so the status filters test for its presence.
 */
function itemOf(record: AnnouncementRecord): Record<string, unknown> {
  const { withdrawnAt, ...rest } = record;
  return {
    ...keys.announcement(record.announcementId),
    ...(withdrawnAt ? { withdrawnAt } : keys.announcementLive(record.expiresAt, record.announcementId)),
    type: 'announcement',
    ...rest,
  };
}

/** What a status filter asks of the stored times, at `now` (ISO times compare as strings). */
function statusFilter(status: AnnouncementStatus | undefined, now: string) {
  const live = 'attribute_not_exists(withdrawnAt)';
  switch (status) {
    case 'withdrawn':
      return { expression: 'attribute_exists(withdrawnAt)', values: {} };
    case 'scheduled':
      return { expression: `${live} AND publishAt > :now`, values: { ':now': now } };
    case 'active':
      return { expression: `${live} AND publishAt <= :now AND expiresAt > :now`, values: { ':now': now } };
    case 'expired':
      return { expression: `${live} AND expiresAt <= :now`, values: { ':now': now } };
    default:
      return undefined;
  }
}

/** The user's side of targeting: their memberships (with plan) and which announcements they dismissed. */
export interface UserAudienceFacts {
  readonly memberships: AudienceMembership[];
  readonly dismissed: ReadonlySet<string>;
}

/** The delivery marker existed: the history has the entry already. */
class AlreadyDelivered extends Error {}

export function createAnnouncementRepository(db: Db) {
  async function batchGet(keyList: readonly Record<string, string>[]): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    for (let i = 0; i < keyList.length; i += BATCH) {
      let request: Record<string, { Keys: Record<string, unknown>[] }> | undefined = {
        [db.tableName]: { Keys: keyList.slice(i, i + BATCH) },
      };
      while (request && Object.keys(request).length > 0) {
        const result = await db.client.send(new BatchGetCommand({ RequestItems: request }));
        items.push(...(result.Responses?.[db.tableName] ?? []));
        request = result.UnprocessedKeys as typeof request;
      }
    }
    return items;
  }

  return {
    async create(record: AnnouncementRecord, audit: readonly TransactStep[]): Promise<void> {
      await transactWrite(db, [
        {
          item: {
            Put: {
              TableName: db.tableName,
              Item: itemOf(record),
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
        },
        ...audit,
      ]);
    },

    /** One announcement, strongly consistent; undefined when there is none. */
    async get(announcementId: string): Promise<AnnouncementRecord | undefined> {
      const { Item } = await db.client.send(
        new GetCommand({
          TableName: db.tableName,
          Key: keys.announcement(announcementId),
          ConsistentRead: true,
        }),
      );
      return Item ? toRecord(Item) : undefined;
    },

    /**
     * Replaces the announcement with `after` (its live index entry follows its expiry, and goes when
     * withdrawn), with the audit steps, on condition that the stored version is still `expected`.
     */
    async replace(
      after: AnnouncementRecord,
      expected: number,
      audit: readonly TransactStep[],
    ): Promise<void> {
      await transactWrite(db, [
        {
          item: {
            Put: {
              TableName: db.tableName,
              Item: itemOf(after),
              ConditionExpression: '#version = :expected',
              ExpressionAttributeNames: { '#version': 'version' },
              ExpressionAttributeValues: { ':expected': expected },
            },
          },
          onConditionFailed: () => new StaleAnnouncementError(after.announcementId),
        },
        ...audit,
      ]);
    },

    /** A page of every announcement, newest first, optionally only those with `status` at `now`. */
    async list(
      status: AnnouncementStatus | undefined,
      now: Date,
      page: PageRequest,
    ): Promise<Page<AnnouncementRecord>> {
      const prefix = keys.announcementsPrefix();
      const binding = { partition: prefix.pk, scope: `announcements:${status ?? 'all'}` };
      const filter = statusFilter(status, now.toISOString());
      const result = await db.client.send(
        new QueryCommand({
          TableName: db.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ...(filter ? { FilterExpression: filter.expression } : {}),
          ExpressionAttributeValues: { ':pk': prefix.pk, ':prefix': prefix.skPrefix, ...filter?.values },
          ScanIndexForward: false,
          Limit: page.limit,
          ExclusiveStartKey: decodeCursor(page.cursor, binding, 'pk', {
            from: prefix.skPrefix,
            to: `${prefix.skPrefix}~`,
          }),
        }),
      );
      return {
        items: (result.Items ?? []).map(toRecord),
        nextCursor: encodeCursor(result.LastEvaluatedKey, binding),
      };
    },

    /**
     * The announcements neither withdrawn nor expired at `now` (scheduled ones included): the live
     * index from now on, every page (a small set: operators publish a handful at a time).
     */
    async live(now: Date): Promise<AnnouncementRecord[]> {
      const index = keys.announcementsLiveAfter(now.toISOString());
      const records: AnnouncementRecord[] = [];
      let startKey: Record<string, unknown> | undefined;
      do {
        const page = await db.client.send(
          new QueryCommand({
            TableName: db.tableName,
            IndexName: 'gsi1',
            KeyConditionExpression: 'gsi1pk = :pk AND gsi1sk > :now',
            ExpressionAttributeValues: { ':pk': index.gsi1pk, ':now': index.gsi1skAfter },
            ExclusiveStartKey: startKey,
          }),
        );
        records.push(...(page.Items ?? []).map(toRecord));
        startKey = page.LastEvaluatedKey;
      } while (startKey);
      return records;
    },

    /**
     * A user's active memberships with their tenants' effective plans, and which of `announcementIds`
     * they dismissed: one query of their memberships (gsi1 USER#), then one BatchGet per 100 keys of
     * their tenants, billing items and dismissals. `withMemberships: false` skips the memberships.
     */
    async userFacts(
      userId: string,
      announcementIds: readonly string[],
      options: { readonly withMemberships: boolean },
    ): Promise<UserAudienceFacts> {
      const members: { tenantId: string; role: Role }[] = [];
      if (options.withMemberships) {
        const index = keys.membershipsOfUser(userId);
        let startKey: Record<string, unknown> | undefined;
        do {
          const page = await db.client.send(
            new QueryCommand({
              TableName: db.tableName,
              IndexName: 'gsi1',
              KeyConditionExpression: 'gsi1pk = :pk AND begins_with(gsi1sk, :prefix)',
              FilterExpression: '#status = :active',
              ProjectionExpression: 'tenantId, #role',
              ExpressionAttributeNames: { '#status': 'status', '#role': 'role' },
              ExpressionAttributeValues: {
                ':pk': index.gsi1pk,
                ':prefix': index.gsi1skPrefix,
                ':active': 'active',
              },
              ExclusiveStartKey: startKey,
            }),
          );
          for (const item of page.Items ?? [])
            members.push({ tenantId: String(item.tenantId), role: item.role as Role });
          startKey = page.LastEvaluatedKey;
        } while (startKey);
      }
      const items = await batchGet([
        ...members.flatMap((m) => [keys.tenant(m.tenantId), keys.billing(m.tenantId)]),
        ...announcementIds.map((id) => keys.announcementDismissal(userId, id)),
      ]);
      const tenants = new Map<string, Record<string, unknown>>();
      const billing = new Map<string, Record<string, unknown>>();
      const dismissed = new Set<string>();
      for (const item of items) {
        if (item.sk === 'TENANT') tenants.set(String(item.tenantId), item);
        else if (item.sk === 'BILLING') billing.set(String(item.tenantId), item);
        else if (typeof item.announcementId === 'string') dismissed.add(item.announcementId);
      }
      const memberships = members.flatMap((m): AudienceMembership[] => {
        const tenant = tenants.get(m.tenantId);
        if (!tenant || tenant.status === 'deleted') return [];
        const state = billing.get(m.tenantId);
        const plan = state ? effectivePlan(state as unknown as BillingState) : 'free';
        return [{ tenantId: m.tenantId, role: m.role, plan }];
      });
      return { memberships, dismissed };
    },

    /** Which of these tenant ids name a tenant (deleted ones too); one BatchGet per 100. */
    async existingTenants(tenantIds: readonly string[]): Promise<Set<string>> {
      const items = await batchGet(tenantIds.map((id) => keys.tenant(id)));
      return new Set(items.map((i) => String(i.tenantId)));
    },

    /** Records that the user dismissed the announcement (a repeat rewrites the same item). */
    async dismiss(userId: string, announcement: AnnouncementRecord, at: Date): Promise<void> {
      await db.client
        .send(
          new PutCommand({
            TableName: db.tableName,
            Item: {
              ...keys.announcementDismissal(userId, announcement.announcementId),
              type: 'announcement-dismissal',
              announcementId: announcement.announcementId,
              dismissedAt: at.toISOString(),
              ttl:
                Math.floor(new Date(announcement.expiresAt).getTime() / 1000) +
                DISMISSAL_TTL_AFTER_EXPIRY_SECONDS,
            },
            // A repeat keeps the first dismissal's time.
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        )
        .catch((error: unknown) => {
          if (!(error instanceof ConditionalCheckFailedException)) throw error;
        });
    },

    /**
     * Records in the tenant's communication history that the announcement was shown to its people,
     * once: a marker put only if absent, in one transaction with the history entry. False when it
     * was recorded before.
     */
    async recordDelivery(
      announcement: AnnouncementRecord,
      tenantId: string,
      at: Date,
      communicationId: string,
    ): Promise<boolean> {
      try {
        await transactWrite(db, [
          {
            item: {
              Put: {
                TableName: db.tableName,
                Item: {
                  ...keys.announcementDelivered(tenantId, announcement.announcementId),
                  type: 'announcement-delivered',
                  announcementId: announcement.announcementId,
                  deliveredAt: at.toISOString(),
                  ttl:
                    Math.floor(new Date(announcement.expiresAt).getTime() / 1000) +
                    DISMISSAL_TTL_AFTER_EXPIRY_SECONDS,
                },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
            onConditionFailed: () => new AlreadyDelivered(),
          },
          communicationStep(
            db,
            tenantId,
            {
              kind: 'announcement',
              direction: 'outbound',
              subject: announcement.title,
              excerpt: excerptOf(announcement.body),
              status: 'delivered',
              announcementId: announcement.announcementId,
            },
            at.toISOString(),
            communicationId,
          ),
        ]);
        return true;
      } catch (error) {
        if (error instanceof AlreadyDelivered) return false;
        throw error;
      }
    },

    /** Marks an emailed announcement's mail run as started; false when it was not pending any more. */
    async markEmailStarted(announcementId: string): Promise<boolean> {
      try {
        await db.client.send(
          new UpdateCommand({
            TableName: db.tableName,
            Key: keys.announcement(announcementId),
            // A new version: an edit based on the pending state is refused (412), not applied over it.
            UpdateExpression: 'SET emailStatus = :started, #version = #version + :one',
            ConditionExpression: 'emailStatus = :pending',
            ExpressionAttributeNames: { '#version': 'version' },
            ExpressionAttributeValues: { ':started': 'started', ':pending': 'pending', ':one': 1 },
          }),
        );
        return true;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return false;
        throw error;
      }
    },
  };
}

export type AnnouncementRepository = ReturnType<typeof createAnnouncementRepository>;
