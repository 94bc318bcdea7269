import {
  AdminLinkProviderForUserCommand,
  type CognitoIdentityProviderClient,
  ListUsersCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import type { FederationDirectory } from './sso-triggers.ts';

/** Cognito's filter syntax quotes values with `"`; an email cannot hold one, but never trust that. */
const quoted = (value: string) => `"${value.replace(/["\\]/g, '')}"`;

/** The user pool as the SSO triggers use it: find a password user by email, link an identity to it. */
export function createCognitoFederationDirectory(
  cognito: CognitoIdentityProviderClient,
): FederationDirectory {
  return {
    async findPasswordUser(userPoolId, email) {
      const { Users = [] } = await cognito.send(
        new ListUsersCommand({ UserPoolId: userPoolId, Filter: `email = ${quoted(email)}`, Limit: 10 }),
      );
      // Federated users have the status EXTERNAL_PROVIDER; the pool's own users any other.
      return Users.find((user) => user.UserStatus !== 'EXTERNAL_PROVIDER' && user.Username)?.Username;
    },
    async link(userPoolId, username, source) {
      await cognito.send(
        new AdminLinkProviderForUserCommand({
          UserPoolId: userPoolId,
          DestinationUser: { ProviderName: 'Cognito', ProviderAttributeValue: username },
          SourceUser: {
            ProviderName: source.providerName,
            ProviderAttributeName: 'Cognito_Subject',
            ProviderAttributeValue: source.providerUserId,
          },
        }),
      );
    },
  };
}
