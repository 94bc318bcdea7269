import { describe, expect, it } from 'vitest';
import type { Caller } from '#shared/auth/caller.ts';
import { ConflictError, ForbiddenError, NotFoundError, PaymentRequiredError } from '#shared/http/errors.ts';
import type { StoredInvitation } from '#shared/invitations/invitation-expiry.ts';
import type { InvitationMail, InvitationMailer } from '#shared/invitations/invitation-mailer.ts';
import {
  InvitationEmailError,
  PendingInvitationExistsError,
} from '#shared/invitations/invitations.errors.ts';
import type {
  InvitationRepositoryFactory,
  InviteeInvitationRepository,
  TenantInvitationRepository,
} from '#shared/invitations/invitations.repository.ts';
import { createInvitationService } from '#shared/invitations/invitations.service.ts';
import type { Role } from '#shared/tenancy/permissions.ts';
import type { TenantContext } from '#shared/tenancy/tenant-context.ts';
import type { Identity } from '#shared/users/identity-directory.ts';
import { memoryRateLimiter } from '../support/memory-rate-limiter.ts';
import { fakeTenantContext } from '../support/tenant-context.ts';

const START = new Date('2026-03-01T12:00:00.000Z');
const TENANT_ID = '01jf00000000000000000000tt';
const CALLER_ID = '11111111-1111-4111-8111-111111111111';
const INVITEE_ID = '33333333-3333-4333-8333-333333333333';
const INVITEE_EMAIL = 'ada@example.com';
const APP_URL = 'https://app.example.com';

function contextWithRole(role: Role): TenantContext {
  return fakeTenantContext({ role, tenantId: TENANT_ID, userId: CALLER_ID, email: 'boss@example.com' });
}

const invitee: Caller = { userId: INVITEE_ID, groups: [], platformAdmin: false };
const request = { requestId: 'req-2', sourceIp: '203.0.113.8' };

/**
 * In-memory stand-ins for the repository, mailer, directory and clock. The repository keeps the
 * pending-guard rule (one open invitation per email) so the service's retry path can be exercised.
 */
function harness(options: { emailVerified?: boolean; mailFails?: boolean; restricted?: boolean } = {}) {
  let now = START;
  let counter = 0;
  const invitations = new Map<string, StoredInvitation>();
  const sent: InvitationMail[] = [];
  const accepted: string[] = [];
  const mailer: InvitationMailer = {
    sendInvitation: async (mail) => {
      if (options.mailFails) throw new Error('SES is down');
      sent.push(mail);
    },
  };
  const identity: Identity = {
    userId: INVITEE_ID,
    email: INVITEE_EMAIL,
    emailVerified: options.emailVerified ?? true,
    mfaEnabled: false,
    enabled: true,
  };
  const openFor = (email: string) =>
    [...invitations.values()].find(
      (i) => i.email === email && i.status === 'pending' && i.expiresAt > now.toISOString(),
    );

  const tenantRepository: TenantInvitationRepository = {
    list: async () => ({ items: [...invitations.values()] }),
    get: async (id) => invitations.get(id),
    create: async (invitation) => {
      if (openFor(invitation.email)) throw new PendingInvitationExistsError(invitation.email);
      invitations.set(invitation.invitationId, invitation);
    },
    findPending: async (email) => openFor(email),
    revoke: async (revoked) => {
      invitations.set(revoked.invitationId, revoked);
    },
    // Expired invitations never block here (openFor ignores them), so there is nothing to reclaim.
    reclaimExpired: async () => 0,
  };
  const inviteeRepository: InviteeInvitationRepository = {
    listPending: async () => [...invitations.values()].filter((i) => i.email === INVITEE_EMAIL),
    get: async (id) => {
      const found = invitations.get(id);
      return found?.email === INVITEE_EMAIL ? found : undefined;
    },
    billingOf: async () =>
      options.restricted
        ? { plan: 'team', status: 'past_due', restricted: true }
        : { plan: 'free', status: 'none', restricted: false },
    accept: async (invitation) => {
      invitations.set(invitation.invitationId, invitation);
      accepted.push(invitation.invitationId);
    },
  };
  const repositories: InvitationRepositoryFactory = {
    forTenant: () => tenantRepository,
    forInvitee: () => inviteeRepository,
  };
  const service = createInvitationService({
    invitations: repositories,
    directory: { getUser: async (userId) => (userId === INVITEE_ID ? identity : undefined) },
    mailer,
    rateLimiter: memoryRateLimiter(() => now),
    clock: () => now,
    newId: () => `01jf000000000000000000${String(++counter).padStart(4, '0')}`,
    appUrl: APP_URL,
    ttlDays: 7,
  });
  return {
    service,
    invitations,
    sent,
    accepted,
    advanceDays: (days: number) => {
      now = new Date(now.getTime() + days * 24 * 60 * 60 * 1000);
    },
    advanceSeconds: (seconds: number) => {
      now = new Date(now.getTime() + seconds * 1000);
    },
  };
}

