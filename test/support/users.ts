import { randomBytes } from 'node:crypto';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { createConfirmedUser, enrolTotp, generatePassword, signIn } from '../../scripts/local/cognito.ts';
import type { OperatorRole } from '../../shared/admin/operators.ts';
import { memberItem } from '../../shared/members/members.records.ts';
import type { Role } from '../../shared/tenancy/permissions.ts';
import type { TestStack } from './stack.ts';

export interface TestUser {
  /** Cognito `sub`: the API's user id. */
  readonly userId: string;
  readonly email: string;
  readonly password: string;
  /** What the API expects as `Authorization: Bearer …` (valid for one hour). */
  readonly accessToken: string;
  /** Carries the email claims; the API refuses it as a bearer token. */
  readonly idToken: string;
}

/** A unique, lower-case address, so users of parallel files and tests never collide. */
export function uniqueEmail(prefix = 'user'): string {
  return `${prefix}-${randomBytes(6).toString('hex')}@example.com`;
}

/**
 * Signs a user up in the stack's pool (password policy applies), confirms them, marks the email
 * verified and signs them in. `groups` adds them to pool groups first (e.g. `platform-admin`), so
 * the token carries `cognito:groups`.
 */
export async function signUpUser(
  stack: TestStack,
  email: string = uniqueEmail(),
  options: { groups?: readonly string[] } = {},
): Promise<TestUser> {
  const password = generatePassword();
  const userId = await createConfirmedUser(stack.cognito, stack, {
    email,
    password,
    groups: options.groups ?? [],
  });
  const { accessToken, idToken } = await signIn(stack.cognito, stack, { email, password });
  return { userId, email, password, accessToken, idToken };
}

export interface TestOperator extends TestUser {
  /** The authenticator app's secret: sign in again with it (`signIn(..., { totpSecret })`). */
  readonly totpSecret: string;
}

/**
 * An operator as the admin API expects one: in the operator groups given (default
 * `platform-admin`), with an authenticator app enrolled (the API refuses operators without MFA).
 * The access token was issued before MFA was switched on, which Cognito's tokens do not record; the
 * API asks the pool.
 */
export async function signUpOperator(
  stack: TestStack,
  roles: readonly OperatorRole[] = ['platform-admin'],
  email: string = uniqueEmail('operator'),
): Promise<TestOperator> {
  const user = await signUpUser(stack, email, { groups: roles });
  const totpSecret = await enrolTotp(stack.cognito, user.accessToken);
  return { ...user, totpSecret };
}

/**
 * Makes `user` an active member of `tenantId` with `role` straight in the table (the item the
 * membership code writes, index keys included), for tests whose subject is not joining itself.
 */
export async function addMembership(
  stack: TestStack,
  tenantId: string,
  user: Pick<TestUser, 'userId' | 'email'>,
  role: Role,
): Promise<void> {
  const at = new Date().toISOString();
  await stack.db.send(
    new PutCommand({
      TableName: stack.tableName,
      Item: memberItem({
        tenantId,
        userId: user.userId,
        email: user.email,
        role,
        status: 'active',
        joinedAt: at,
        updatedAt: at,
      }),
    }),
  );
}
