import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { type AuditEvent, auditStep } from '../audit/audit.writer.ts';
import type { BillingState } from '../billing/billing.schema.ts';
import { counterStep, type Limit } from '../billing/limits.ts';
import type { Db } from '../db/client.ts';
import { keys } from '../db/keys.ts';
import { type Page, queryPrefixPage } from '../db/page.ts';
import { type TransactStep, transactWrite } from '../db/transact.ts';
import { ConflictError } from '../http/errors.ts';
import type { Clock, IdGenerator } from '../ids.ts';
import { joinSteps } from '../members/members.records.ts';
import type { Member } from '../members/members.schema.ts';
import { withoutKeys } from '../tenancy/records.ts';
import type { TenantContext } from '../tenancy/tenant-context.ts';
import type { Identity } from '../users/identity-directory.ts';
import { type StoredInvitation, ttlFor } from './invitation-expiry.ts';
import { PendingInvitationExistsError } from './invitations.errors.ts';

type Audit = Omit<AuditEvent, 'tenantId'>;

/** Invitations of one tenant, as its members manage them; only reachable through a {@link TenantContext}. */
export interface TenantInvitationRepository {
  list(options: { limit: number; cursor?: string | undefined }): Promise<Page<StoredInvitation>>;
  get(invitationId: string): Promise<StoredInvitation | undefined>;
  /**
   * Stores a pending invitation, claims the email's pending guard and reserves a seat on the
   * tenant's counters, in one transaction. Throws a 409 when the email is already a member,
   * {@link PendingInvitationExistsError} when the email's guard is held (by an open invitation, or
   * by an expired one not yet reclaimed), and `seats.reached()` when members plus pending
   * invitations already fill `seats.max`.
   */
  create(invitation: StoredInvitation, audit: Audit, seats: Limit): Promise<void>;
  /** The invitation the email's pending guard names, if any (it may have expired since). */
  findPending(email: string): Promise<StoredInvitation | undefined>;
  /**
   * Pending → revoked, frees the guard and its seat; 409 unless still pending and unexpired at
   * `revokedAt`.
   */
  revoke(revoked: StoredInvitation & { revokedAt: string; revokedBy: string }, audit: Audit): Promise<void>;
  /**
   * Frees the guard and the seat of every invitation expired at `now` (expiry is a matter of time,
   * not a write, so an expired invitation holds its seat until reclaimed). Each reclaim is its own
   * conditional transaction; one that lost a race to an accept, a revoke or another reclaim is
   * skipped. Returns how many seats were freed.
   */
  reclaimExpired(now: Date): Promise<number>;
}

/**
 * Invitations addressed to one person, found by their verified email: the invitation itself is
 * the proof that lets a non-member reach the tenant, so no tenant id comes from the request.
 */
export interface InviteeInvitationRepository {
  /** Stored-pending invitations for the email (expired ones included; the caller filters by time). */
  listPending(): Promise<StoredInvitation[]>;
  get(invitationId: string): Promise<StoredInvitation | undefined>;
  /**
   * The billing state of the invitation's tenant (absent: the free plan), whose entitlements the
   * acceptance is held to.
   */
  billingOf(tenantId: string): Promise<Pick<BillingState, 'plan' | 'status' | 'restricted'>>;
  /**
   * In one transaction: pending → accepted (on condition it is still pending and unexpired at
   * `acceptedAt`), frees the guard, writes the membership and its email guard, and on the tenant
   * item (on condition it is active and has fewer than `seats.max` members) moves the seat from
   * pending invitations to members and counts a new owner; writes the audit entries. Throws
   * `seats.reached()` when the tenant has no seat left (after a downgrade), 409 when it is not active.
   */
  accept(
    accepted: StoredInvitation & { acceptedAt: string; acceptedBy: string },
    member: Member,
    audits: readonly Audit[],
    seats: Limit,
  ): Promise<void>;
}

