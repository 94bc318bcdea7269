import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import * as z from 'zod';
import { deferred } from '#shared/app/deferred.ts';
import { createDocumentClient } from '#shared/db/client.ts';
import { newId, systemClock } from '#shared/ids.ts';
import type { BillingMailer } from '#shared/notifications/billing-mailer.ts';
import {
  createNotificationService,
  processNotificationRecords,
} from '#shared/notifications/notifications.service.ts';
import { logger } from '#shared/observability/logger.ts';
import { eventMetricNames, MetricUnit, metrics } from '#shared/observability/metrics.ts';
import { traceClient } from '#shared/observability/tracer.ts';
import { workerHandler } from '#shared/observability/worker-handler.ts';

const env = z
  .object({
    TABLE_NAME: z.string().min(1),
    AWS_REGION: z.string().min(1).default('us-east-1'),
    AWS_ENDPOINT_URL: z.url().optional(),
    /** Verified SES identity the billing emails are sent from. */
    MAIL_FROM: z.email().default('no-reply@plinth.local'),
    /** Where the emails link to. */
    APP_URL: z.url().default('http://localhost:3000'),
    /** The operators' address (per-stage `opsEmail`): disputes are mailed there too. */
    OPS_EMAIL: z.email().optional(),
    /** The SES configuration set that reports bounces and complaints (CDK sets it; absent locally). */
    MAIL_CONFIGURATION_SET: z.string().min(1).optional(),
  })
  .parse(process.env);

// The SES client (~75 KB with its REST protocol code) is loaded on the first mail, not at cold start.
const db = {
  client: createDocumentClient({ region: env.AWS_REGION, endpoint: env.AWS_ENDPOINT_URL }),
  tableName: env.TABLE_NAME,
};
const mailer = deferred<BillingMailer>(async () => {
  const [{ SESv2Client }, { createSesBillingMailer }] = await Promise.all([
    import('@aws-sdk/client-sesv2'),
    import('#shared/notifications/ses-billing-mailer.ts'),
  ]);
  return createSesBillingMailer(traceClient(new SESv2Client({ region: env.AWS_REGION })), env.MAIL_FROM, {
    db,
    clock: systemClock,
    newId: () => newId(),
    configurationSetName: env.MAIL_CONFIGURATION_SET,
  });
});

const service = createNotificationService({
  db,
  mailer,
  clock: systemClock,
  appUrl: env.APP_URL,
  opsEmail: env.OPS_EMAIL,
});

/**
 * The notifications consumer: drains the `notifications` rule's queue (billing events) and mails
 * the tenants' owners and admins. Deployed with `ReportBatchItemFailures`; failed messages are
 * counted in EMF (`ConsumerFailures`, alarmed in the events stack).
 */
export const handler = workerHandler(async (event: SQSEvent): Promise<SQSBatchResponse> => {
  let failed = 0;
  try {
    return await processNotificationRecords(event.Records, service, ({ messageId, error }) => {
      failed += 1;
      logger.error('notification failed; the message will be retried', { messageId, error });
    });
  } finally {
    // Per consumer, so each has its own alarm (lib/stacks/events-stack.ts).
    metrics.addDimension('consumer', 'notifications');
    metrics.addMetric(eventMetricNames.consumerMessages, MetricUnit.Count, event.Records.length);
    metrics.addMetric(eventMetricNames.consumerFailures, MetricUnit.Count, failed);
  }
});
