import type { RouteDefinition } from '../http/route.ts';

/** The request header that carries an impersonation session id (lower-case, as API Gateway passes it). */
export const IMPERSONATION_HEADER = 'plinth-impersonation';

/** Why a route may never run under impersonation, whatever it declares. */
export type NeverReason =
  | 'admin'
  | 'billing'
  | 'credentials'
  | 'account-deletion'
  | 'export'
  | 'tenant-deletion';

/**
 * Path segments that name credentials (passwords, MFA, tokens, keys, passkeys, sign-in sessions)
 * or data exports: routes under them handle secrets or hand out a tenant's data wholesale.
 */
const credentialSegment =
  /^(password|passwords|credentials|mfa|totp|tokens|api-keys|api-clients|keys|passkeys|sessions|sign-out)$/;
const exportSegment = /^exports?$/;

/**
 * The reason a route may never run under impersonation regardless of its declaration, or undefined
 * when its own declaration (or the default) decides. Derived from the route's method, path and area,
 * so a route added later falls under the rule without anyone remembering to mark it.
 */
export function neverReason(
  route: Pick<RouteDefinition, 'method' | 'path' | 'area'>,
): NeverReason | undefined {
  const segments = route.path.split('/').filter(Boolean);
  if (segments[0] === 'admin') return 'admin';
  if (route.area === 'billing' || segments.includes('billing')) return 'billing';
  if (segments.some((s) => credentialSegment.test(s))) return 'credentials';
  if (segments.some((s) => exportSegment.test(s))) return 'export';
  if (route.method === 'DELETE' && route.path === '/v1/me') return 'account-deletion';
  if (route.method === 'DELETE' && route.path === '/v1/tenants/{tenantId}') return 'tenant-deletion';
  return undefined;
}

/**
 * Whether a route may run under impersonation: never for the routes {@link neverReason} names and
 * for public routes (no caller to stand in for); otherwise as the route declares, by default reads
 * (GET) may and changes may not.
 */
export function impersonationPolicy(
  route: Pick<RouteDefinition, 'method' | 'path' | 'area' | 'auth' | 'impersonation'>,
): 'allowed' | 'never' {
  if (route.auth !== 'jwt' || neverReason(route)) return 'never';
  return route.impersonation ?? (route.method === 'GET' ? 'allowed' : 'never');
}
