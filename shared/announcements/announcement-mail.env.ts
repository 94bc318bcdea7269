import {
  email,
  environmentReader,
  nonEmpty,
  readAwsClientSettings,
  url,
  wholeNumber,
} from '../config/env-rules.ts';
import { announcementMailEntry } from './announcement-events.ts';
import type { EventBus } from './announcement-mail.ts';

/** What the announcement mail sweep and consumer read of their environment, once, failing fast. */
export interface AnnouncementMailEnv {
  readonly TABLE_NAME: string;
  readonly AWS_REGION: string;
  readonly AWS_ENDPOINT_URL: string | undefined;
  readonly EVENT_BUS_NAME: string;
  readonly USER_POOL_ID: string | undefined;
  /** Verified SES identity the emails are sent from. */
  readonly MAIL_FROM: string;
  /** The SES configuration set whose bounces and complaints reach the feedback consumer; absent locally. */
  readonly MAIL_CONFIGURATION_SET: string | undefined;
  /** Where the emails link to. */
  readonly APP_URL: string;
  /** Users mailed per bus event (1 to 60: Cognito pages hold at most 60). */
  readonly ANNOUNCEMENT_MAIL_PAGE_SIZE: number;
}

/** The sweep's settings; the consumer, which pages through the user pool, needs the pool too. */
export function readAnnouncementMailEnv(source?: NodeJS.ProcessEnv): AnnouncementMailEnv;
export function readAnnouncementMailEnv(
  source: NodeJS.ProcessEnv,
  options: { readonly userPool: true },
): AnnouncementMailEnv & { readonly USER_POOL_ID: string };
export function readAnnouncementMailEnv(
  source: NodeJS.ProcessEnv = process.env,
  options: { readonly userPool?: boolean } = {},
): AnnouncementMailEnv {
  const read = environmentReader(source, 'announcement mail');
  return read.done({
    TABLE_NAME: read.required('TABLE_NAME'),
    ...readAwsClientSettings(read),
    EVENT_BUS_NAME: read.required('EVENT_BUS_NAME'),
    USER_POOL_ID: options.userPool ? read.required('USER_POOL_ID') : read.optional('USER_POOL_ID', nonEmpty),
    MAIL_FROM: read.optional('MAIL_FROM', email) ?? 'no-reply@plinth.local',
    MAIL_CONFIGURATION_SET: read.optional('MAIL_CONFIGURATION_SET', nonEmpty),
    APP_URL: read.optional('APP_URL', url) ?? 'http://localhost:3000',
    ANNOUNCEMENT_MAIL_PAGE_SIZE: Number(
      read.optional('ANNOUNCEMENT_MAIL_PAGE_SIZE', wholeNumber(1, 60)) ?? 50,
    ),
  });
}

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