describe('invitation rules: inviting', () => {
  it.each<[Role, Role]>([
    ['manager', 'member'],
    ['manager', 'manager'],
    ['admin', 'admin'],
    ['owner', 'owner'],
  ])('lets a %s invite a %s', async (callerRole, role) => {
    // Prepare
    const { service } = harness();
    // Act
    const { invitation } = await service.create(contextWithRole(callerRole), { email: INVITEE_EMAIL, role });
    // Assess
    expect(invitation).toMatchObject({ role, status: 'pending', tenantName: 'Acme' });
  });

  it.each<[Role, Role]>([
    ['member', 'member'],
    ['manager', 'admin'],
    ['admin', 'owner'],
  ])('refuses a %s inviting a %s with a 403 and stores nothing', async (callerRole, role) => {
    // Prepare
    const { service, invitations, sent } = harness();
    // Act
    const attempt = service.create(contextWithRole(callerRole), { email: INVITEE_EMAIL, role });
    // Assess
    await expect(attempt).rejects.toBeInstanceOf(ForbiddenError);
    expect(invitations.size).toBe(0);
    expect(sent).toEqual([]);
  });

  it('emails the invitee the accept link, the tenant name and the role', async () => {
    // Prepare
    const { service, sent } = harness();
    // Act
    const { invitation } = await service.create(contextWithRole('admin'), {
      email: INVITEE_EMAIL,
      role: 'manager',
    });
    // Assess
    expect(invitation.acceptUrl).toBe(`${APP_URL}/invitations/${invitation.invitationId}`);
    expect(sent).toEqual([
      expect.objectContaining({
        to: INVITEE_EMAIL,
        tenantName: 'Acme',
        role: 'manager',
        acceptUrl: invitation.acceptUrl,
      }),
    ]);
  });

  it('expires the invitation the configured number of days after it is made', async () => {
    // Prepare
    const { service } = harness();
    // Act
    const { invitation } = await service.create(contextWithRole('admin'), {
      email: INVITEE_EMAIL,
      role: 'member',
    });
    // Assess
    expect(invitation.expiresAt).toBe('2026-03-08T12:00:00.000Z');
  });

  it('keeps the invitation and answers 502 when the email cannot be sent', async () => {
    // Prepare
    const { service, invitations } = harness({ mailFails: true });
    // Act
    const attempt = service.create(contextWithRole('admin'), { email: INVITEE_EMAIL, role: 'member' });
    // Assess
    await expect(attempt).rejects.toMatchObject({ name: 'InvitationEmailError', status: 502 });
    await expect(attempt).rejects.toBeInstanceOf(InvitationEmailError);
    expect([...invitations.values()]).toMatchObject([{ email: INVITEE_EMAIL, status: 'pending' }]);
  });

  it('re-sends the same invitation when the same email is invited again with the same role', async () => {
    // Prepare
    const { service, sent, invitations } = harness();
    const { invitation: first } = await service.create(contextWithRole('admin'), {
      email: INVITEE_EMAIL,
      role: 'member',
    });
    // Act
    const { invitation: second } = await service.create(contextWithRole('admin'), {
      email: INVITEE_EMAIL,
      role: 'member',
    });
    // Assess
    expect(second.invitationId).toBe(first.invitationId);
    expect(sent).toHaveLength(2);
    expect(invitations.size).toBe(1);
  });

  it('refuses a second invitation for the same email with another role with a 409', async () => {
    // Prepare
    const { service } = harness();
    await service.create(contextWithRole('admin'), { email: INVITEE_EMAIL, role: 'member' });
    // Act
    const attempt = service.create(contextWithRole('admin'), { email: INVITEE_EMAIL, role: 'admin' });
    // Assess
    await expect(attempt).rejects.toThrowError(/already exists with the member role/);
  });

  it('makes a new invitation once the previous one for the email has expired', async () => {
    // Prepare
    const { service, advanceDays } = harness();
    const { invitation: first } = await service.create(contextWithRole('admin'), {
      email: INVITEE_EMAIL,
      role: 'member',
    });
    advanceDays(8);
    // Act
    const { invitation: second } = await service.create(contextWithRole('admin'), {
      email: INVITEE_EMAIL,
      role: 'member',
    });
    // Assess
    expect(second.invitationId).not.toBe(first.invitationId);
  });
});

