import { deferred } from '#shared/app/deferred.ts';
import { lazyIdentityDirectory, operatorGuardFor } from '#shared/app/identity.ts';
import { impersonationGateFor } from '#shared/app/impersonation.ts';
import { createRuntime } from '#shared/app/runtime.ts';
import { createApiHandler, implement } from '#shared/http/api-handler.ts';
import { supportRoutes as routes } from '#shared/http/routes/support.ts';
import type { MailSender } from '#shared/mail/mail-sender.ts';
import { traceClient } from '#shared/observability/tracer.ts';
import { createSupportRepository } from '#shared/support/support.repository.ts';
import { createSupportService } from '#shared/support/support.service.ts';

const runtime = createRuntime();
const { env, db, clock, newId, tenancy } = runtime;
const directory = lazyIdentityDirectory(env);
const operators = operatorGuardFor(env, clock, directory);
// The SES client (~80 KB with its REST protocol code) is loaded on the first reply support mails.
const mailer = deferred<MailSender>(async () => {
  const [{ SESv2Client }, { createSesMailSender }] = await Promise.all([
    import('@aws-sdk/client-sesv2'),
    import('#shared/mail/mail-sender.ts'),
  ]);
  return createSesMailSender(traceClient(new SESv2Client({ region: env.AWS_REGION })), env.MAIL_FROM, {
    db,
    clock,
    newId,
    configurationSetName: env.MAIL_CONFIGURATION_SET,
  });
});
const support = createSupportService({
  db,
  tickets: createSupportRepository(db),
  mailer,
  directory,
  clock,
  newId,
  appUrl: env.APP_URL,
});

// A suspended tenant's members can still reach support (the suspension tells them to).
const SUPPORT = { support: true } as const;

export const handler = createApiHandler(
  'support',
  routes,
  [
    implement(routes.openSupportTicket, async ({ params, body, caller, request }) =>
      support.open(await tenancy.resolve(caller, params.tenantId, request, SUPPORT), body),
    ),
    implement(routes.listSupportTickets, async ({ params, query, caller, request }) =>
      support.list(await tenancy.resolve(caller, params.tenantId, request, SUPPORT), query),
    ),
    implement(routes.getSupportTicket, async ({ params, caller, request }) =>
      support.get(await tenancy.resolve(caller, params.tenantId, request, SUPPORT), params.ticketId),
    ),
    implement(routes.replyToSupportTicket, async ({ params, body, caller, request }) =>
      support.reply(await tenancy.resolve(caller, params.tenantId, request, SUPPORT), params.ticketId, body),
    ),
    implement(routes.closeSupportTicket, async ({ params, caller, request }) =>
      support.close(await tenancy.resolve(caller, params.tenantId, request, SUPPORT), params.ticketId),
    ),
    implement(routes.adminListSupportTickets, async ({ query }) => support.adminList(query)),
    implement(routes.adminGetSupportTicket, async ({ params }) => support.adminGet(params.ticketId)),
    implement(routes.adminReplyToSupportTicket, async ({ params, body, operator, request }) =>
      support.adminReply(operator, params.ticketId, body, request),
    ),
    implement(routes.addSupportNote, async ({ params, body, operator, request }) =>
      support.addNote(operator, params.ticketId, body.body, request),
    ),
    implement(routes.assignSupportTicket, async ({ params, body, operator, request }) =>
      support.assign(operator, params.ticketId, body.assigneeId, request),
    ),
    implement(routes.setSupportTicketStatus, async ({ params, body, operator, request }) =>
      support.setStatus(operator, params.ticketId, body, request),
    ),
    implement(routes.listTenantCommunications, async ({ params, query }) =>
      support.communications(params.tenantId, query),
    ),
    implement(routes.getEmailDeliveryStatus, async ({ params }) => support.deliveryStatus(params.email)),
    implement(routes.liftEmailSuppression, async ({ params, body, operator, request }) =>
      support.liftSuppression(operator, params.email, body.reason, request),
    ),
  ],
  { operators, impersonation: impersonationGateFor(runtime, operators) },
);
