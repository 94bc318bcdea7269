import { describe, expect, it } from 'vitest';
import type { Caller } from '#shared/auth/caller.ts';
import type { BillingState } from '#shared/billing/billing.schema.ts';
import { type Limit, PlanLimitError } from '#shared/billing/limits.ts';
import type { StoredInvitation } from '#shared/invitations/invitation-expiry.ts';
import { PendingInvitationExistsError } from '#shared/invitations/invitations.errors.ts';
import type {
  InvitationRepositoryFactory,
  InviteeInvitationRepository,
  TenantInvitationRepository,
} from '#shared/invitations/invitations.repository.ts';
import { createInvitationService } from '#shared/invitations/invitations.service.ts';
import type { ProjectRepository, ProjectRepositoryFactory } from '#shared/projects/projects.repository.ts';
import { createProjectService } from '#shared/projects/projects.service.ts';
import { memoryRateLimiter } from '../support/memory-rate-limiter.ts';
import { fakeTenantContext } from '../support/tenant-context.ts';

/**
 * How the project and invitation use cases apply the plan limits, with in-memory repositories
 * that hold the seat counter the way the table's conditions do.
 */

const NOW = new Date('2026-03-01T12:00:00.000Z');
const TENANT_ID = '01jf00000000000000000000tt';
const INVITEE: Caller = { userId: '33333333-3333-4333-8333-333333333333', groups: [], platformAdmin: false };
const INVITEE_EMAIL = 'ada@example.com';
const request = { requestId: 'req-1', sourceIp: '203.0.113.8' };

describe('project service limits', () => {
  function projectsWith(created: Limit[]) {
    const repository = {
      create: async (_project, _audit, limit) => {
        created.push(limit);
      },
    } as Partial<ProjectRepository> as ProjectRepository;
    const factory: ProjectRepositoryFactory = { forTenant: () => repository };
    return createProjectService({
      projects: factory,
      clock: () => NOW,
      newId: () => '01jf0000000000000000000001',
    });
  }

  it('refuses a project at the limit with a 402 before writing anything', async () => {
    // Prepare
    const created: Limit[] = [];
    const service = projectsWith(created);
    const ctx = fakeTenantContext({ role: 'manager', tenant: { projectCount: 3 } });
    // Act
    const attempt = service.create(ctx, { name: 'Four', slug: 'four', description: '' });
    // Assess
    await expect(attempt).rejects.toBeInstanceOf(PlanLimitError);
    expect(created).toEqual([]);
  });

  it("hands the repository the plan's project limit for the transaction's condition", async () => {
    // Prepare
    const created: Limit[] = [];
    const service = projectsWith(created);
    const ctx = fakeTenantContext({
      role: 'manager',
      tenant: { projectCount: 3 },
      billing: { plan: 'team', status: 'trialing' },
    });
    // Act
    await service.create(ctx, { name: 'Four', slug: 'four', description: '' });
    // Assess
    expect(created.map((l) => l.max)).toEqual([25]);
  });
});

