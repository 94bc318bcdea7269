/** Local user management against the emulator's pool: the steps a real sign-up and sign-in take. */
import { createHmac, randomBytes, randomInt } from 'node:crypto';
import {
  AdminAddUserToGroupCommand,
  AdminConfirmSignUpCommand,
  AdminUpdateUserAttributesCommand,
  AssociateSoftwareTokenCommand,
  type CognitoIdentityProviderClient,
  InitiateAuthCommand,
  RespondToAuthChallengeCommand,
  SetUserMFAPreferenceCommand,
  SignUpCommand,
  VerifySoftwareTokenCommand,
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

/**
 * Signs in with USER_PASSWORD_AUTH, as a client app would; with `totpSecret`, answers the
 * authenticator-app (SOFTWARE_TOKEN_MFA) challenge of a user who has MFA on.
 */
export async function signIn(
  cognito: CognitoIdentityProviderClient,
  pool: PoolRef,
  credentials: { email: string; password: string; totpSecret?: string },
): Promise<Tokens> {
  const first = await cognito.send(
    new InitiateAuthCommand({
      ClientId: pool.clientId,
      AuthFlow: 'USER_PASSWORD_AUTH',
      AuthParameters: { USERNAME: credentials.email, PASSWORD: credentials.password },
    }),
  );
  const answered =
    first.ChallengeName === 'SOFTWARE_TOKEN_MFA' && credentials.totpSecret
      ? await cognito.send(
          new RespondToAuthChallengeCommand({
            ClientId: pool.clientId,
            ChallengeName: 'SOFTWARE_TOKEN_MFA',
            Session: first.Session,
            ChallengeResponses: {
              USERNAME: credentials.email,
              SOFTWARE_TOKEN_MFA_CODE: totpCode(credentials.totpSecret),
            },
          }),
        )
      : first;
  const { AuthenticationResult: result, ChallengeName } = answered;
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

/**
 * Enrols an authenticator app for the signed-in user (associate, verify with a code, make it the
 * preferred MFA), the calls a client app makes; returns the TOTP secret the app would store.
 */
export async function enrolTotp(
  cognito: CognitoIdentityProviderClient,
  accessToken: string,
): Promise<string> {
  const { SecretCode } = await cognito.send(new AssociateSoftwareTokenCommand({ AccessToken: accessToken }));
  if (!SecretCode) throw new Error('AssociateSoftwareToken returned no secret');
  await cognito.send(
    new VerifySoftwareTokenCommand({
      AccessToken: accessToken,
      UserCode: totpCode(SecretCode),
      FriendlyDeviceName: 'plinth-local',
    }),
  );
  await cognito.send(
    new SetUserMFAPreferenceCommand({
      AccessToken: accessToken,
      SoftwareTokenMfaSettings: { Enabled: true, PreferredMfa: true },
    }),
  );
  return SecretCode;
}

/** The current RFC 6238 code (SHA-1, 6 digits, 30 s) of a base32 TOTP secret, as an authenticator app shows it. */
export function totpCode(secret: string, at: Date = new Date()): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const char of secret.replace(/=+$/, '').toUpperCase()) {
    const value = alphabet.indexOf(char);
    if (value < 0) throw new Error('The TOTP secret is not base32.');
    bits += value.toString(2).padStart(5, '0');
  }
  const key = Buffer.from((bits.match(/.{8}/g) ?? []).map((byte) => Number.parseInt(byte, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(at.getTime() / 30_000)));
  const digest = createHmac('sha1', key).update(counter).digest();
  const offset = (digest.at(-1) ?? 0) & 0x0f;
  const code = (digest.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return code.toString().padStart(6, '0');
}
