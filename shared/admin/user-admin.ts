import {
  AdminDisableUserCommand,
  AdminEnableUserCommand,
  AdminGetUserCommand,
  AdminResetUserPasswordCommand,
  AdminUserGlobalSignOutCommand,
  type CognitoIdentityProviderClient,
  InvalidParameterException,
  NotAuthorizedException,
  UserNotFoundException,
} from '@aws-sdk/client-cognito-identity-provider';

/** A user as the pool holds them, for the operators' view. */
export interface UserAccount {
  readonly userId: string;
  readonly email: string | undefined;
  readonly emailVerified: boolean;
  /** Whether the pool lets them sign in (AdminDisableUser turns it off). */
  readonly enabled: boolean;
  /** The pool's status: CONFIRMED, RESET_REQUIRED, FORCE_CHANGE_PASSWORD, … */
  readonly status: string;
  readonly mfaEnabled: boolean;
  readonly createdAt: string | undefined;
}

/**
 * What operators do to a user's sign-in, in the user pool. Every call is idempotent (disabling a
 * disabled user, signing out a signed-out one), so a request retried after a failure part-way is
 * safe.
 */
export interface UserAdmin {
  getAccount(userId: string): Promise<UserAccount | undefined>;
  /** AdminDisableUser: no new sign-in, no token refresh. */
  disable(userId: string): Promise<void>;
  enable(userId: string): Promise<void>;
  /** AdminUserGlobalSignOut: revokes every refresh token the user holds. */
  signOutEverywhere(userId: string): Promise<void>;
  /**
   * AdminResetUserPassword: the pool mails the user a code and makes them choose a new password at
   * their next sign-in. Answers the pool's reason when it refuses (a disabled user, no verified
   * email), `undefined` when the reset started.
   */
  resetPassword(userId: string): Promise<{ readonly refused: string } | undefined>;
}

export function createCognitoUserAdmin(client: CognitoIdentityProviderClient, userPoolId: string): UserAdmin {
  const user = { UserPoolId: userPoolId };
  return {
    async getAccount(userId) {
      try {
        const found = await client.send(new AdminGetUserCommand({ ...user, Username: userId }));
        const attribute = (name: string) => found.UserAttributes?.find((a) => a.Name === name)?.Value;
        return {
          userId,
          email: attribute('email')?.toLowerCase(),
          emailVerified: attribute('email_verified') === 'true',
          enabled: found.Enabled !== false,
          status: found.UserStatus ?? 'UNKNOWN',
          mfaEnabled: found.UserMFASettingList?.includes('SOFTWARE_TOKEN_MFA') ?? false,
          createdAt: found.UserCreateDate?.toISOString(),
        };
      } catch (error) {
        if (error instanceof UserNotFoundException) return undefined;
        throw error;
      }
    },
    async disable(userId) {
      await client.send(new AdminDisableUserCommand({ ...user, Username: userId }));
    },
    async enable(userId) {
      await client.send(new AdminEnableUserCommand({ ...user, Username: userId }));
    },
    async signOutEverywhere(userId) {
      await client.send(new AdminUserGlobalSignOutCommand({ ...user, Username: userId }));
    },
    async resetPassword(userId) {
      try {
        await client.send(new AdminResetUserPasswordCommand({ ...user, Username: userId }));
        return undefined;
      } catch (error) {
        if (error instanceof NotAuthorizedException || error instanceof InvalidParameterException) {
          return { refused: error.message };
        }
        throw error;
      }
    },
  };
}
