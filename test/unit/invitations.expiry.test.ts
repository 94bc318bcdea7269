import { describe, expect, it } from 'vitest';
import {
  acceptUrlFor,
  effectiveStatus,
  expiresAtFor,
  isOpen,
  RETENTION_AFTER_EXPIRY_DAYS,
  type StoredInvitation,
  toInvitation,
  ttlFor,
} from '#shared/invitations/invitation-expiry.ts';

const CREATED = new Date('2026-03-01T12:00:00.000Z');
const EXPIRES = '2026-03-08T12:00:00.000Z';

const stored: StoredInvitation = {
  invitationId: '01jf00000000000000000000aa',
  tenantId: '01jf00000000000000000000tt',
  tenantName: 'Acme',
  email: 'ada@example.com',
  role: 'manager',
  status: 'pending',
  invitedBy: '11111111-1111-4111-8111-111111111111',
  createdAt: CREATED.toISOString(),
  expiresAt: EXPIRES,
};

describe('invitation expiry', () => {
  it('expires an invitation the configured number of days after it was made', () => {
    expect(expiresAtFor(CREATED, 7).toISOString()).toBe(EXPIRES);
  });

  it('reports a pending invitation as pending until its expiry', () => {
    expect(effectiveStatus(stored, new Date('2026-03-08T11:59:59.999Z'))).toBe('pending');
  });

  it('reports a pending invitation as expired from the moment of expiry', () => {
    expect(effectiveStatus(stored, new Date(EXPIRES))).toBe('expired');
  });

  it('keeps an accepted invitation accepted after its expiry', () => {
    expect(effectiveStatus({ ...stored, status: 'accepted' }, new Date('2027-01-01T00:00:00.000Z'))).toBe(
      'accepted',
    );
  });

  it('keeps a revoked invitation revoked before its expiry', () => {
    expect(effectiveStatus({ ...stored, status: 'revoked' }, CREATED)).toBe('revoked');
  });

  it('treats only pending, unexpired invitations as open', () => {
    expect(isOpen(stored, CREATED)).toBe(true);
    expect(isOpen(stored, new Date(EXPIRES))).toBe(false);
    expect(isOpen({ ...stored, status: 'accepted' }, CREATED)).toBe(false);
  });

  it('sets the DynamoDB ttl the retention period after expiry, in epoch seconds', () => {
    const ttl = ttlFor(new Date(EXPIRES));
    expect(ttl).toBe(Date.parse(EXPIRES) / 1000 + RETENTION_AFTER_EXPIRY_DAYS * 24 * 60 * 60);
  });

  it('builds the accept link under the app url, tolerating a trailing slash', () => {
    expect(acceptUrlFor('https://app.example.com/', 'abc')).toBe('https://app.example.com/invitations/abc');
  });

  it('shows an expired invitation with status expired and its accept link', () => {
    const shown = toInvitation(stored, new Date('2026-04-01T00:00:00.000Z'), 'https://app.example.com');
    expect(shown).toMatchObject({
      status: 'expired',
      acceptUrl: `https://app.example.com/invitations/${stored.invitationId}`,
    });
  });
});