/** Pages a person's invitations are read in; a person has few, this only bounds a pathological case. */
const MAX_INVITEE_PAGES = 10;

const FREE: Pick<BillingState, 'plan' | 'status' | 'restricted'> = {
  plan: 'free',
  status: 'none',
  restricted: false,
};

const notOpen = () =>
  new ConflictError('The invitation is no longer pending: it was accepted, revoked or has expired.');
const tenantInactive = () => new ConflictError('This tenant no longer accepts new members.');

/** The tenant item's condition failed on accept: which part (status or seats) is read afterwards. */
class TenantRefusedJoinError extends Error {
  constructor() {
    super('The tenant item refused the join.');
    this.name = 'TenantRefusedJoinError';
  }
}

/** A reclaim that lost its race (the guard was accepted, revoked, replaced or reclaimed meanwhile). */
class AlreadyReclaimedError extends Error {
  constructor() {
    super('The pending guard was already freed.');
    this.name = 'AlreadyReclaimedError';
  }
}

export function createInvitationRepository(db: Db, deps: { clock: Clock; newId: IdGenerator }) {
  const invitationKey = (i: Pick<StoredInvitation, 'tenantId' | 'invitationId' | 'email'>) => {
    const { gsi1pk: _g, gsi1sk: _s, ...key } = keys.invitation(i.tenantId, i.invitationId, i.email);
    return key;
  };
  const fromItem = (item: Record<string, unknown>) => withoutKeys(item) as unknown as StoredInvitation;

  /** The guard is freed only if it is this invitation's (an expired one may have been replaced). */
  const freeGuard = (invitation: StoredInvitation): TransactStep => ({
    item: {
      Delete: {
        TableName: db.tableName,
        Key: keys.pendingInvitation(invitation.tenantId, invitation.email),
        ConditionExpression: 'invitationId = :id',
        ExpressionAttributeValues: { ':id': invitation.invitationId },
      },
    },
    onConditionFailed: notOpen,
  });

  /** Moves a pending, unexpired (at `at`) invitation to `status`, setting the given fields too. */
  const closeStep = (
    invitation: StoredInvitation,
    status: 'accepted' | 'revoked',
    at: string,
    fields: Record<string, string>,
  ): TransactStep => {
    const names = Object.keys(fields);
    return {
      item: {
        Update: {
          TableName: db.tableName,
          Key: invitationKey(invitation),
          UpdateExpression: `SET #status = :status, ${names.map((n) => `#${n} = :${n}`).join(', ')}`,
          ConditionExpression: '#status = :pending AND expiresAt > :now',
          ExpressionAttributeNames: {
            '#status': 'status',
            ...Object.fromEntries(names.map((n) => [`#${n}`, n])),
          },
          ExpressionAttributeValues: {
            ':status': status,
            ':pending': 'pending',
            ':now': at,
            ...Object.fromEntries(names.map((n) => [`:${n}`, fields[n]])),
          },
        },
      },
      onConditionFailed: notOpen,
    };
  };

  return {
    forTenant(ctx: TenantContext): TenantInvitationRepository {
      const { tenantId } = ctx;
      const audit = (event: Audit) => auditStep(db, { ...event, tenantId }, deps);

      const get = async (invitationId: string) => {
        const result = await db.client.send(
          new GetCommand({
            TableName: db.tableName,
            // The email is only part of the index key, so the table key is the same for any email.
            Key: invitationKey({ tenantId, invitationId, email: '' }),
            ConsistentRead: true,
          }),
        );
        return result.Item ? fromItem(result.Item) : undefined;
      };

      return {
        async list(page) {
          const { items, nextCursor } = await queryPrefixPage(
            db,
            keys.invitationsPrefix(tenantId),
            'invitations',
            page,
          );
          return { items: items.map(fromItem), nextCursor };
        },

        get,

        async create(invitation, event, seats) {
          const ttl = ttlFor(new Date(invitation.expiresAt));
          await transactWrite(db, [
            {
              item: {
                ConditionCheck: {
                  TableName: db.tableName,
                  Key: keys.memberEmail(tenantId, invitation.email),
                  ConditionExpression: 'attribute_not_exists(pk)',
                },
              },
              onConditionFailed: () =>
                new ConflictError(`${invitation.email} is already a member of this tenant.`),
            },
            {
              item: {
                Put: {
                  TableName: db.tableName,
                  // No ttl: the guard holds a seat on the tenant's counters, so only a transaction
                  // that frees the seat too may delete it (accept, revoke, reclaimExpired).
                  Item: {
                    ...keys.pendingInvitation(tenantId, invitation.email),
                    type: 'invitation-email',
                    invitationId: invitation.invitationId,
                    role: invitation.role,
                    expiresAt: invitation.expiresAt,
                  },
                  // An expired guard is reclaimed (seat freed) before the email is invited again.
                  ConditionExpression: 'attribute_not_exists(pk)',
                },
              },
              onConditionFailed: () => new PendingInvitationExistsError(invitation.email),
            },
            {
              item: {
                Put: {
                  TableName: db.tableName,
                  Item: {
                    ...keys.invitation(tenantId, invitation.invitationId, invitation.email),
                    type: 'invitation',
                    ttl,
                    ...invitation,
                  },
                  ConditionExpression: 'attribute_not_exists(pk)',
                },
              },
              onConditionFailed: () => new ConflictError('The invitation already exists.'),
            },
            counterStep(
              db,
              tenantId,
              { pendingInvitations: 1 },
              {
                conditions: [{ kind: 'below', counter: 'reservedSeats', max: seats.max }],
                onConditionFailed: seats.reached,
              },
            ),
            audit(event),
          ]);
        },

        async findPending(email) {
          const result = await db.client.send(
            new GetCommand({
              TableName: db.tableName,
              Key: keys.pendingInvitation(tenantId, email),
              ConsistentRead: true,
            }),
          );
          const invitationId = result.Item?.invitationId;
          return typeof invitationId === 'string' ? get(invitationId) : undefined;
        },

        async revoke(revoked, event) {
          await transactWrite(db, [
            closeStep(revoked, 'revoked', revoked.revokedAt, {
              revokedAt: revoked.revokedAt,
              revokedBy: revoked.revokedBy,
            }),
            freeGuard(revoked),
            counterStep(db, tenantId, { pendingInvitations: -1 }),
            audit(event),
          ]);
        },

        async reclaimExpired(now) {
          const prefix = keys.pendingInvitationsPrefix(tenantId);
          const at = now.toISOString();
          const expired: { email: string; invitationId: string }[] = [];
          let startKey: Record<string, unknown> | undefined;
          do {
            const page = await db.client.send(
              new QueryCommand({
                TableName: db.tableName,
                KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
                FilterExpression: 'expiresAt <= :now',
                ExpressionAttributeValues: { ':pk': prefix.pk, ':prefix': prefix.skPrefix, ':now': at },
                ConsistentRead: true,
                ExclusiveStartKey: startKey,
              }),
            );
            for (const item of page.Items ?? []) {
              expired.push({
                email: String(item.sk).slice(prefix.skPrefix.length),
                invitationId: String(item.invitationId),
              });
            }
            startKey = page.LastEvaluatedKey;
          } while (startKey);

          let freed = 0;
          for (const guard of expired) {
            try {
              await transactWrite(db, [
                {
                  item: {
                    Delete: {
                      TableName: db.tableName,
                      Key: keys.pendingInvitation(tenantId, guard.email),
                      ConditionExpression: 'invitationId = :id AND expiresAt <= :now',
                      ExpressionAttributeValues: { ':id': guard.invitationId, ':now': at },
                    },
                  },
                  onConditionFailed: () => new AlreadyReclaimedError(),
                },
                counterStep(db, tenantId, { pendingInvitations: -1 }),
              ]);
              freed += 1;
            } catch (error) {
              if (!(error instanceof AlreadyReclaimedError)) throw error;
            }
          }
          return freed;
        },
      };
    },

    forInvitee(identity: Identity): InviteeInvitationRepository {
      // The email is the proof of who the invitee is; an unverified one proves nothing.
      if (!identity.emailVerified) throw new Error('forInvitee needs a verified email');
      const { email } = identity;

      return {
        async listPending() {
          const index = keys.invitationsForEmail(email);
          const found: StoredInvitation[] = [];
          let startKey: Record<string, unknown> | undefined;
          for (let page = 0; page < MAX_INVITEE_PAGES; page++) {
            const result = await db.client.send(
              new QueryCommand({
                TableName: db.tableName,
                IndexName: 'gsi1',
                KeyConditionExpression: 'gsi1pk = :pk AND begins_with(gsi1sk, :prefix)',
                FilterExpression: '#status = :pending',
                ExpressionAttributeNames: { '#status': 'status' },
                ExpressionAttributeValues: {
                  ':pk': index.gsi1pk,
                  ':prefix': index.gsi1skPrefix,
                  ':pending': 'pending',
                },
                ExclusiveStartKey: startKey,
              }),
            );
            found.push(...(result.Items ?? []).map(fromItem));
            startKey = result.LastEvaluatedKey;
            if (!startKey) break;
          }
          return found;
        },

        async get(invitationId) {
          const key = keys.invitationForEmail(email, invitationId);
          const result = await db.client.send(
            new QueryCommand({
              TableName: db.tableName,
              IndexName: 'gsi1',
              KeyConditionExpression: 'gsi1pk = :pk AND gsi1sk = :sk',
              ExpressionAttributeValues: { ':pk': key.gsi1pk, ':sk': key.gsi1sk },
            }),
          );
          const item = result.Items?.[0];
          return item ? fromItem(item) : undefined;
        },

        async billingOf(tenantId) {
          const result = await db.client.send(
            new GetCommand({ TableName: db.tableName, Key: keys.billing(tenantId), ConsistentRead: true }),
          );
          const item = result.Item as Partial<BillingState> | undefined;
          return item?.plan && item.status
            ? { plan: item.plan, status: item.status, restricted: item.restricted === true }
            : FREE;
        },

        async accept(accepted, member, events, seats) {
          const { tenantId } = accepted;
          // One Update of the tenant item (a transaction touches an item once): the seat moves
          // from pending to members, within the plan's seats, only while the tenant is active.
          const joined = counterStep(
            db,
            tenantId,
            { members: 1, pendingInvitations: -1, ...(member.role === 'owner' ? { owners: 1 } : {}) },
            {
              conditions: [{ kind: 'active' }, { kind: 'below', counter: 'memberCount', max: seats.max }],
              onConditionFailed: () => new TenantRefusedJoinError(),
            },
          );
          try {
            await transactWrite(db, [
              closeStep(accepted, 'accepted', accepted.acceptedAt, {
                acceptedAt: accepted.acceptedAt,
                acceptedBy: accepted.acceptedBy,
              }),
              freeGuard(accepted),
              ...joinSteps(db, member),
              joined,
              ...events.map((event) => auditStep(db, { ...event, tenantId }, deps)),
            ]);
          } catch (error) {
            if (!(error instanceof TenantRefusedJoinError)) throw error;
            // Nothing was written; this read only tells which condition refused, for the message.
            const { Item } = await db.client.send(
              new GetCommand({ TableName: db.tableName, Key: keys.tenant(tenantId), ConsistentRead: true }),
            );
            throw Item?.status === 'active' ? seats.reached() : tenantInactive();
          }
        },
      };
    },
  };
}

export type InvitationRepositoryFactory = ReturnType<typeof createInvitationRepository>;
