import {
  type CognitoIdentityProviderClient,
  ListUsersCommand,
} from '@aws-sdk/client-cognito-identity-provider';

/** A user of the pool as the announcement mail run sees one. */
export interface PoolUser {
  readonly userId: string;
  readonly email: string;
  /** Enabled (not suspended) and with a verified email: someone who may be mailed. */
  readonly mailable: boolean;
}

/** Pages through every user of the pool; Cognito's token says where the next page starts. */
export interface UserPager {
  page(token: string | null, limit: number): Promise<{ users: PoolUser[]; next: string | null }>;
}

/** Cognito's ListUsers (at most 60 a page): the one complete list of users, read without a Scan. */
export function createCognitoUserPager(client: CognitoIdentityProviderClient, userPoolId: string): UserPager {
  return {
    async page(token, limit) {
      const result = await client.send(
        new ListUsersCommand({
          UserPoolId: userPoolId,
          Limit: Math.min(limit, 60),
          AttributesToGet: ['sub', 'email', 'email_verified'],
          ...(token ? { PaginationToken: token } : {}),
        }),
      );
      const users = (result.Users ?? []).flatMap((user): PoolUser[] => {
        const attribute = (name: string) => user.Attributes?.find((a) => a.Name === name)?.Value;
        const userId = attribute('sub');
        const email = attribute('email');
        if (!userId || !email) return [];
        return [
          {
            userId,
            email: email.toLowerCase(),
            mailable: user.Enabled !== false && attribute('email_verified') === 'true',
          },
        ];
      });
      return { users, next: result.PaginationToken ?? null };
    },
  };
}
