import { createAnnouncementRepository } from '#shared/announcements/announcements.repository.ts';
import { createAnnouncementService } from '#shared/announcements/announcements.service.ts';
import { operatorGuardFor } from '#shared/app/identity.ts';
import { impersonationGateFor } from '#shared/app/impersonation.ts';
import { createRuntime } from '#shared/app/runtime.ts';
import { createApiHandler, implement, reply } from '#shared/http/api-handler.ts';
import { etagOf, parseIfMatch } from '#shared/http/conditional.ts';
import { announcementsRoutes as routes } from '#shared/http/routes/announcements.ts';

const runtime = createRuntime();
const { env, db, clock, newId, userGate } = runtime;
const operators = operatorGuardFor(env, clock);
const announcements = createAnnouncementService({
  db,
  announcements: createAnnouncementRepository(db),
  clock,
  newId,
});

const withEtag = <T extends { version: number }>(view: T) => reply(view, { etag: etagOf(view.version) });

export const handler = createApiHandler(
  'announcements',
  routes,
  [
    implement(routes.listAnnouncements, async ({ query }) =>
      announcements.list(query.status, { limit: query.limit, cursor: query.cursor }),
    ),
    implement(routes.createAnnouncement, async ({ body, operator, request }) =>
      withEtag(await announcements.create(operator, body, request)),
    ),
    implement(routes.previewAnnouncement, async ({ body }) => announcements.preview(body.body)),
    implement(routes.getAnnouncement, async ({ params }) =>
      withEtag(await announcements.get(params.announcementId)),
    ),
    implement(routes.updateAnnouncement, async ({ params, headers, body, operator, request }) =>
      withEtag(
        await announcements.update(
          operator,
          params.announcementId,
          body,
          parseIfMatch(headers['if-match']),
          request,
        ),
      ),
    ),
    implement(routes.withdrawAnnouncement, async ({ params, body, operator, request }) =>
      withEtag(await announcements.withdraw(operator, params.announcementId, body.reason, request)),
    ),
    // The user routes resolve no tenant: they check the user's suspension with one read of their profile.
    implement(routes.listMyAnnouncements, async ({ caller }) => {
      await userGate.check(caller);
      return announcements.listForUser(caller);
    }),
    implement(routes.dismissAnnouncement, async ({ params, caller }) => {
      await userGate.check(caller);
      await announcements.dismiss(caller, params.announcementId);
      return undefined;
    }),
  ],
  { operators, impersonation: impersonationGateFor(runtime, operators) },
);