describe('invitation rules: send limits', () => {
  /** A manager of the tenant with their own user id, on the given plan. */
  const inviter = (n: number, plan: 'free' | 'team' = 'free') =>
    fakeTenantContext({
      role: 'manager',
      tenantId: TENANT_ID,
      userId: `11111111-1111-4111-8111-${String(n).padStart(12, '0')}`,
      ...(plan === 'team' ? { billing: { plan: 'team', status: 'active' } } : {}),
    });
  const email = (n: number) => `person-${n}@example.com`;

  it('refuses with a 429 once the tenant has sent its hourly invitation emails, storing and sending nothing', async () => {
    // Prepare: 20 emails (the Free plan's hourly limit) from four managers, five each.
    const { service, invitations, sent } = harness();
    for (let i = 0; i < 20; i++) await service.create(inviter(i % 4), { email: email(i), role: 'member' });
    // Act
    const attempt = service.create(inviter(5), { email: email(99), role: 'member' });
    // Assess
    await expect(attempt).rejects.toMatchObject({
      status: 429,
      message: expect.stringMatching(/^This tenant has sent 20 invitation emails this hour/),
      headers: { 'retry-after': expect.stringMatching(/^\d+$/) },
    });
    expect(invitations.size).toBe(20);
    expect(sent).toHaveLength(20);
  });

  it('refuses with a 429 once one person has sent their hourly invitation emails', async () => {
    // Prepare: Team allows 100 per tenant but 50 per person.
    const { service, sent } = harness();
    for (let i = 0; i < 50; i++)
      await service.create(inviter(1, 'team'), { email: email(i), role: 'member' });
    // Act
    const attempt = service.create(inviter(1, 'team'), { email: email(99), role: 'member' });
    // Assess
    await expect(attempt).rejects.toMatchObject({
      status: 429,
      message: expect.stringMatching(/^You have sent 50 invitation emails this hour/),
    });
    expect(sent).toHaveLength(50);
  });

  it('limits re-sends to one address to three emails an hour', async () => {
    // Prepare: one invitation and two re-sends.
    const { service, sent } = harness();
    for (let i = 0; i < 3; i++) await service.create(inviter(1), { email: INVITEE_EMAIL, role: 'member' });
    // Act
    const attempt = service.create(inviter(2), { email: INVITEE_EMAIL, role: 'member' });
    // Assess
    await expect(attempt).rejects.toMatchObject({ status: 429 });
    expect(sent).toHaveLength(3);
  });

  it('lets a paid plan send more than the Free plan', async () => {
    // Prepare
    const { service, sent } = harness();
    for (let i = 0; i < 20; i++)
      await service.create(inviter(i % 4, 'team'), { email: email(i), role: 'member' });
    // Act
    const { invitation } = await service.create(inviter(5, 'team'), { email: email(99), role: 'member' });
    // Assess
    expect(invitation.status).toBe('pending');
    expect(sent).toHaveLength(21);
  });

  it('sends again once the window has passed', async () => {
    // Prepare
    const { service, advanceSeconds } = harness();
    for (let i = 0; i < 3; i++) await service.create(inviter(1), { email: INVITEE_EMAIL, role: 'member' });
    const refused = await service
      .create(inviter(1), { email: INVITEE_EMAIL, role: 'member' })
      .catch((error: { headers: Record<string, string> }) => error);
    // Act
    advanceSeconds(Number((refused as { headers: Record<string, string> }).headers['retry-after']));
    const { invitation } = await service.create(inviter(1), { email: INVITEE_EMAIL, role: 'member' });
    // Assess
    expect(invitation.status).toBe('pending');
  });

  it('returns what is left of each limit with a sent invitation', async () => {
    // Prepare
    const { service } = harness();
    // Act
    const { rateLimits } = await service.create(inviter(1), { email: INVITEE_EMAIL, role: 'member' });
    // Assess
    expect(rateLimits.map((d) => [d.policy.name, d.policy.limit, d.remaining])).toEqual([
      ['invitations-per-recipient', 3, 2],
      ['invitations-per-user', 20, 19],
      ['invitations-per-tenant', 20, 19],
    ]);
  });

  it('counts nothing for a caller whose role may not invite', async () => {
    // Prepare
    const { service } = harness();
    const member = fakeTenantContext({ role: 'member', tenantId: TENANT_ID });
    await service.create(member, { email: INVITEE_EMAIL, role: 'member' }).catch(() => undefined);
    // Act
    const { rateLimits } = await service.create(inviter(1), { email: INVITEE_EMAIL, role: 'member' });
    // Assess
    expect(rateLimits[0]?.remaining).toBe(2);
  });
});

