import { requireOperatorPermission } from '../admin/operators.ts';
import type { Caller } from '../auth/caller.ts';
import type { Page, PageRequest } from '../db/page.ts';
import type { RequestMeta } from '../http/api-handler.ts';
import { BadRequestError, ConflictError, ForbiddenError, NotFoundError } from '../http/errors.ts';
import type { Clock, IdGenerator } from '../ids.ts';
import type { TenantRepository } from '../tenants/tenants.repository.ts';
import type { IdentityDirectory } from '../users/identity-directory.ts';
import type { ImpersonationRepository, ImpersonationSession } from './impersonation.repository.ts';
import type { ImpersonationSessionView, OpenImpersonationInput } from './impersonation.schema.ts';

export interface ImpersonationServiceDeps {
  readonly sessions: ImpersonationRepository;
  /** Lists the user's tenants, whose audit logs show a session not limited to one. */
  readonly tenants: Pick<TenantRepository, 'listMemberships'>;
  readonly directory: IdentityDirectory;
  readonly clock: Clock;
  readonly newId: IdGenerator;
}

/**
 * A session over all of a user's tenants writes its audit entry to each of their logs in the same
 * transaction as the session (TransactWriteItems takes 100 items: the session, the platform entry
 * and the tenants' copies).
 */
export const MAX_AUDITED_TENANTS = 90;

/** A session as the console shows it: with the seconds it has left at `now`. */
export function sessionView(session: ImpersonationSession, now: Date): ImpersonationSessionView {
  const left = Math.floor((Date.parse(session.expiresAt) - now.getTime()) / 1000);
  return {
    sessionId: session.sessionId,
    operatorId: session.operatorId,
    userId: session.userId,
    ...(session.tenantId ? { tenantId: session.tenantId } : {}),
    reason: session.reason,
    openedAt: session.openedAt,
    expiresAt: session.expiresAt,
    secondsLeft: Math.max(0, left),
  };
}

/**
 * Opening, listing and ending impersonation sessions (`/admin/impersonations`). Operators need
 * `impersonation:open` (checked by the route's guard with MFA, and again here). A session lets its
 * operator call the normal API as the user for at most an hour (shared/impersonation/
 * impersonation-gate.ts); opening and ending are audited in the platform log and in the audit log of
 * every tenant the session reaches.
 */
export function createImpersonationService(deps: ImpersonationServiceDeps) {
  const { sessions, tenants, directory, clock, newId } = deps;

  return {
    async open(caller: Caller, input: OpenImpersonationInput, request: RequestMeta) {
      requireOperatorPermission(caller, 'impersonation:open');
      if (input.userId === caller.userId) {
        throw new BadRequestError('The request body is invalid.', [
          { field: 'body.userId', message: 'an operator cannot impersonate themselves' },
        ]);
      }
      const user = await directory.getUser(input.userId);
      if (!user) throw new NotFoundError('User not found.');

      let auditTenantIds: string[];
      if (input.tenantId) {
        const { tenant, member } = await sessions.membership(input.tenantId, input.userId);
        if (!tenant || tenant.status === 'deleted' || !member || member.status !== 'active') {
          throw new NotFoundError('The user is not an active member of this tenant.');
        }
        if (tenant.supportAccess === false) {
          throw new ForbiddenError(
            'The tenant’s owners have turned support access off: no impersonation session can be opened for it.',
          );
        }
        auditTenantIds = [input.tenantId];
      } else {
        auditTenantIds = (await tenants.listMemberships(input.userId)).map((m) => m.tenant.tenantId);
        if (auditTenantIds.length > MAX_AUDITED_TENANTS) {
          throw new ConflictError(
            `The user belongs to ${auditTenantIds.length} tenants: limit the session to one with tenantId.`,
          );
        }
      }

      const now = clock();
      const session: ImpersonationSession = {
        sessionId: newId(),
        operatorId: caller.userId,
        userId: input.userId,
        ...(input.tenantId ? { tenantId: input.tenantId } : {}),
        reason: input.reason,
        openedAt: now.toISOString(),
        expiresAt: new Date(now.getTime() + input.minutes * 60_000).toISOString(),
        status: 'open',
        auditTenantIds,
      };
      await sessions.open(session, {
        operatorId: caller.userId,
        action: 'impersonation.opened',
        before: null,
        after: {
          sessionId: session.sessionId,
          expiresAt: session.expiresAt,
          minutes: input.minutes,
          ...(input.tenantId ? { tenantId: input.tenantId } : {}),
        },
        reason: input.reason,
        request,
      });
      return sessionView(session, now);
    },

    /** The sessions open now, soonest to expire first, with their time left. */
    async listOpen(caller: Caller, page: PageRequest): Promise<Page<ImpersonationSessionView>> {
      requireOperatorPermission(caller, 'impersonation:open');
      const now = clock();
      const result = await sessions.listOpen(now.toISOString(), page);
      return { items: result.items.map((s) => sessionView(s, now)), nextCursor: result.nextCursor };
    },

    /**
     * Ends a session before its time (any operator who may open sessions may end one): 404 for an
     * unknown session, 409 for one already ended or expired.
     */
    async end(caller: Caller, sessionId: string, request: RequestMeta): Promise<void> {
      requireOperatorPermission(caller, 'impersonation:open');
      const session = await sessions.get(sessionId);
      if (!session) throw new NotFoundError('No such impersonation session.');
      const now = clock();
      const endedAt = now.toISOString();
      if (session.status !== 'open' || session.expiresAt <= endedAt) {
        throw new ConflictError('This impersonation session has already ended or expired.');
      }
      await sessions.end(session, endedAt, {
        operatorId: caller.userId,
        action: 'impersonation.ended',
        before: { sessionId, status: 'open', expiresAt: session.expiresAt },
        after: { sessionId, status: 'ended', endedAt, openedBy: session.operatorId },
        reason: null,
        request,
      });
    },
  };
}

export type ImpersonationService = ReturnType<typeof createImpersonationService>;
