/** Local user management against the emulator's pool: the steps a real sign-up and sign-in take. */
import { randomBytes, randomInt } from 'node:crypto';
import {
  AdminAddUserToGroupCommand,
  AdminConfirmSignUpCommand,
  AdminUpdateUserAttributesCommand,
  type CognitoIdentityProviderClient,
  InitiateAuthCommand,
  SignUpCommand,
} from '@aws-sdk/client-cognito-identity-provider';

export interface PoolRef {
  readonly userPoolId: string;
  readonly clientId: string;
}

export interface Tokens {
  readonly accessToken: string;
  readonly idToken: string;
  readonly refreshToken: string;
}

/**
 * Signs a user up through the app client (the password policy applies), confirms them and marks
 * the email verified, as the confirmation code would. Returns the user's `sub` (the API's user id).
 */
export async function createConfirmedUser(
  cognito: CognitoIdentityProviderClient,
  pool: PoolRef,
  user: { email: string; password: string; groups?: readonly string[] },
): Promise<string> {
  const { UserSub } = await cognito.send(
    new SignUpCommand({
      ClientId: pool.clientId,
      Username: user.email,
      Password: user.password,
      UserAttributes: [{ Name: 'email', Value: user.email }],
    }),
  );
  if (!UserSub) throw new Error(`SignUp returned no sub for ${user.email}`);
  await cognito.send(new AdminConfirmSignUpCommand({ UserPoolId: pool.userPoolId, Username: user.email }));
  await cognito.send(
    new AdminUpdateUserAttributesCommand({
      UserPoolId: pool.userPoolId,
      Username: user.email,
      UserAttributes: [{ Name: 'email_verified', Value: 'true' }],
    }),
  );
  for (const group of user.groups ?? []) {
    await cognito.send(
      new AdminAddUserToGroupCommand({ UserPoolId: pool.userPoolId, Username: user.email, GroupName: group }),
    );
  }
  return UserSub;
}

/** Signs in with USER_PASSWORD_AUTH, as a client app would. */
export async function signIn(
  cognito: CognitoIdentityProviderClient,
  pool: PoolRef,
  credentials: { email: string; password: string },
): Promise<Tokens> {
  const { AuthenticationResult: result, ChallengeName } = await cognito.send(
    new InitiateAuthCommand({
      ClientId: pool.clientId,
      AuthFlow: 'USER_PASSWORD_AUTH',
      AuthParameters: { USERNAME: credentials.email, PASSWORD: credentials.password },
    }),
  );
  if (!result?.AccessToken || !result.IdToken || !result.RefreshToken) {
    throw new Error(
      `Sign-in for ${credentials.email} returned no tokens (challenge: ${ChallengeName ?? 'none'})`,
    );
  }
  return { accessToken: result.AccessToken, idToken: result.IdToken, refreshToken: result.RefreshToken };
}

/** A random password that satisfies the pool's policy (length, all four character classes). */
export function generatePassword(): string {
  const classes = ['abcdefghijkmnpqrstuvwxyz', 'ABCDEFGHJKLMNPQRSTUVWXYZ', '23456789', '!#%*+-=?@^_'];
  const picks = classes.map((chars) => chars[randomInt(chars.length)]);
  return `${randomBytes(12).toString('base64url')}${picks.join('')}`;
}
