import {
  AdminInitiateAuthCommand,
  AdminRespondToAuthChallengeCommand,
  type AuthenticationResultType,
  type CognitoIdentityProviderClient,
  NotAuthorizedException,
  UserNotConfirmedException,
  UserNotFoundException,
} from '@aws-sdk/client-cognito-identity-provider';
import type { SignInTokens } from './magic-link.schema.ts';
import type { CustomAuthSignIn } from './magic-link.service.ts';

/** Cognito's answers that mean "this sign-in is refused", as opposed to a fault of the pool. */
const refusals = [NotAuthorizedException, UserNotFoundException, UserNotConfirmedException];

/** The tokens of an `AuthenticationResult`, or undefined when Cognito issued none. */
export function tokensOf(result: AuthenticationResultType | undefined): SignInTokens | undefined {
  if (!result?.AccessToken || !result.IdToken || !result.RefreshToken) return undefined;
  return {
    accessToken: result.AccessToken,
    idToken: result.IdToken,
    refreshToken: result.RefreshToken,
    expiresIn: result.ExpiresIn ?? 3600,
    tokenType: 'Bearer',
  };
}

/**
 * The pool's custom auth flow, driven server side with the admin calls (the function's role may
 * call them on this pool; the app client allows `ALLOW_CUSTOM_AUTH`): AdminInitiateAuth
 * `CUSTOM_AUTH` with the email, then AdminRespondToAuthChallenge with the token as `ANSWER`. The
 * trigger Lambdas decide (shared/auth/magic-link/auth-challenge.ts).
 */
export function createCognitoCustomAuth(
  client: CognitoIdentityProviderClient,
  pool: { readonly userPoolId: string; readonly clientId: string },
): CustomAuthSignIn {
  return {
    async signIn(email, token) {
      try {
        const started = await client.send(
          new AdminInitiateAuthCommand({
            UserPoolId: pool.userPoolId,
            ClientId: pool.clientId,
            AuthFlow: 'CUSTOM_AUTH',
            AuthParameters: { USERNAME: email },
          }),
        );
        if (started.ChallengeName !== 'CUSTOM_CHALLENGE' || !started.Session) return undefined;
        const answered = await client.send(
          new AdminRespondToAuthChallengeCommand({
            UserPoolId: pool.userPoolId,
            ClientId: pool.clientId,
            ChallengeName: 'CUSTOM_CHALLENGE',
            Session: started.Session,
            ChallengeResponses: { USERNAME: started.ChallengeParameters?.USERNAME ?? email, ANSWER: token },
          }),
        );
        return tokensOf(answered.AuthenticationResult);
      } catch (error) {
        if (refusals.some((type) => error instanceof type)) return undefined;
        throw error;
      }
    },
  };
}
