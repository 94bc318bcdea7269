import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { eventBusOf, readAnnouncementMailEnv } from '#shared/announcements/announcement-mail.env.ts';
import { createAnnouncementMailer } from '#shared/announcements/announcement-mail.ts';
import { createAnnouncementRepository } from '#shared/announcements/announcements.repository.ts';
import type { UserPager } from '#shared/announcements/user-directory.ts';
import { deferred } from '#shared/app/deferred.ts';
import { createDocumentClient } from '#shared/db/client.ts';
import { processBusMessages } from '#shared/events/consumer.ts';
import { createEventPutter } from '#shared/events/put-events.ts';
import { newId, systemClock } from '#shared/ids.ts';
import type { MailSender } from '#shared/mail/mail-sender.ts';
import { logger } from '#shared/observability/logger.ts';
import { eventMetricNames, MetricUnit, metrics } from '#shared/observability/metrics.ts';
import { traceClient } from '#shared/observability/tracer.ts';
import { workerHandler } from '#shared/observability/worker-handler.ts';

const env = readAnnouncementMailEnv(process.env, { userPool: true });
const db = {
  client: createDocumentClient({ region: env.AWS_REGION, endpoint: env.AWS_ENDPOINT_URL }),
  tableName: env.TABLE_NAME,
};

// The SES client is loaded on the first mail, not at cold start (as the notifications consumer does).
const mailer = deferred<MailSender>(async () => {
  const [{ SESv2Client }, { createSesMailSender }] = await Promise.all([
    import('@aws-sdk/client-sesv2'),
    import('#shared/mail/mail-sender.ts'),
  ]);
  return createSesMailSender(traceClient(new SESv2Client({ region: env.AWS_REGION })), env.MAIL_FROM, {
    db,
    clock: systemClock,
    newId: () => newId(),
    configurationSetName: env.MAIL_CONFIGURATION_SET,
  });
});

const service = createAnnouncementMailer({
  db,
  announcements: createAnnouncementRepository(db),
  // The Cognito client is loaded on the first page of users, not at cold start (a message for a
  // withdrawn or expired announcement, or a page already mailed, never lists the pool).
  users: deferred<UserPager>(async () => {
    const [{ CognitoIdentityProviderClient }, { createCognitoUserPager }] = await Promise.all([
      import('@aws-sdk/client-cognito-identity-provider'),
      import('#shared/announcements/user-directory.ts'),
    ]);
    return createCognitoUserPager(
      traceClient(new CognitoIdentityProviderClient({ region: env.AWS_REGION })),
      env.USER_POOL_ID,
    );
  }),
  mailer,
  bus: eventBusOf(
    createEventPutter(
      traceClient(new EventBridgeClient({ region: env.AWS_REGION, endpoint: env.AWS_ENDPOINT_URL })),
    ),
    env.EVENT_BUS_NAME,
  ),
  clock: systemClock,
  newId: () => newId(),
  appUrl: env.APP_URL,
  pageSize: env.ANNOUNCEMENT_MAIL_PAGE_SIZE,
});

/**
 * The announcement-mail consumer: drains the `announcement-mail` rule's queue, one page of users
 * per message, each addressed user mailed once. Failed messages are retried, then dead-lettered,
 * and counted (`ConsumerFailures`, alarmed in the events stack).
 */
export const handler = workerHandler(async (event: SQSEvent): Promise<SQSBatchResponse> => {
  let failed = 0;
  let sent = 0;
  try {
    return await processBusMessages(
      event.Records,
      async (busEvent) => {
        const result = await service.handle(busEvent);
        sent += result.sent;
        logger.info('announcement mail page', { detail: busEvent.detail, ...result });
      },
      ({ messageId, error }) => {
        failed += 1;
        logger.error('announcement mail failed; the message will be retried', { messageId, error });
      },
    );
  } finally {
    metrics.addDimension('consumer', 'announcement-mail');
    metrics.addMetric(eventMetricNames.consumerMessages, MetricUnit.Count, event.Records.length);
    metrics.addMetric(eventMetricNames.consumerFailures, MetricUnit.Count, failed);
    metrics.addMetric(eventMetricNames.announcementEmailsSent, MetricUnit.Count, sent);
  }
});
