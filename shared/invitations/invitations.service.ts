import type { Caller } from '../auth/caller.ts';
import { effectivePlan } from '../billing/entitlements.ts';
import { noSeatToJoin, PlanLimitError, seatLimit } from '../billing/limits.ts';
import { plans } from '../billing/plans.ts';
import type { Page } from '../db/page.ts';
import type { RequestMeta } from '../http/api-handler.ts';
import { ConflictError, ForbiddenError, NotFoundError, PaymentRequiredError } from '../http/errors.ts';
import type { Clock, IdGenerator } from '../ids.ts';
import type { Member } from '../members/members.schema.ts';
import type { RateLimitDecision, RateLimiter } from '../ratelimit/rate-limiter.ts';
import { authorize, type TenantContext } from '../tenancy/tenant-context.ts';
import type { Identity, IdentityDirectory } from '../users/identity-directory.ts';
import {
  acceptUrlFor,
  effectiveStatus,
  expiresAtFor,
  isOpen,
  type StoredInvitation,
  toInvitation,
} from './invitation-expiry.ts';
import { invitationSendChecks } from './invitation-limits.ts';
import type { InvitationMailer } from './invitation-mailer.ts';
import { InvitationEmailError, PendingInvitationExistsError } from './invitations.errors.ts';
import type { InvitationRepositoryFactory } from './invitations.repository.ts';
import type { CreateInvitationInput, Invitation } from './invitations.schema.ts';

export interface InvitationServiceDeps {
  readonly invitations: InvitationRepositoryFactory;
  /** Where the invitee's verified email comes from (access tokens carry none). */
  readonly directory: IdentityDirectory;
  readonly mailer: InvitationMailer;
  /** Counts invitation emails against the plan's send limits (per recipient, user and tenant). */
  readonly rateLimiter: RateLimiter;
  readonly clock: Clock;
  readonly newId: IdGenerator;
  /** Base of the accept link: `${appUrl}/invitations/${invitationId}`. */
  readonly appUrl: string;
  /** Days an invitation stays acceptable (INVITATION_TTL_DAYS). */
  readonly ttlDays: number;
}

/**
 * Invitation use cases: members with `members:invite` invite by email (never above their own
 * role), the invitee sees and accepts invitations sent to their verified email, admins revoke.
 */
