import * as z from 'zod';
import { announcementMailEntry } from './announcement-events.ts';
import type { EventBus } from './announcement-mail.ts';

/** What the announcement mail sweep and consumer read of their environment, once, failing fast. */
export const announcementMailEnv = z.object({
  TABLE_NAME: z.string().min(1),
  AWS_REGION: z.string().min(1).default('us-east-1'),
  AWS_ENDPOINT_URL: z.url().optional(),
  EVENT_BUS_NAME: z.string().min(1),
  USER_POOL_ID: z.string().min(1).optional(),
  /** Verified SES identity the emails are sent from. */
  MAIL_FROM: z.email().default('no-reply@plinth.local'),
  /** The SES configuration set whose bounces and complaints reach the feedback consumer; absent locally. */
  MAIL_CONFIGURATION_SET: z.string().min(1).optional(),
  /** Where the emails link to. */
  APP_URL: z.url().default('http://localhost:3000'),
  /** Users mailed per bus event (Cognito pages hold at most 60). */
  ANNOUNCEMENT_MAIL_PAGE_SIZE: z.coerce.number().int().min(1).max(60).default(50),
});

/** The bus as the mail run uses it: one page request at a time, refused entries thrown. */
export function eventBusOf(
  putter: { put(entry: ReturnType<typeof announcementMailEntry>): Promise<string> },
  eventBusName: string,
): EventBus {
  return {
    async put(detail) {
      await putter.put(announcementMailEntry(detail, eventBusName));
    },
  };
}
