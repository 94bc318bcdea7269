import { counterStep } from '../billing/limits.ts';
import type { Db } from '../db/client.ts';
import { keys, searchTerm } from '../db/keys.ts';
import type { TransactStep } from '../db/transact.ts';
import { ConflictError } from '../http/errors.ts';
import type { Member } from './members.schema.ts';

/**
 * The stored membership item: the member plus its keys (gsi1 lists a user's tenants); an owner's
 * also carries the operators' search entry (gsi2) that finds the tenant by the owner's email.
 */
export function memberItem(member: Member) {
  return {
    ...keys.member(member.tenantId, member.userId),
    ...(member.role === 'owner' ? ownerSearchEntry(member) : {}),
    type: 'member',
    ...member,
  } as const;
}

/** The gsi2 attributes an owner's membership carries: the tenant, found by its owner's email. */
export function ownerSearchEntry(member: Pick<Member, 'tenantId' | 'email'>) {
  return keys.tenantSearchEntry(searchTerm(member.email), member.tenantId);
}

/**
 * Creates or completes the user's profile (`USER#<id> PROFILE`) with their email and its search
 * entry (gsi2), in the transaction that gives them a membership: an Update, so a suspension flag
 * or last sign-in already on the profile stays.
 */
export function profileStep(db: Db, member: Pick<Member, 'userId' | 'email' | 'joinedAt'>): TransactStep {
  const entry = keys.userSearchEntry(searchTerm(member.email), member.userId);
  return {
    item: {
      Update: {
        TableName: db.tableName,
        Key: keys.userProfile(member.userId),
        UpdateExpression:
          'SET #type = :type, userId = :userId, email = :email, gsi2pk = :g2pk, gsi2sk = :g2sk, createdAt = if_not_exists(createdAt, :now)',
        ExpressionAttributeNames: { '#type': 'type' },
        ExpressionAttributeValues: {
          ':type': 'user-profile',
          ':userId': member.userId,
          ':email': member.email,
          ':g2pk': entry.gsi2pk,
          ':g2sk': entry.gsi2sk,
          ':now': member.joinedAt,
        },
      },
    },
  };
}

/** The guard that makes "this email is already a member" one conditional check for invitations. */
export function memberEmailItem(member: Pick<Member, 'tenantId' | 'email' | 'userId'>) {
  return {
    ...keys.memberEmail(member.tenantId, member.email),
    type: 'member-email',
    userId: member.userId,
  } as const;
}

/**
 * The transaction steps that make someone a member: the membership and its email guard, each
 * conditional so joining twice is a 409. Tenant creation (owner) and invitation acceptance both use
 * these, so a membership is written one way only. Emails must be lower-case. The user's profile
 * (email, search entry) is written in the same transaction.
 */
export function joinSteps(db: Db, member: Member): TransactStep[] {
  const alreadyMember = () => new ConflictError('You are already a member of this tenant.');
  return [
    {
      item: {
        Put: {
          TableName: db.tableName,
          Item: memberItem(member),
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      onConditionFailed: alreadyMember,
    },
    {
      item: {
        Put: {
          TableName: db.tableName,
          Item: memberEmailItem(member),
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      onConditionFailed: () =>
        new ConflictError(`${member.email} is already a member of this tenant under another account.`),
    },
    profileStep(db, member),
  ];
}

/** The message of every 409 that would leave a tenant without an owner. */
export const LAST_OWNER_MESSAGE =
  'A tenant must keep at least one owner: make another member an owner first.';

/**
 * Decrements the tenant's `ownerCount`, on condition that another owner remains, inside the
 * transaction that demotes an owner: two concurrent demotions of the last two owners cannot both
 * succeed, and no read-then-write is involved.
 */
export function ownerRemovedStep(db: Db, tenantId: string): TransactStep {
  return counterStep(
    db,
    tenantId,
    { owners: -1 },
    {
      conditions: [{ kind: 'another-owner' }],
      onConditionFailed: () => new ConflictError(LAST_OWNER_MESSAGE),
    },
  );
}

/**
 * Increments the tenant's `ownerCount` inside the transaction that makes someone an owner; fails
 * with `onInactive` unless the tenant is active.
 */
export function ownerAddedStep(db: Db, tenantId: string, onInactive: () => Error): TransactStep {
  return counterStep(
    db,
    tenantId,
    { owners: 1 },
    { conditions: [{ kind: 'active' }], onConditionFailed: onInactive },
  );
}

/**
 * The tenant's side of a member leaving or being removed, in the same transaction as the
 * membership's deletion: one seat fewer (`memberCount`, `reservedSeats`) and, for an owner, one
 * owner fewer on condition that another owner remains.
 */
export function memberLeftStep(db: Db, tenantId: string, role: Member['role']): TransactStep {
  if (role !== 'owner') return counterStep(db, tenantId, { members: -1 });
  return counterStep(
    db,
    tenantId,
    { members: -1, owners: -1 },
    {
      conditions: [{ kind: 'another-owner' }],
      onConditionFailed: () => new ConflictError(LAST_OWNER_MESSAGE),
    },
  );
}