describe('invitation service limits', () => {
  /**
   * An in-memory repository with the table's rules: one guard per email, and a seat counter
   * (members plus guards) checked against the limit it is handed. Expired guards hold their seat
   * until reclaimed.
   */
  function harness(options: { members: number; billing?: Pick<BillingState, 'plan' | 'status'> }) {
    const now = NOW;
    let ids = 0;
    const guards = new Map<string, StoredInvitation>();
    const calls: string[] = [];
    const acceptLimits: number[] = [];
    const tenantRepository = {
      create: async (invitation: StoredInvitation, _audit: unknown, seats: Limit) => {
        calls.push('create');
        if (guards.has(invitation.email)) throw new PendingInvitationExistsError(invitation.email);
        if (options.members + guards.size >= seats.max) throw seats.reached();
        guards.set(invitation.email, invitation);
      },
      findPending: async (email: string) => guards.get(email),
      reclaimExpired: async (at: Date) => {
        calls.push('reclaim');
        let freed = 0;
        for (const [email, guard] of guards) {
          if (Date.parse(guard.expiresAt) <= at.getTime()) {
            guards.delete(email);
            freed += 1;
          }
        }
        return freed;
      },
    } as Partial<TenantInvitationRepository> as TenantInvitationRepository;
    const inviteeRepository = {
      get: async () => [...guards.values()].find((g) => g.email === INVITEE_EMAIL),
      billingOf: async () => options.billing ?? { plan: 'free', status: 'none' },
      accept: async (_accepted, _member, _audits, seats) => {
        acceptLimits.push(seats.max);
      },
    } as Partial<InviteeInvitationRepository> as InviteeInvitationRepository;
    const factory: InvitationRepositoryFactory = {
      forTenant: () => tenantRepository,
      forInvitee: () => inviteeRepository,
    };
    const sent: string[] = [];
    const service = createInvitationService({
      invitations: factory,
      directory: {
        getUser: async () => ({
          userId: INVITEE.userId,
          email: INVITEE_EMAIL,
          emailVerified: true,
          mfaEnabled: false,
          enabled: true,
        }),
      },
      mailer: {
        sendInvitation: async (mail) => {
          sent.push(mail.to);
        },
      },
      rateLimiter: memoryRateLimiter(() => now),
      clock: () => now,
      newId: () => `01jf000000000000000000${String(++ids).padStart(4, '0')}`,
      appUrl: 'https://app.example.com',
      ttlDays: 7,
    });
    /** A guard as an earlier invitation left it, `daysAgo` days before now. */
    const seed = (email: string, daysAgo: number) => {
      const createdAt = new Date(now.getTime() - daysAgo * 86_400_000);
      guards.set(email, {
        invitationId: `01jf00000000000000000seed${guards.size}`,
        tenantId: TENANT_ID,
        tenantName: 'Acme',
        email,
        role: 'member',
        status: 'pending',
        invitedBy: 'someone',
        createdAt: createdAt.toISOString(),
        expiresAt: new Date(createdAt.getTime() + 7 * 86_400_000).toISOString(),
      });
    };
    return { service, calls, sent, seed, guards, acceptLimits };
  }

  const ctx = fakeTenantContext({ role: 'admin', tenantId: TENANT_ID });

  it('refuses an invitation with a 402 when members and open invitations fill the seats', async () => {
    // Prepare
    const { service, seed, sent } = harness({ members: 2 });
    seed('open@example.com', 1);
    // Act
    const attempt = service.create(ctx, { email: INVITEE_EMAIL, role: 'member' });
    // Assess
    await expect(attempt).rejects.toThrowError(/^The Free plan allows 3 seats/);
    expect(sent).toEqual([]);
  });

  it("reclaims an expired invitation's seat and invites", async () => {
    // Prepare
    const { service, seed, calls, guards } = harness({ members: 2 });
    seed('stale@example.com', 10);
    // Act
    const { invitation } = await service.create(ctx, { email: INVITEE_EMAIL, role: 'member' });
    // Assess
    expect(invitation.status).toBe('pending');
    expect(calls).toEqual(['create', 'reclaim', 'create']);
    expect([...guards.keys()]).toEqual([INVITEE_EMAIL]);
  });

  it('invites an email again once its previous invitation expired, reclaiming its guard', async () => {
    // Prepare
    const { service, seed, guards } = harness({ members: 1 });
    seed(INVITEE_EMAIL, 10);
    const stale = guards.get(INVITEE_EMAIL)?.invitationId;
    // Act
    const { invitation } = await service.create(ctx, { email: INVITEE_EMAIL, role: 'member' });
    // Assess
    expect(invitation.invitationId).not.toBe(stale);
  });

  it('re-sends an open invitation even when the seats are full', async () => {
    // Prepare
    const { service, seed, sent, guards } = harness({ members: 2 });
    seed(INVITEE_EMAIL, 1);
    // Act
    const { invitation } = await service.create(ctx, { email: INVITEE_EMAIL, role: 'member' });
    // Assess
    expect(invitation.invitationId).toBe(guards.get(INVITEE_EMAIL)?.invitationId);
    expect(sent).toEqual([INVITEE_EMAIL]);
  });

  it('holds an acceptance to the seats of the plan that applies now', async () => {
    // Prepare
    const { service, seed, guards, acceptLimits } = harness({
      members: 1,
      billing: { plan: 'team', status: 'canceled' },
    });
    seed(INVITEE_EMAIL, 1);
    // Act
    await service.accept(INVITEE, guards.get(INVITEE_EMAIL)?.invitationId ?? '', request);
    // Assess
    expect(acceptLimits).toEqual([3]);
  });
});
