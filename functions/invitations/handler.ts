import { deferred } from '#shared/app/deferred.ts';
import { lazyIdentityDirectory } from '#shared/app/identity.ts';
import { impersonationGateFor } from '#shared/app/impersonation.ts';
import { createRuntime } from '#shared/app/runtime.ts';
import { createApiHandler, implement, reply } from '#shared/http/api-handler.ts';
import { invitationsRoutes as routes } from '#shared/http/routes/invitations.ts';
import type { InvitationMailer } from '#shared/invitations/invitation-mailer.ts';
import { createInvitationRepository } from '#shared/invitations/invitations.repository.ts';
import { createInvitationService } from '#shared/invitations/invitations.service.ts';
import { traceClient } from '#shared/observability/tracer.ts';
import { rateLimitHeaders } from '#shared/ratelimit/rate-limit-headers.ts';
import { createTableRateLimiter } from '#shared/ratelimit/window-counter.ts';

const runtime = createRuntime();
const { env, db, clock, newId, tenancy, userGate } = runtime;
// Both clients honour AWS_ENDPOINT_URL, which points them at the emulator locally. Each is loaded on
// the first request that needs it, not at cold start: Cognito when an invitation is sent or accepted
// (to learn the caller's email), SES (~80 KB with its REST protocol code) when one is sent. Listing
// and revoking need neither.
const directory = lazyIdentityDirectory(env);
const mailer = deferred<InvitationMailer>(async () => {
  const [{ SESv2Client }, { createSesInvitationMailer }] = await Promise.all([
    import('@aws-sdk/client-sesv2'),
    import('#shared/invitations/invitation-mailer.ts'),
  ]);
  return createSesInvitationMailer(traceClient(new SESv2Client({ region: env.AWS_REGION })), env.MAIL_FROM, {
    db,
    clock,
    newId,
    configurationSetName: env.MAIL_CONFIGURATION_SET,
  });
});
const invitations = createInvitationService({
  invitations: createInvitationRepository(db, { clock, newId }),
  directory,
  mailer,
  rateLimiter: createTableRateLimiter(db, clock),
  clock,
  newId,
  appUrl: env.APP_URL,
  ttlDays: env.INVITATION_TTL_DAYS,
});

export const handler = createApiHandler(
  'invitations',
  routes,
  [
    implement(routes.listInvitations, async ({ params, query, caller, request }) =>
      invitations.list(await tenancy.resolve(caller, params.tenantId, request), query),
    ),
    implement(routes.createInvitation, async ({ params, body, caller, request }) => {
      const { invitation, rateLimits } = await invitations.create(
        await tenancy.resolve(caller, params.tenantId, request),
        body,
      );
      return reply(invitation, rateLimitHeaders(rateLimits));
    }),
    implement(routes.revokeInvitation, async ({ params, caller, request }) => {
      await invitations.revoke(await tenancy.resolve(caller, params.tenantId, request), params.invitationId);
      return undefined;
    }),
    // Routes that resolve no tenant check the user's suspension with one read of their profile.
    implement(routes.listMyInvitations, async ({ caller }) => {
      await userGate.check(caller);
      return invitations.listMine(caller);
    }),
    implement(routes.acceptInvitation, async ({ params, caller, request }) => {
      await userGate.check(caller);
      return invitations.accept(caller, params.invitationId, request);
    }),
  ],
  { impersonation: impersonationGateFor(runtime) },
);
