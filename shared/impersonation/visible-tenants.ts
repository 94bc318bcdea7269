import type { Caller } from '../auth/caller.ts';

/**
 * The memberships a caller may see listed (`GET /v1/me`, `GET /v1/tenants`): all of them, except
 * that under impersonation the tenants whose owners turned support access off are left out, as
 * their own paths are refused.
 */
export function visibleMemberships<T extends { readonly tenant: { readonly supportAccess?: boolean } }>(
  caller: Pick<Caller, 'impersonatedBy'>,
  memberships: readonly T[],
): T[] {
  if (!caller.impersonatedBy) return [...memberships];
  return memberships.filter((m) => m.tenant.supportAccess !== false);
}