describe('invitation rules: listing and revoking', () => {
  it('refuses a plain member the tenant invitation list with a 403', async () => {
    // Prepare
    const { service } = harness();
    // Act
    const attempt = service.list(contextWithRole('member'), { limit: 25 });
    // Assess
    await expect(attempt).rejects.toBeInstanceOf(ForbiddenError);
  });

  it('lists an invitation past its expiry as expired', async () => {
    // Prepare
    const { service, advanceDays } = harness();
    await service.create(contextWithRole('admin'), { email: INVITEE_EMAIL, role: 'member' });
    advanceDays(7);
    // Act
    const page = await service.list(contextWithRole('manager'), { limit: 25 });
    // Assess
    expect(page.items.map((i) => i.status)).toEqual(['expired']);
  });

  it('refuses a manager revoking an invitation with a 403', async () => {
    // Prepare
    const { service } = harness();
    const { invitation } = await service.create(contextWithRole('manager'), {
      email: INVITEE_EMAIL,
      role: 'member',
    });
    // Act
    const attempt = service.revoke(contextWithRole('manager'), invitation.invitationId);
    // Assess
    await expect(attempt).rejects.toBeInstanceOf(ForbiddenError);
  });

  it('refuses an admin revoking an owner invitation with a 403', async () => {
    // Prepare
    const { service } = harness();
    const { invitation } = await service.create(contextWithRole('owner'), {
      email: INVITEE_EMAIL,
      role: 'owner',
    });
    // Act
    const attempt = service.revoke(contextWithRole('admin'), invitation.invitationId);
    // Assess
    await expect(attempt).rejects.toThrowError(/Only owners/);
  });

  it('lets an owner revoke an owner invitation', async () => {
    // Prepare
    const { service, invitations } = harness();
    const { invitation } = await service.create(contextWithRole('owner'), {
      email: INVITEE_EMAIL,
      role: 'owner',
    });
    // Act
    await service.revoke(contextWithRole('owner'), invitation.invitationId);
    // Assess
    expect(invitations.get(invitation.invitationId)).toMatchObject({
      status: 'revoked',
      revokedBy: CALLER_ID,
    });
  });

  it('refuses to revoke an expired invitation with a 409', async () => {
    // Prepare
    const { service, advanceDays } = harness();
    const { invitation } = await service.create(contextWithRole('admin'), {
      email: INVITEE_EMAIL,
      role: 'member',
    });
    advanceDays(8);
    // Act
    const attempt = service.revoke(contextWithRole('admin'), invitation.invitationId);
    // Assess
    await expect(attempt).rejects.toThrowError(/is expired/);
  });
});

