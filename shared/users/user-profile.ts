import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { batchRead, keyOf } from '../admin/batch-read.ts';
import type { Caller } from '../auth/caller.ts';
import type { Db } from '../db/client.ts';
import { keys } from '../db/keys.ts';
import { ForbiddenError } from '../http/errors.ts';
import { withoutKeys } from '../tenancy/records.ts';

/**
 * The platform's own record of a user (`USER#<id> PROFILE`), beside Cognito's: the email it was
 * last seen with (written with each membership, for the operators' search), whether an operator
 * suspended the user, and the newest sign-in the API has seen.
 */
export interface UserProfile {
  readonly userId: string;
  readonly email?: string | undefined;
  /** Absent means active. */
  readonly status?: 'active' | 'suspended' | undefined;
  readonly suspendedAt?: string | undefined;
  readonly suspendedBy?: string | undefined;
  readonly suspensionReason?: string | undefined;
  /** The newest token `auth_time` the API has seen (ISO). */
  readonly lastSignInAt?: string | undefined;
  /**
   * Whether the user turned an authenticator app (TOTP) on through Plinth's MFA routes (absent
   * means no): access tokens do not say, and reading it here costs nothing where the profile is
   * read anyway (the tenant resolve's BatchGet). Written after Cognito turned TOTP on, and before
   * Cognito turns it off, so it never claims more than the pool has.
   */
  readonly mfaEnabled?: boolean | undefined;
  /** When `mfaEnabled` last changed (ISO). */
  readonly mfaUpdatedAt?: string | undefined;
  readonly createdAt?: string | undefined;
}

/** A suspended user's requests are refused with this, however valid their token still is. */
export class UserSuspendedError extends ForbiddenError {
  constructor() {
    super('Your account is suspended. Contact support.');
    this.name = 'UserSuspendedError';
  }
}

/** Reads a stored profile item (from a GetItem or a BatchGet) as a profile. */
export function profileOf(item: Record<string, unknown> | undefined): UserProfile | undefined {
  return item ? (withoutKeys(item) as unknown as UserProfile) : undefined;
}

/** 403 when the profile says the user is suspended. */
export function assertNotSuspended(profile: UserProfile | undefined): void {
  if (profile?.status === 'suspended') throw new UserSuspendedError();
}

/**
 * The sign-in time to record, when the caller's token shows a sign-in newer than the stored one;
 * `undefined` otherwise (most requests: one token serves an hour, its refreshes keep `auth_time`).
 */
export function newerSignIn(caller: Caller, profile: UserProfile | undefined): string | undefined {
  if (caller.authTime === undefined) return undefined;
  const at = new Date(caller.authTime * 1000).toISOString();
  return profile?.lastSignInAt !== undefined && profile.lastSignInAt >= at ? undefined : at;
}

/**
 * Records a sign-in on the profile with one conditional UpdateItem that only moves `lastSignInAt`
 * forward: the caller writes only when the profile it read shows an older sign-in (once per
 * sign-in, not per request), and two requests racing with the same new token write once.
 */
export async function recordSignIn(db: Db, userId: string, at: string): Promise<void> {
  try {
    await db.client.send(
      new UpdateCommand({
        TableName: db.tableName,
        Key: keys.userProfile(userId),
        UpdateExpression: 'SET lastSignInAt = :at, userId = :userId, #type = :type',
        ConditionExpression: 'attribute_not_exists(lastSignInAt) OR lastSignInAt < :at',
        ExpressionAttributeNames: { '#type': 'type' },
        ExpressionAttributeValues: { ':at': at, ':userId': userId, ':type': 'user-profile' },
      }),
    );
  } catch (error) {
    // A newer (or the same) sign-in is already recorded: nothing to do.
    if (error instanceof ConditionalCheckFailedException) return;
    throw error;
  }
}

/**
 * Records whether the user has MFA on, with one UpdateItem (creating the profile if need be).
 * Idempotent: a retry after a fault writes the same state again.
 */
export async function recordMfa(db: Db, userId: string, enabled: boolean, at: string): Promise<void> {
  await db.client.send(
    new UpdateCommand({
      TableName: db.tableName,
      Key: keys.userProfile(userId),
      UpdateExpression: 'SET mfaEnabled = :enabled, mfaUpdatedAt = :at, userId = :userId, #type = :type',
      ExpressionAttributeNames: { '#type': 'type' },
      ExpressionAttributeValues: {
        ':enabled': enabled,
        ':at': at,
        ':userId': userId,
        ':type': 'user-profile',
      },
    }),
  );
}

/**
 * Whether each of `userIds` has MFA on, from their profiles: one BatchGetItem per 100 users (a
 * page of members), eventually consistent (a listing, not an access decision).
 */
export async function mfaStatusOf(db: Db, userIds: readonly string[]): Promise<Map<string, boolean>> {
  const found = await batchRead(
    db,
    userIds.map((id) => keys.userProfile(id)),
  );
  return new Map(
    userIds.map((id) => [id, profileOf(found.get(keyOf(keys.userProfile(id))))?.mfaEnabled === true]),
  );
}

/**
 * The check of routes that resolve no tenant (GET /v1/me, POST /v1/tenants, invitations): one
 * strongly consistent GetItem of the profile (0.5 KB, 1 RCU), a 403 for a suspended user, and the
 * sign-in recorded when it is new (so a function that uses it must be able to write the table).
 */
export function createUserGate({ db }: { db: Db }) {
  return {
    async check(caller: Caller): Promise<UserProfile | undefined> {
      const result = await db.client.send(
        new GetCommand({
          TableName: db.tableName,
          Key: keys.userProfile(caller.userId),
          ConsistentRead: true,
        }),
      );
      const profile = profileOf(result.Item);
      assertNotSuspended(profile);
      const signIn = newerSignIn(caller, profile);
      if (signIn) await recordSignIn(db, caller.userId, signIn);
      return profile;
    },
  };
}

export type UserGate = ReturnType<typeof createUserGate>;
