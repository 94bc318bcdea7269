import {
  AdminGetUserCommand,
  type CognitoIdentityProviderClient,
  UserNotFoundException,
} from '@aws-sdk/client-cognito-identity-provider';

/** What Plinth needs to know about a signed-in person beyond the token's claims. */
export interface Identity {
  readonly userId: string;
  readonly email: string;
  readonly emailVerified: boolean;
  readonly enabled: boolean;
  /** Whether the user has an authenticator app (TOTP) enrolled and enabled. */
  readonly mfaEnabled: boolean;
}

/** Looks users up in the identity provider; access tokens carry no email, so we ask the pool. */
export interface IdentityDirectory {
  getUser(userId: string): Promise<Identity | undefined>;
}

export function createCognitoDirectory(
  client: CognitoIdentityProviderClient,
  userPoolId: string,
): IdentityDirectory {
  return {
    async getUser(userId) {
      try {
        const user = await client.send(new AdminGetUserCommand({ UserPoolId: userPoolId, Username: userId }));
        const attribute = (name: string) => user.UserAttributes?.find((a) => a.Name === name)?.Value;
        const email = attribute('email');
        if (!email) return undefined;
        return {
          userId,
          email: email.toLowerCase(),
          emailVerified: attribute('email_verified') === 'true',
          enabled: user.Enabled !== false,
          mfaEnabled: user.UserMFASettingList?.includes('SOFTWARE_TOKEN_MFA') ?? false,
        };
      } catch (error) {
        if (error instanceof UserNotFoundException) return undefined;
        throw error;
      }
    },
  };
}
