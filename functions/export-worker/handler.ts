import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { deferred, once } from '#shared/app/deferred.ts';
import { createDocumentClient } from '#shared/db/client.ts';
import { processBusMessages } from '#shared/events/consumer.ts';
import {
  EXPORT_WORKER_TIMEOUT_SECONDS,
  exportQueueOf,
  exportRequestedDetail,
} from '#shared/exports/export-events.ts';
import { createExportJobRepository } from '#shared/exports/export-jobs.repository.ts';
import { createExportWorker } from '#shared/exports/export-worker.ts';
import { createExportStorageFromEnv, readExportWorkerEnv } from '#shared/exports/exports.env.ts';
import { newId, systemClock } from '#shared/ids.ts';
import type { MailSender } from '#shared/mail/mail-sender.ts';
import { logger } from '#shared/observability/logger.ts';
import { eventMetricNames, MetricUnit, metrics } from '#shared/observability/metrics.ts';
import { traceClient } from '#shared/observability/tracer.ts';
import { workerHandler } from '#shared/observability/worker-handler.ts';

/** Kept back from the invocation's time (at most) for closing the chunk's upload and committing the cursor. */
const CLOSING_MS = 60_000;

const env = readExportWorkerEnv();
const db = {
  client: createDocumentClient({ region: env.AWS_REGION, endpoint: env.AWS_ENDPOINT_URL }),
  tableName: env.TABLE_NAME,
};
// The S3 client (with lib-storage's multipart upload), the EventBridge client and the SES client are
// not loaded at cold start: S3 and EventBridge on the container's first message (every chunk writes
// to the bucket, and most queue the next chunk), SES on the first "your export is ready" email.
// Nobody waits on a queue consumer's first message, whereas the ~250 KB of these clients made this
// the slowest cold init of all functions.
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
const loadWorker = once(async () => {
  const [storage, { EventBridgeClient }, { createEventPutter }] = await Promise.all([
    createExportStorageFromEnv(env),
    import('@aws-sdk/client-eventbridge'),
    import('#shared/events/put-events.ts'),
  ]);
  return createExportWorker({
    db,
    jobs: createExportJobRepository(db),
    storage,
    queue: exportQueueOf(
      createEventPutter(
        traceClient(new EventBridgeClient({ region: env.AWS_REGION, endpoint: env.AWS_ENDPOINT_URL })),
      ),
      env.EVENT_BUS_NAME,
    ),
    mailer,
    clock: systemClock,
    newId: () => newId(),
    // Files of at most 5,000 records or 4 MB: the most the worker holds in memory besides the upload's parts.
    limits: { pageSize: env.EXPORT_PAGE_SIZE, maxFileRecords: 5_000, maxFileBytes: 4 * 1024 * 1024 },
    leaseSeconds: EXPORT_WORKER_TIMEOUT_SECONDS,
    appUrl: env.APP_URL,
  });
});

/**
 * The export worker: drains the `export-worker` rule's queue, one chunk of one export per message
 * (shared/exports/export-worker.ts). A chunk reads until the invocation's time is nearly up, then
 * queues the rest; failed chunks are retried by the queue, and after three failures the job is
 * marked failed. Failed messages are counted (`ConsumerFailures`, alarmed in the events stack).
 */
export const handler = workerHandler(async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
  let failed = 0;
  const started = Date.now();
  const budget = env.EXPORT_CHUNK_BUDGET_MS;
  // A quarter of a short invocation's time (the local runner's minute) rather than the whole minute.
  const closing = Math.min(CLOSING_MS, context.getRemainingTimeInMillis() / 4);
  const timeLeft = () =>
    budget === undefined ? context.getRemainingTimeInMillis() - closing : budget - (Date.now() - started);
  try {
    return await processBusMessages(
      event.Records,
      async (busEvent) => {
        const detail = exportRequestedDetail().parse(busEvent.detail);
        const worker = await loadWorker();
        const result = await worker.handle(detail, timeLeft);
        logger.info('export chunk', {
          jobId: detail.jobId,
          scope: detail.scope,
          chunk: detail.chunk,
          ...result,
        });
      },
      ({ messageId, error }) => {
        failed += 1;
        logger.error('export chunk failed; the message will be retried', { messageId, error });
      },
    );
  } finally {
    metrics.addDimension('consumer', 'export-worker');
    metrics.addMetric(eventMetricNames.consumerMessages, MetricUnit.Count, event.Records.length);
    metrics.addMetric(eventMetricNames.consumerFailures, MetricUnit.Count, failed);
  }
});
