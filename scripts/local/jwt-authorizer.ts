/**
 * The local stand-in for API Gateway's Cognito JWT authorizer: the same checks (RS256 signature
 * against the pool's JWKS, issuer, expiry, not-before, client id) with `aws-jwt-verify`, keys fetched
 * from the emulator instead of cognito-idp.amazonaws.com.
 */
import { JwtVerifier } from 'aws-jwt-verify';
import { validateCognitoJwtFields } from 'aws-jwt-verify/cognito-verifier';
import {
  CognitoJwtInvalidClientIdError,
  CognitoJwtInvalidTokenUseError,
  FetchError,
  JwtExpiredError,
  JwtInvalidIssuerError,
  JwtInvalidSignatureAlgorithmError,
  JwtInvalidSignatureError,
  JwtNotBeforeError,
  KidNotFoundInJwksError,
} from 'aws-jwt-verify/error';
import type { Fetcher } from 'aws-jwt-verify/https';
import { SimpleJwksCache } from 'aws-jwt-verify/jwk';
import type { JwtPayload } from 'aws-jwt-verify/jwt-model';
import { issuerFor } from '../../shared/auth/user-pool.ts';

export interface JwtAuthorizerOptions {
  readonly region: string;
  readonly userPoolId: string;
  /** The app client whose access tokens are accepted (API Gateway's `audience`). */
  readonly clientId: string;
  /** The SSO app client, whose tokens are accepted too (the audience's second entry). */
  readonly ssoClientId?: string | undefined;
  /** The emulator's Cognito endpoint, e.g. `http://127.0.0.1:5010`. */
  readonly cognitoEndpoint: string;
}

export type AuthorizerResult =
  | { readonly authorized: true; readonly payload: JwtPayload }
  /**
   * `reason` is for logs only. `challenge` is the `WWW-Authenticate` value API Gateway sends with its
   * 401: `Bearer` when no token came, else `Bearer scope="" error="invalid_token"
   * error_description="…"`.
   */
  | { readonly authorized: false; readonly reason: string; readonly challenge: string };

export interface JwtAuthorizer {
  /** Checks the `Authorization` header value (`Bearer <token>` or the bare token, as API Gateway allows). */
  authorize(authorizationHeader: string | undefined): Promise<AuthorizerResult>;
}

/** aws-jwt-verify's own fetcher speaks HTTPS only; the emulator serves its JWKS over plain HTTP. */
const httpFetcher: Fetcher = {
  async fetch(uri) {
    const response = await fetch(uri, { signal: AbortSignal.timeout(5_000) });
    if (!response.ok) throw new FetchError(uri, `Status code is ${response.status}, expected 200`);
    return response.arrayBuffer();
  },
};

export function createJwtAuthorizer(options: JwtAuthorizerOptions): JwtAuthorizer {
  const verifier = JwtVerifier.create(
    {
      issuer: issuerFor(options.region, options.userPoolId),
      audience: null, // access tokens carry `client_id`, checked below, not `aud`
      jwksUri: `${options.cognitoEndpoint}/${options.userPoolId}/.well-known/jwks.json`,
      customJwtCheck: ({ payload }) =>
        validateCognitoJwtFields(payload, {
          tokenUse: 'access',
          clientId: options.ssoClientId ? [options.clientId, options.ssoClientId] : options.clientId,
        }),
    },
    { jwksCache: new SimpleJwksCache({ fetcher: httpFetcher }) },
  );

  return {
    async authorize(header) {
      const token = header?.replace(/^Bearer\s+/i, '').trim();
      if (!token) return { authorized: false, reason: 'no bearer token', challenge: 'Bearer' };
      try {
        return { authorized: true, payload: await verifier.verify(token) };
      } catch (error) {
        // Cannot reach the emulator's JWKS: a local fault, not the caller's; surface it.
        if (error instanceof FetchError) throw error;
        return {
          authorized: false,
          reason: error instanceof Error ? error.message : String(error),
          challenge: `Bearer scope="" error="invalid_token" error_description="${describeRefusal(error)}"`,
        };
      }
    },
  };
}

/**
 * Why a token was refused, in the words API Gateway's `error_description` uses (its documented
 * example: "the token does not have a valid audience"); never the verifier's own message, which
 * may quote the token.
 */
function describeRefusal(error: unknown): string {
  if (error instanceof JwtExpiredError) return 'the token has expired';
  if (error instanceof JwtNotBeforeError) return 'the token is not valid yet';
  if (error instanceof JwtInvalidIssuerError) return 'the token does not have a valid issuer';
  if (error instanceof CognitoJwtInvalidClientIdError || error instanceof CognitoJwtInvalidTokenUseError)
    return 'the token does not have a valid audience';
  if (
    error instanceof JwtInvalidSignatureError ||
    error instanceof JwtInvalidSignatureAlgorithmError ||
    error instanceof KidNotFoundInJwksError
  )
    return 'the token does not have a valid signature';
  return 'the token is not a valid JWT';
}

/**
 * Claims as API Gateway hands them to the function: every value a string, arrays rendered
 * Go-style as `[a b]` (e.g. `cognito:groups`), numbers and booleans stringified.
 */
export function toApiGatewayClaims(payload: JwtPayload): Record<string, string> {
  const claims: Record<string, string> = {};
  for (const [name, value] of Object.entries(payload)) {
    if (value === undefined || value === null) continue;
    if (Array.isArray(value)) claims[name] = `[${value.map(String).join(' ')}]`;
    else if (typeof value === 'object') claims[name] = JSON.stringify(value);
    else claims[name] = String(value);
  }
  return claims;
}
