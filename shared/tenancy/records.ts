import type { Member } from '../members/members.schema.ts';
import type { Tenant } from '../tenants/tenants.schema.ts';

/** The tenant item as stored: the API shape plus the owner count that guards "at least one owner". */
export interface TenantRecord extends Omit<Tenant, 'supportAccess' | 'requireMfa'> {
  readonly ownerCount: number;
  /** `false` once an owner turned support access off; absent = on (shared/impersonation/). */
  readonly supportAccess?: boolean;
  /** `true` once an owner requires MFA of its members (enforced in the tenant resolve); absent = off. */
  readonly requireMfa?: boolean;
  /** Active members: the seats in use. Changed in the same transaction as the membership. */
  readonly memberCount?: number;
  /** Projects in use. Changed in the same transaction as the project. */
  readonly projectCount?: number;
  /** Invitations not yet accepted, revoked or reclaimed after expiry; they hold a seat. */
  readonly pendingInvitationCount?: number;
  /** memberCount + pendingInvitationCount, stored because a condition cannot add two attributes. */
  readonly reservedSeats?: number;
}

export type MemberRecord = Member;

/** Strips table keys and bookkeeping so a stored item becomes its domain shape. */
export function withoutKeys<T extends Record<string, unknown>>(
  item: T,
): Omit<T, 'pk' | 'sk' | 'gsi1pk' | 'gsi1sk' | 'gsi2pk' | 'gsi2sk' | 'ttl' | 'type'> {
  const {
    pk: _pk,
    sk: _sk,
    gsi1pk: _g1,
    gsi1sk: _g1s,
    gsi2pk: _g2,
    gsi2sk: _g2s,
    ttl: _ttl,
    type: _type,
    ...rest
  } = item;
  return rest;
}
