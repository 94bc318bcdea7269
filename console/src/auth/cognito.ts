/**
 * The few Cognito user-pool calls the console makes, as plain JSON-1.1 requests (no SDK: it would
 * add far more to the bundle than these forty lines): password sign-in, the authenticator-app (TOTP)
 * challenge, and refreshing the tokens.
 */
import type { ConsoleConfig } from '../config.ts';

export interface Tokens {
  readonly accessToken: string;
  readonly idToken: string;
  readonly refreshToken: string;
  /** When the access token expires (ms since the epoch). */
  readonly expiresAt: number;
}

export type SignInStep =
  | { readonly kind: 'signed-in'; readonly tokens: Tokens }
  | { readonly kind: 'mfa'; readonly session: string };

/** A refusal from Cognito (`NotAuthorizedException`, `CodeMismatchException`, ...). */
export class CognitoError extends Error {
  readonly type: string;
  constructor(type: string, message: string) {
    super(message);
    this.type = type;
  }
}

interface AuthResult {
  AuthenticationResult?: {
    AccessToken?: string;
    IdToken?: string;
    RefreshToken?: string;
    ExpiresIn?: number;
  };
  ChallengeName?: string;
  Session?: string;
}

export function createCognito(
  config: ConsoleConfig,
  fetchImpl: typeof fetch = fetch,
  now = () => Date.now(),
) {
  async function call(action: string, body: unknown): Promise<AuthResult> {
    const response = await fetchImpl(config.cognitoEndpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': `AWSCognitoIdentityProviderService.${action}`,
      },
      body: JSON.stringify(body),
    });
    const payload = (await response.json().catch(() => ({}))) as AuthResult & {
      __type?: string;
      message?: string;
      Message?: string;
    };
    if (!response.ok) {
      const type = (payload.__type ?? 'CognitoError').split('#').pop() ?? 'CognitoError';
      throw new CognitoError(
        type,
        payload.message ?? payload.Message ?? `Cognito answered ${response.status}.`,
      );
    }
    return payload;
  }

  function tokensOf(result: AuthResult, refreshToken?: string): Tokens {
    const auth = result.AuthenticationResult;
    const refresh = auth?.RefreshToken ?? refreshToken;
    if (!auth?.AccessToken || !auth.IdToken || !refresh) {
      throw new CognitoError(result.ChallengeName ?? 'NoTokens', 'Cognito returned no tokens.');
    }
    return {
      accessToken: auth.AccessToken,
      idToken: auth.IdToken,
      refreshToken: refresh,
      expiresAt: now() + (auth.ExpiresIn ?? 3600) * 1000,
    };
  }

  return {
    async signIn(email: string, password: string): Promise<SignInStep> {
      const result = await call('InitiateAuth', {
        ClientId: config.clientId,
        AuthFlow: 'USER_PASSWORD_AUTH',
        AuthParameters: { USERNAME: email, PASSWORD: password },
      });
      if (result.ChallengeName === 'SOFTWARE_TOKEN_MFA' && result.Session) {
        return { kind: 'mfa', session: result.Session };
      }
      if (result.ChallengeName) {
        throw new CognitoError(
          result.ChallengeName,
          `This account needs a step the console does not offer (${result.ChallengeName}); finish it in the app first.`,
        );
      }
      return { kind: 'signed-in', tokens: tokensOf(result) };
    },

    async answerMfa(email: string, session: string, code: string): Promise<Tokens> {
      const result = await call('RespondToAuthChallenge', {
        ClientId: config.clientId,
        ChallengeName: 'SOFTWARE_TOKEN_MFA',
        Session: session,
        ChallengeResponses: { USERNAME: email, SOFTWARE_TOKEN_MFA_CODE: code },
      });
      return tokensOf(result);
    },

    /** New access and ID tokens; Cognito keeps the refresh token (it is not rotated). */
    async refresh(refreshToken: string): Promise<Tokens> {
      const result = await call('InitiateAuth', {
        ClientId: config.clientId,
        AuthFlow: 'REFRESH_TOKEN_AUTH',
        AuthParameters: { REFRESH_TOKEN: refreshToken },
      });
      return tokensOf(result, refreshToken);
    },
  };
}

export type Cognito = ReturnType<typeof createCognito>;
