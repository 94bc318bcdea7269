import {
  AdminGetUserCommand,
  type CognitoIdentityProviderClient,
  UserNotFoundException,
} from '@aws-sdk/client-cognito-identity-provider';

/** What a magic-link request needs to know of the address's account, if there is one. */
export interface SignInAccount {
  /** Cognito `sub`: the API's user id, and the key of the user's pending link. */
  readonly userId: string;
  /** Disabled in the pool (suspended): Cognito would refuse the sign-in anyway. */
  readonly enabled: boolean;
  /** Authenticator app on: a link would skip the second factor, so none is sent. */
  readonly mfaEnabled: boolean;
}

/** Finds the pool's account for a sign-in email. */
export interface SignInDirectory {
  findByEmail(email: string): Promise<SignInAccount | undefined>;
}

/**
 * The pool as the directory: AdminGetUser by the email (the pool's sign-in alias, case-insensitive
 * in AWS), which answers for every user, whether or not they belong to a tenant yet.
 */
export function createCognitoSignInDirectory(
  client: CognitoIdentityProviderClient,
  userPoolId: string,
): SignInDirectory {
  return {
    async findByEmail(email) {
      try {
        const user = await client.send(new AdminGetUserCommand({ UserPoolId: userPoolId, Username: email }));
        const sub = user.UserAttributes?.find((a) => a.Name === 'sub')?.Value;
        if (!sub) return undefined;
        return {
          userId: sub,
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
