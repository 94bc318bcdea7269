import { UnauthorizedError } from '../http/errors.ts';
import { PLATFORM_ADMIN_GROUP } from './user-pool.ts';

/** The authenticated user behind a request, as the JWT authorizer vouched for them. */
export interface Caller {
  /** Cognito `sub`; also the Cognito username, since users sign in with their email. */
  readonly userId: string;
  readonly groups: readonly string[];
  readonly platformAdmin: boolean;
  /**
   * When the user signed in (the token's `auth_time`, epoch seconds), if the token says: tokens
   * refreshed from the same sign-in keep it, so it changes once per sign-in.
   */
  readonly authTime?: number | undefined;
  /**
   * The app client the token was issued to (`client_id`): the SSO client's tokens come only from
   * federated sign-ins (shared/sso/), which a tenant that requires SSO checks.
   */
  readonly clientId?: string | undefined;
  /**
   * Set when an operator acts as this user through an impersonation session
   * (shared/impersonation/): the request runs as the user, and logs and audit entries name both.
   */
  readonly impersonatedBy?: Impersonator;
  /**
   * Set when an API client's key made the request (shared/api-clients): `userId` is then the
   * client's creator, whose current membership bounds what the client may do, and audit entries
   * name the client as the actor.
   */
  readonly apiClient?: ApiClientIdentity;
}

/** The API client behind a request, as the Lambda authorizer vouched for its key. */
export interface ApiClientIdentity {
  readonly clientId: string;
  /** The only tenant the key works on: any other tenant's path is a 404. */
  readonly tenantId: string;
  /** The key presented; a rotated or revoked key is refused where the tenant is resolved. */
  readonly keyId: string;
  readonly name: string;
  readonly scopes: readonly string[];
}

/** The operator behind an impersonated request, and the session they opened for it. */
export interface Impersonator {
  readonly operatorId: string;
  readonly sessionId: string;
}

/**
 * API Gateway's JWT authorizer hands claims over as strings, rendering arrays as `[a b]`;
 * accept that and real arrays alike.
 */
function parseGroups(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String);
  if (typeof value !== 'string' || value.length === 0) return [];
  const inner = value.startsWith('[') && value.endsWith(']') ? value.slice(1, -1) : value;
  return inner.split(/[\s,]+/).filter(Boolean);
}

/** Builds the caller from verified JWT claims; throws 401 when the claims are missing. */
export function callerFromClaims(claims: Record<string, unknown> | undefined): Caller {
  const sub = claims?.sub;
  if (typeof sub !== 'string' || sub.length === 0) throw new UnauthorizedError();
  // API Gateway's authorizer also accepts ID tokens (their `aud` is the client id); the API takes
  // access tokens only, as the local server does.
  if (claims?.token_use !== 'access')
    throw new UnauthorizedError('Send a Cognito access token, not an ID token.');
  const groups = parseGroups(claims?.['cognito:groups']);
  // API Gateway hands numeric claims over as strings.
  const authTime = Number(claims?.auth_time);
  const clientId = claims?.client_id;
  return {
    userId: sub,
    groups,
    platformAdmin: groups.includes(PLATFORM_ADMIN_GROUP),
    ...(Number.isSafeInteger(authTime) && authTime > 0 ? { authTime } : {}),
    ...(typeof clientId === 'string' && clientId.length > 0 ? { clientId } : {}),
  };
}

/**
 * What the Lambda authorizer (functions/api-authorizer) hands the function in
 * `requestContext.authorizer.lambda`: a user's verified access-token claims (as API Gateway's JWT
 * authorizer renders them: strings, arrays as `[a b]`), an API client's identity, or why the
 * bearer token was refused (the function answers 401, as on routes with the JWT authorizer).
 */
export type AuthorizerContext =
  | ({ readonly principal: 'user' } & Readonly<Record<string, string>>)
  | {
      readonly principal: 'api_client';
      readonly clientId: string;
      readonly tenantId: string;
      readonly keyId: string;
      readonly name: string;
      /** Space-separated. */
      readonly scopes: string;
      readonly createdBy: string;
    }
  | { readonly principal: 'none'; readonly reason: string };

/** Builds the caller from the Lambda authorizer's context; 401 when it refused the token or is absent. */
export function callerFromAuthorizerContext(context: Record<string, unknown> | undefined): Caller {
  const principal = context?.principal;
  if (principal === 'user') return callerFromClaims(context);
  if (principal === 'api_client') {
    const field = (name: string) => {
      const value = context?.[name];
      if (typeof value !== 'string' || value.length === 0) throw new UnauthorizedError();
      return value;
    };
    return {
      userId: field('createdBy'),
      groups: [],
      platformAdmin: false,
      apiClient: {
        clientId: field('clientId'),
        tenantId: field('tenantId'),
        keyId: field('keyId'),
        name: field('name'),
        scopes: String(context?.scopes ?? '')
          .split(' ')
          .filter(Boolean),
      },
    };
  }
  const reason = typeof context?.reason === 'string' ? context.reason : undefined;
  throw new UnauthorizedError(
    reason ? `The bearer token was refused: ${reason}.` : 'A valid bearer token is required.',
  );
}
