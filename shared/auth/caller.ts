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