export function createInvitationService(deps: InvitationServiceDeps) {
  const { invitations, directory, mailer, rateLimiter, clock, newId, appUrl, ttlDays } = deps;
  const actor = (ctx: TenantContext) => ({ userId: ctx.caller.userId, email: ctx.member.email });

  /** The caller's identity when their email is verified; an unverified address proves nothing. */
  async function verifiedIdentity(caller: Caller): Promise<Identity | undefined> {
    const identity = await directory.getUser(caller.userId);
    return identity?.emailVerified ? identity : undefined;
  }

  /**
   * Delivery failure policy: the invitation is written first (one transaction with its guard and
   * audit entry), then mailed. If SES fails the request answers 502 and the invitation stays
   * pending; the client's retry of the same request finds it (same email and role) and sends the
   * email again instead of getting a 409. Nothing is half-written and nothing is lost.
   */
  async function send(ctx: TenantContext, invitation: StoredInvitation): Promise<void> {
    try {
      await mailer.sendInvitation({
        tenantId: ctx.tenantId,
        to: invitation.email,
        tenantName: invitation.tenantName,
        role: invitation.role,
        acceptUrl: acceptUrlFor(appUrl, invitation.invitationId),
        expiresAt: invitation.expiresAt,
        invitedBy: ctx.member.email,
      });
    } catch (cause) {
      throw new InvitationEmailError(invitation.invitationId, { cause });
    }
  }

  /**
   * The open invitation a repeated request may re-send (a 409 when its role differs), or
   * undefined when the email's guard is held by an invitation that has expired meanwhile.
   */
  async function openDuplicate(
    ctx: TenantContext,
    input: CreateInvitationInput,
    now: Date,
  ): Promise<StoredInvitation | undefined> {
    const existing = await invitations.forTenant(ctx).findPending(input.email);
    if (!existing || !isOpen(existing, now)) return undefined;
    if (existing.role !== input.role) {
      throw new ConflictError(
        `A pending invitation for ${input.email} already exists with the ${existing.role} role; ` +
          'revoke it before inviting with another role.',
      );
    }
    return existing;
  }

  return {
    /** Managers and above see the tenant's invitations (they are the ones who invite). */
    async list(
      ctx: TenantContext,
      page: { limit: number; cursor?: string | undefined },
    ): Promise<Page<Invitation>> {
      authorize(ctx, 'members:invite');
      const result = await invitations.forTenant(ctx).list(page);
      const now = clock();
      return { ...result, items: result.items.map((i) => toInvitation(i, now, appUrl)) };
    },

    /**
     * Invites `input.email` with `input.role` and emails the link. Repeating the request while the
     * invitation is pending (same email and role) re-sends the email and returns the same
     * invitation; a different role is a 409, as is an email that is already a member.
     *
     * A pending invitation holds a seat: when members plus pending invitations fill the plan's
     * seats the answer is a 402 naming the limit and the plan that lifts it. Invitations that have
     * expired give their seat (and their email's guard) back first, so only open ones count.
     *
     * Every request that may send an email (a new invitation or a re-send) is first counted
     * against the plan's send limits; over a limit it is a 429 and nothing is written or sent.
     * Returns the rate-limit decisions too, for the response's RateLimit headers.
     */
    async create(
      ctx: TenantContext,
      input: CreateInvitationInput,
    ): Promise<{ invitation: Invitation; rateLimits: RateLimitDecision[] }> {
      authorize(ctx, 'members:invite', { grantsRole: input.role });
      const rateLimits = await rateLimiter.enforce(invitationSendChecks(ctx, input.email));
      const now = clock();
      let invitation: StoredInvitation = {
        invitationId: newId(),
        tenantId: ctx.tenantId,
        tenantName: ctx.tenant.name,
        email: input.email,
        role: input.role,
        status: 'pending',
        invitedBy: ctx.caller.userId,
        createdAt: now.toISOString(),
        expiresAt: expiresAtFor(now, ttlDays).toISOString(),
      };
      const repository = invitations.forTenant(ctx);
      const audit = {
        actor: actor(ctx),
        request: ctx.request,
        action: 'invitation.created',
        target: { type: 'invitation', id: invitation.invitationId },
        before: null,
        after: { ...invitation },
      };
      for (let attempt = 1; ; attempt++) {
        try {
          await repository.create(invitation, audit, seatLimit(ctx));
          break;
        } catch (error) {
          if (!(error instanceof PendingInvitationExistsError || error instanceof PlanLimitError))
            throw error;
          // A repeated request for an open invitation re-sends it, whichever condition refused.
          const duplicate = await openDuplicate(ctx, input, now);
          if (duplicate) {
            invitation = duplicate;
            break;
          }
          // An expired invitation may hold the email's guard or the seat: reclaim what has expired
          // and try once more. A second refusal, or a full tenant with nothing expired, stands.
          if (attempt > 1) throw error;
          const freed = await repository.reclaimExpired(now);
          if (freed === 0 && error instanceof PlanLimitError) throw error;
        }
      }
      await send(ctx, invitation);
      return { invitation: toInvitation(invitation, now, appUrl), rateLimits };
    },

    /** Admins revoke pending invitations, owners also those that would make an owner. */
    async revoke(ctx: TenantContext, invitationId: string): Promise<void> {
      authorize(ctx, 'invitations:revoke');
      const repository = invitations.forTenant(ctx);
      const before = await repository.get(invitationId);
      if (!before) throw new NotFoundError('Invitation not found.');
      authorize(ctx, 'invitations:revoke', { targetRole: before.role });
      const now = clock();
      const status = effectiveStatus(before, now);
      if (status !== 'pending') {
        throw new ConflictError(`The invitation is ${status}; only pending invitations can be revoked.`);
      }
      const after = {
        ...before,
        status: 'revoked' as const,
        revokedAt: now.toISOString(),
        revokedBy: ctx.caller.userId,
      };
      await repository.revoke(after, {
        actor: actor(ctx),
        request: ctx.request,
        action: 'invitation.revoked',
        target: { type: 'invitation', id: invitationId },
        before: { ...before },
        after: { ...after },
      });
    },

    /**
     * Pending, unexpired invitations for the caller's verified email. An unverified email sees an
     * empty list (not a 403): listing is harmless, and the client learns why from `emailVerified`
     * at GET /v1/me; accepting is where the 403 explains what to do.
     */
    async listMine(caller: Caller): Promise<{ items: Invitation[] }> {
      const identity = await verifiedIdentity(caller);
      if (!identity) return { items: [] };
      const now = clock();
      const pending = await invitations.forInvitee(identity).listPending();
      return { items: pending.filter((i) => isOpen(i, now)).map((i) => toInvitation(i, now, appUrl)) };
    },

    /**
     * Joins the tenant with the invitation's role. The invitation is looked up under the caller's
     * verified email, so somebody else's invitation is a 404; one that is no longer pending
     * (accepted, revoked or expired) is a 409. The invitation already holds a seat, but the
     * tenant's plan may have shrunk since it was sent: the join is held to the seats of the plan
     * that applies now (402 when every seat is taken), by a condition on the tenant's member count,
     * so two invitees racing for the last seat cannot both join.
     */
    async accept(caller: Caller, invitationId: string, request: RequestMeta): Promise<Member> {
      const identity = await verifiedIdentity(caller);
      if (!identity) {
        throw new ForbiddenError(
          'Verify your email address first: an invitation is accepted with the verified email it was sent to.',
        );
      }
      const repository = invitations.forInvitee(identity);
      const before = await repository.get(invitationId);
      if (!before) throw new NotFoundError('Invitation not found.');
      const now = clock();
      const status = effectiveStatus(before, now);
      if (status === 'expired') {
        throw new ConflictError(`This invitation expired at ${before.expiresAt}; ask for a new one.`);
      }
      if (status !== 'pending') throw new ConflictError(`This invitation was already ${status}.`);

      const at = now.toISOString();
      const after = { ...before, status: 'accepted' as const, acceptedAt: at, acceptedBy: caller.userId };
      const member: Member = {
        tenantId: before.tenantId,
        userId: caller.userId,
        email: identity.email,
        role: before.role,
        status: 'active',
        joinedAt: at,
        updatedAt: at,
      };
      const who = { userId: caller.userId, email: identity.email };
      const billing = await repository.billingOf(before.tenantId);
      // A tenant restricted for non-payment takes no new members, as it takes no other change.
      if (billing.restricted) {
        throw new PaymentRequiredError(
          `${before.tenantName} is restricted after failed payments: an admin of ${before.tenantName} must update the payment method before anyone can join.`,
        );
      }
      const plan = effectivePlan(billing);
      const seats = plans[plan].entitlements.seats;
      const limit = { max: seats, reached: () => noSeatToJoin(before.tenantName, plan, seats) };
      await repository.accept(
        after,
        member,
        [
          {
            actor: who,
            request,
            action: 'invitation.accepted',
            target: { type: 'invitation', id: invitationId },
            before: { ...before },
            after: { ...after },
          },
          {
            actor: who,
            request,
            action: 'member.joined',
            target: { type: 'member', id: caller.userId },
            before: null,
            after: { ...member },
          },
        ],
        limit,
      );
      return member;
    },
  };
}

export type InvitationService = ReturnType<typeof createInvitationService>;
