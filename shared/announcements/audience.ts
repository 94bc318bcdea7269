import type { PlanId } from '../billing/plans.ts';
import type { Role } from '../tenancy/permissions.ts';
import type { AnnouncementStatus, Audience } from './announcements.schema.ts';

/** One of a user's active memberships, as targeting sees it. */
export interface AudienceMembership {
  readonly tenantId: string;
  readonly role: Role;
  /** The tenant's effective plan now. */
  readonly plan: PlanId;
}

/**
 * Whether an audience addresses a user with these memberships: `everyone` addresses every user
 * (also one without a tenant); filters address the user when one membership passes all of them.
 */
export function addresses(audience: Audience, memberships: readonly AudienceMembership[]): boolean {
  if (audience === 'everyone') return true;
  return memberships.some(
    (m) =>
      (!audience.tenantIds || audience.tenantIds.includes(m.tenantId)) &&
      (!audience.plans || audience.plans.includes(m.plan)) &&
      (!audience.roles || audience.roles.includes(m.role)),
  );
}

/**
 * The tenants through which an audience addresses a user (every tenant of theirs for `everyone`):
 * where an email of the announcement belongs in the communication history.
 */
export function addressedTenants(audience: Audience, memberships: readonly AudienceMembership[]): string[] {
  return memberships.filter((m) => addresses(audience, [m])).map((m) => m.tenantId);
}

/** Whether deciding an audience needs the user's memberships (everything but `everyone`). */
export const needsMemberships = (audience: Audience): boolean => audience !== 'everyone';

/** The times that decide an announcement's status. */
export interface AnnouncementTimes {
  readonly publishAt: string;
  readonly expiresAt: string;
  readonly withdrawnAt?: string | null | undefined;
}

/**
 * An announcement's status at `now`, derived when read, so a scheduled one becomes active at its
 * `publishAt` and expires at its `expiresAt` without anything written.
 */
export function statusAt(announcement: AnnouncementTimes, now: Date): AnnouncementStatus {
  if (announcement.withdrawnAt) return 'withdrawn';
  const at = now.toISOString();
  if (at < announcement.publishAt) return 'scheduled';
  if (at < announcement.expiresAt) return 'active';
  return 'expired';
}
