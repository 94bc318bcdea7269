import * as z from 'zod';
import { lazyValue } from '../app/deferred.ts';
import { EVENT_SOURCE } from '../events/bus.ts';

/** The bus event that asks the announcement-mail consumer to mail one page of the user pool. */
export const ANNOUNCEMENT_MAIL_REQUESTED = 'Announcement Mail Requested v1';

/**
 * Its detail: which announcement, and which page of users (Cognito's pagination token; null for the
 * first). The id names the announcement and the page number, as the consumer's page marks do.
 */
export const announcementMailDetail = /* @__PURE__ */ lazyValue(() =>
  z.object({
    eventId: z.string(),
    announcementId: z.string(),
    page: z.number().int().nonnegative(),
    pageToken: z.string().nullable(),
    occurredAt: z.iso.datetime(),
  }),
);
export type AnnouncementMailDetail = z.infer<ReturnType<typeof announcementMailDetail>>;

/** The PutEvents entry of a page request on the given bus. */
export function announcementMailEntry(detail: AnnouncementMailDetail, eventBusName: string) {
  return {
    EventBusName: eventBusName,
    Source: EVENT_SOURCE,
    DetailType: ANNOUNCEMENT_MAIL_REQUESTED,
    Detail: JSON.stringify(announcementMailDetail().parse(detail)),
    Time: new Date(detail.occurredAt),
  };
}

/** The detail of page `page` of an announcement's mail run. */
export function mailPage(
  announcementId: string,
  page: number,
  pageToken: string | null,
  now: Date,
): AnnouncementMailDetail {
  return {
    eventId: `${announcementId}-p${page}`,
    announcementId,
    page,
    pageToken,
    occurredAt: now.toISOString(),
  };
}
