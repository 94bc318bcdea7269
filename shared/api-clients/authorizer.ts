import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { JwtVerifier } from 'aws-jwt-verify';
import { validateCognitoJwtFields } from 'aws-jwt-verify/cognito-verifier';
import {
  CognitoJwtInvalidClientIdError,
  CognitoJwtInvalidTokenUseError,
  FetchError,
  JwtBaseError,
  JwtExpiredError,
  JwtNotBeforeError,
} from 'aws-jwt-verify/error';
import type { Fetcher } from 'aws-jwt-verify/https';
import { SimpleJwksCache } from 'aws-jwt-verify/jwk';
import type { AuthorizerContext } from '../auth/caller.ts';
import { issuerFor } from '../auth/user-pool.ts';
import type { Db } from '../db/client.ts';
import { keys } from '../db/keys.ts';
import { apiKeyMatches, looksLikeApiKey, parseApiKey } from './api-key.ts';

/** What the authorizer reads of a key's item (`APIKEY#<keyId>`). */
export interface ApiKeyRecord {
  readonly keyId: string;
  readonly tenantId: string;
  readonly clientId: string;
  readonly name: string;
  readonly scopes: readonly string[];
  readonly createdBy: string;
  readonly hash: string;
}

export interface RequestAuthorizerDeps {
  /** The key's item, or undefined when no such key exists (never issued, rotated away, revoked). */
  readonly findKey: (keyId: string) => Promise<ApiKeyRecord | undefined>;
  /** Verifies a Cognito access token: its claims, or throws aws-jwt-verify's error. */
  readonly verifyAccessToken: (token: string) => Promise<Record<string, unknown>>;
}

/** An HTTP API simple response: always authorized, the context says who (or why nobody). */
export interface AuthorizerAnswer {
  readonly isAuthorized: boolean;
  readonly context: AuthorizerContext;
}

const refused = (reason: string): AuthorizerAnswer => ({
  isAuthorized: true,
  context: { principal: 'none', reason },
});

/**
 * The request authorizer of the routes API keys may call (shared/api-clients/scopes.ts): accepts
 * `Authorization: Bearer plk_…` keys (key id lookup, SHA-256 compared in constant time) and
 * Cognito users' access tokens (the checks of the JWT authorizer on every other route).
 *
 * A refused token is still "authorized", with `principal: 'none'` and the reason: the function then
 * answers 401 with a problem document, as a bad token gets on the JWT routes, where a simple-response
 * `isAuthorized: false` would be a bare 403 that clients could not tell from a permission refusal.
 * Every such route requires a caller (`auth: 'jwt'`), so nothing runs unauthenticated.
 */
export function createRequestAuthorizer(deps: RequestAuthorizerDeps) {
  return {
    async authorize(authorizationHeader: string | undefined): Promise<AuthorizerAnswer> {
      const token = authorizationHeader?.replace(/^Bearer\s+/i, '').trim();
      if (!token) return refused('no bearer token');
      if (looksLikeApiKey(token)) {
        const parsed = parseApiKey(token);
        if (!parsed) return refused('the API key is malformed');
        const record = await deps.findKey(parsed.keyId);
        if (!record || !apiKeyMatches(token, record.hash)) {
          return refused('the API key is unknown, rotated or revoked');
        }
        return {
          isAuthorized: true,
          context: {
            principal: 'api_client',
            clientId: record.clientId,
            tenantId: record.tenantId,
            keyId: record.keyId,
            name: record.name,
            scopes: record.scopes.join(' '),
            createdBy: record.createdBy,
          },
        };
      }
      try {
        const claims = await deps.verifyAccessToken(token);
        // `principal` last: no claim (a pre-token-generation trigger may add some) can overwrite it.
        return { isAuthorized: true, context: { ...toContextClaims(claims), principal: 'user' } };
      } catch (error) {
        // The JWKS could not be fetched: our fault, not the caller's (API Gateway answers 500).
        if (error instanceof FetchError || !(error instanceof JwtBaseError)) throw error;
        return refused(describeRefusal(error));
      }
    },
  };
}

/** Why a token was refused, never the verifier's message (which may quote the token). */
function describeRefusal(error: JwtBaseError): string {
  if (error instanceof JwtExpiredError) return 'the token has expired';
  if (error instanceof JwtNotBeforeError) return 'the token is not valid yet';
  if (error instanceof CognitoJwtInvalidClientIdError || error instanceof CognitoJwtInvalidTokenUseError)
    return 'the token does not have a valid audience';
  return 'the token is not a valid access token of this user pool';
}

/** Claims rendered as API Gateway's JWT authorizer does: strings, arrays as `[a b]`. */
function toContextClaims(claims: Record<string, unknown>): Record<string, string> {
  const rendered: Record<string, string> = {};
  for (const [name, value] of Object.entries(claims)) {
    if (value === undefined || value === null) continue;
    if (Array.isArray(value)) rendered[name] = `[${value.map(String).join(' ')}]`;
    else if (typeof value === 'object') rendered[name] = JSON.stringify(value);
    else rendered[name] = String(value);
  }
  return rendered;
}

/** Reads a key's item; strongly consistent, so a key works the moment its create call returned. */
export function createKeyLookup(db: Db): RequestAuthorizerDeps['findKey'] {
  return async (keyId) => {
    const result = await db.client.send(
      new GetCommand({ TableName: db.tableName, Key: keys.apiKey(keyId), ConsistentRead: true }),
    );
    const item = result.Item;
    if (!item) return undefined;
    return {
      keyId,
      tenantId: String(item.tenantId),
      clientId: String(item.clientId),
      name: String(item.name),
      scopes: Array.isArray(item.scopes) ? item.scopes.map(String) : [],
      createdBy: String(item.createdBy),
      hash: String(item.hash),
    };
  };
}

/** aws-jwt-verify's own fetcher speaks HTTPS only; the local emulator serves its JWKS over HTTP. */
const fetchFetcher: Fetcher = {
  async fetch(uri) {
    const response = await fetch(uri, { signal: AbortSignal.timeout(5_000) });
    if (!response.ok) throw new FetchError(uri, `Status code is ${response.status}, expected 200`);
    return response.arrayBuffer();
  },
};

/**
 * Verifies access tokens of the pool's app clients: RS256 signature against the pool's JWKS,
 * issuer, expiry, `token_use: access` and `client_id` (the JWT authorizer's checks).
 */
export function createAccessTokenVerifier(options: {
  readonly region: string;
  readonly userPoolId: string;
  readonly clientIds: readonly string[];
  /** @default Cognito's `https://cognito-idp.<region>.amazonaws.com/<pool>/.well-known/jwks.json` */
  readonly jwksUri?: string | undefined;
}): RequestAuthorizerDeps['verifyAccessToken'] {
  const issuer = issuerFor(options.region, options.userPoolId);
  const verifier = JwtVerifier.create(
    {
      issuer,
      audience: null, // access tokens carry `client_id`, checked below, not `aud`
      jwksUri: options.jwksUri ?? `${issuer}/.well-known/jwks.json`,
      customJwtCheck: ({ payload }) =>
        validateCognitoJwtFields(payload, { tokenUse: 'access', clientId: [...options.clientIds] }),
    },
    { jwksCache: new SimpleJwksCache({ fetcher: fetchFetcher }) },
  );
  return async (token) => (await verifier.verify(token)) as Record<string, unknown>;
}