describe('invitation rules: the invitee', () => {
  it('lists nothing for a caller whose email is not verified', async () => {
    // Prepare
    const { service } = harness({ emailVerified: false });
    await service.create(contextWithRole('admin'), { email: INVITEE_EMAIL, role: 'member' });
    // Act
    const mine = await service.listMine(invitee);
    // Assess
    expect(mine.items).toEqual([]);
  });

  it('refuses to accept with an unverified email with a 403 that says to verify it', async () => {
    // Prepare
    const { service } = harness({ emailVerified: false });
    const { invitation } = await service.create(contextWithRole('admin'), {
      email: INVITEE_EMAIL,
      role: 'member',
    });
    // Act
    const attempt = service.accept(invitee, invitation.invitationId, request);
    // Assess
    await expect(attempt).rejects.toBeInstanceOf(ForbiddenError);
    await expect(attempt).rejects.toThrowError(/Verify your email/);
  });

  it('hides expired invitations from the invitee', async () => {
    // Prepare
    const { service, advanceDays } = harness();
    await service.create(contextWithRole('admin'), { email: INVITEE_EMAIL, role: 'member' });
    advanceDays(7);
    // Act
    const mine = await service.listMine(invitee);
    // Assess
    expect(mine.items).toEqual([]);
  });

  it('refuses to accept an expired invitation with a 409 and changes nothing', async () => {
    // Prepare
    const { service, advanceDays, accepted } = harness();
    const { invitation } = await service.create(contextWithRole('admin'), {
      email: INVITEE_EMAIL,
      role: 'member',
    });
    advanceDays(7);
    // Act
    const attempt = service.accept(invitee, invitation.invitationId, request);
    // Assess
    await expect(attempt).rejects.toBeInstanceOf(ConflictError);
    await expect(attempt).rejects.toThrowError(/expired/);
    expect(accepted).toEqual([]);
  });

  it('refuses to accept into a tenant restricted for non-payment with a 402 and changes nothing', async () => {
    // Prepare
    const { service, accepted } = harness({ restricted: true });
    const { invitation } = await service.create(contextWithRole('admin'), {
      email: INVITEE_EMAIL,
      role: 'member',
    });
    // Act
    const attempt = service.accept(invitee, invitation.invitationId, request);
    // Assess
    await expect(attempt).rejects.toBeInstanceOf(PaymentRequiredError);
    await expect(attempt).rejects.toThrowError(/payment method/);
    expect(accepted).toEqual([]);
  });

  it('refuses to accept an invitation twice with a 409', async () => {
    // Prepare
    const { service } = harness();
    const { invitation } = await service.create(contextWithRole('admin'), {
      email: INVITEE_EMAIL,
      role: 'member',
    });
    await service.accept(invitee, invitation.invitationId, request);
    // Act
    const attempt = service.accept(invitee, invitation.invitationId, request);
    // Assess
    await expect(attempt).rejects.toThrowError(/already accepted/);
  });

  it('answers 404 for an invitation not addressed to the caller', async () => {
    // Prepare
    const { service } = harness();
    const { invitation } = await service.create(contextWithRole('admin'), {
      email: 'someone-else@example.com',
      role: 'member',
    });
    // Act
    const attempt = service.accept(invitee, invitation.invitationId, request);
    // Assess
    await expect(attempt).rejects.toBeInstanceOf(NotFoundError);
  });

  it('makes the invitee a member with the invitation role and verified email', async () => {
    // Prepare
    const { service } = harness();
    const { invitation } = await service.create(contextWithRole('admin'), {
      email: INVITEE_EMAIL,
      role: 'manager',
    });
    // Act
    const member = await service.accept(invitee, invitation.invitationId, request);
    // Assess
    expect(member).toEqual({
      tenantId: TENANT_ID,
      userId: INVITEE_ID,
      email: INVITEE_EMAIL,
      role: 'manager',
      status: 'active',
      joinedAt: START.toISOString(),
      updatedAt: START.toISOString(),
    });
  });
});
