import { type OperatorGuard, operatorRolesOf } from '../admin/operators.ts';
import type { Caller } from '../auth/caller.ts';
import type { ImpersonationGate } from '../http/api-handler.ts';
import { ForbiddenError, NotFoundError, UnauthorizedError } from '../http/errors.ts';
import { type Clock, ID_PATTERN } from '../ids.ts';
import type { ImpersonationRepository } from './impersonation.repository.ts';

/**
 * What the API's dispatch asks when a request carries the `Plinth-Impersonation` header on a route
 * that may run under impersonation (shared/http/api-handler.ts): the header is honoured only for
 * an operator allowed to impersonate (role and MFA, the operator guard) who opened that session,
 * while it is open and unexpired (401 otherwise); a session limited to a tenant reaches that
 * tenant's paths only (other tenants 404, paths of no tenant 403); a tenant whose owners turned
 * support access off is refused (403), sessions opened before included. One strongly consistent
 * read per request: the session, with the path's tenant in the same BatchGet.
 */
export function createImpersonationGate(deps: {
  sessions: Pick<ImpersonationRepository, 'findForUse'>;
  operators: OperatorGuard;
  clock: Clock;
}): ImpersonationGate {
  return {
    async impersonate(operator: Caller, sessionId: string, tenantId: string | undefined): Promise<Caller> {
      if (!ID_PATTERN.test(sessionId)) {
        throw new UnauthorizedError(
          'The Plinth-Impersonation header does not name an impersonation session.',
        );
      }
      if (operatorRolesOf(operator).length === 0) {
        throw new ForbiddenError('Only operators of the platform may act under an impersonation session.');
      }
      await deps.operators.authorize(operator, 'impersonation:open');
      // A malformed tenant id is the route's 400; it names no tenant to read.
      const pathTenantId = tenantId !== undefined && ID_PATTERN.test(tenantId) ? tenantId : undefined;
      const { session, tenant } = await deps.sessions.findForUse(sessionId, pathTenantId);
      if (!session || session.operatorId !== operator.userId) {
        throw new UnauthorizedError('No impersonation session with this id was opened by you.');
      }
      if (session.status === 'ended') {
        throw new UnauthorizedError(
          `This impersonation session was ended at ${session.endedAt ?? 'an earlier time'}: open a new one.`,
        );
      }
      if (session.expiresAt <= deps.clock().toISOString()) {
        throw new UnauthorizedError(
          `This impersonation session expired at ${session.expiresAt}: open a new one.`,
        );
      }
      if (session.tenantId !== undefined) {
        if (tenantId === undefined) {
          throw new ForbiddenError(
            'This impersonation session is limited to one tenant: only its routes (/v1/tenants/{tenantId}/…) can be called.',
          );
        }
        if (tenantId !== session.tenantId) throw new NotFoundError('Tenant not found.');
      }
      if (tenant?.supportAccess === false) {
        throw new ForbiddenError(
          'The tenant’s owners have turned support access off: its data cannot be reached under impersonation.',
        );
      }
      return {
        userId: session.userId,
        groups: [],
        platformAdmin: false,
        impersonatedBy: { operatorId: operator.userId, sessionId },
      };
    },
  };
}
