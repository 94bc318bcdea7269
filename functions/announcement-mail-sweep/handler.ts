import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import * as z from 'zod';
import { eventBusOf, readAnnouncementMailEnv } from '#shared/announcements/announcement-mail.env.ts';
import { runAnnouncementMailSweep, type SweepResult } from '#shared/announcements/announcement-mail.ts';
import { createAnnouncementRepository } from '#shared/announcements/announcements.repository.ts';
import { createDocumentClient } from '#shared/db/client.ts';
import { createEventPutter } from '#shared/events/put-events.ts';
import { logger } from '#shared/observability/logger.ts';
import { eventMetricNames, MetricUnit, metrics } from '#shared/observability/metrics.ts';
import { traceClient } from '#shared/observability/tracer.ts';
import { workerHandler } from '#shared/observability/worker-handler.ts';

const env = readAnnouncementMailEnv();
const announcements = createAnnouncementRepository({
  client: createDocumentClient({ region: env.AWS_REGION, endpoint: env.AWS_ENDPOINT_URL }),
  tableName: env.TABLE_NAME,
});
const bus = eventBusOf(
  createEventPutter(
    traceClient(new EventBridgeClient({ region: env.AWS_REGION, endpoint: env.AWS_ENDPOINT_URL })),
  ),
  env.EVENT_BUS_NAME,
);

/** What EventBridge Scheduler (and the local runner) passes: the scheduled time. */
const scheduledEvent = z.object({ time: z.iso.datetime({ offset: true }) });

/**
 * Every minute: starts the mail run of each emailed critical announcement whose `publishAt` has
 * come (shared/announcements/announcement-mail.ts), as of the scheduled time. A failed run throws,
 * the scheduler retries it, and the next run picks up what it left.
 */
export const handler = workerHandler(async (event: { time: string }): Promise<SweepResult> => {
  const { time } = scheduledEvent.parse(event);
  const result = await runAnnouncementMailSweep({ announcements, bus }, new Date(time));
  logger.info('announcement mail sweep', { time, ...result });
  metrics.addMetric(eventMetricNames.announcementMailRunsStarted, MetricUnit.Count, result.started);
  return result;
});
