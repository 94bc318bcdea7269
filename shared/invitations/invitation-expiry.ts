import type { Invitation } from './invitations.schema.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * How long an invitation stays in the table after it expires (DynamoDB `ttl`), so that lists show
 * it as `expired` for a while before it disappears; the audit log keeps the history for longer.
 */
export const RETENTION_AFTER_EXPIRY_DAYS = 30;

/** The statuses that are stored; `expired` is never stored, it is a pending invitation past its time. */
export type StoredInvitationStatus = Exclude<Invitation['status'], 'expired'>;

/** An invitation as stored: the API shape without the derived `acceptUrl`, and a stored status. */
export interface StoredInvitation extends Omit<Invitation, 'status' | 'acceptUrl'> {
  readonly status: StoredInvitationStatus;
  readonly acceptedBy?: string;
  readonly acceptedAt?: string;
  readonly revokedBy?: string;
  readonly revokedAt?: string;
}

/** When an invitation made at `createdAt` stops being acceptable. */
export function expiresAtFor(createdAt: Date, ttlDays: number): Date {
  return new Date(createdAt.getTime() + ttlDays * DAY_MS);
}

/** The DynamoDB `ttl` (epoch seconds) of an invitation and its pending guard. */
export function ttlFor(expiresAt: Date): number {
  return Math.floor((expiresAt.getTime() + RETENTION_AFTER_EXPIRY_DAYS * DAY_MS) / 1000);
}

/** The status a client sees: a pending invitation whose time has come is `expired`. */
export function effectiveStatus(
  invitation: Pick<StoredInvitation, 'status' | 'expiresAt'>,
  now: Date,
): Invitation['status'] {
  if (invitation.status !== 'pending') return invitation.status;
  return Date.parse(invitation.expiresAt) <= now.getTime() ? 'expired' : 'pending';
}

/** Pending and not expired: the only state in which an invitation can be accepted or revoked. */
export function isOpen(invitation: Pick<StoredInvitation, 'status' | 'expiresAt'>, now: Date): boolean {
  return effectiveStatus(invitation, now) === 'pending';
}

/** The link in the email and in the API response; the web app calls the accept route from there. */
export function acceptUrlFor(appUrl: string, invitationId: string): string {
  return `${appUrl.replace(/\/+$/, '')}/invitations/${invitationId}`;
}

/** The API shape of a stored invitation at `now`. */
export function toInvitation(stored: StoredInvitation, now: Date, appUrl: string): Invitation {
  return {
    ...stored,
    status: effectiveStatus(stored, now),
    acceptUrl: acceptUrlFor(appUrl, stored.invitationId),
  };
}
