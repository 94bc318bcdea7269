import { impersonationGateFor } from '#shared/app/impersonation.ts';
import { createRuntime } from '#shared/app/runtime.ts';
import { createApiHandler, implement } from '#shared/http/api-handler.ts';
import { membersRoutes as routes } from '#shared/http/routes/members.ts';
import { createMemberRepository } from '#shared/members/members.repository.ts';
import { createMemberService } from '#shared/members/members.service.ts';
import { mfaStatusOf } from '#shared/users/user-profile.ts';

const runtime = createRuntime();
const { db, clock, newId, tenancy } = runtime;
const members = createMemberService({
  members: createMemberRepository(db, { clock, newId }),
  clock,
  mfaStatus: (userIds) => mfaStatusOf(db, userIds),
});

export const handler = createApiHandler(
  'members',
  routes,
  [
    implement(routes.listMembers, async ({ params, query, caller, request }) =>
      members.list(await tenancy.resolve(caller, params.tenantId, request), query),
    ),
    implement(routes.updateMember, async ({ params, body, caller, request }) =>
      members.changeRole(await tenancy.resolve(caller, params.tenantId, request), params.userId, body),
    ),
    implement(routes.removeMember, async ({ params, caller, request }) => {
      await members.remove(await tenancy.resolve(caller, params.tenantId, request), params.userId);
      return undefined;
    }),
  ],
  { impersonation: impersonationGateFor(runtime) },
);
