import type { SNSEvent } from 'aws-lambda';
import { createWorkerDb } from '#shared/app/worker-db.ts';
import { applySesFeedback, feedbackOfRecord } from '#shared/mail/ses-feedback.ts';
import { logger } from '#shared/observability/logger.ts';
import { MetricUnit, mailMetricNames, metrics } from '#shared/observability/metrics.ts';
import { workerHandler } from '#shared/observability/worker-handler.ts';

const db = createWorkerDb();

/**
 * The SES feedback consumer: SNS delivers the configuration set's bounce and complaint reports; a
 * hard bounce or a complaint suppresses the address (shared/mail/suppression.ts) and marks the
 * email in its tenant's history. A report that fails (a bad payload, a DynamoDB error) makes the
 * invocation fail: Lambda retries it twice, then sends the event to the function's dead-letter
 * queue (alarmed in the events stack).
 */
export const handler = workerHandler(async (event: SNSEvent): Promise<void> => {
  let suppressed = 0;
  let failed = 0;
  try {
    for (const record of event.Records) {
      try {
        const outcome = await applySesFeedback(db, feedbackOfRecord(record));
        suppressed += outcome.suppressed.length;
        if (outcome.suppressed.length > 0) {
          logger.info('addresses suppressed', { kind: outcome.kind, count: outcome.suppressed.length });
        }
      } catch (error) {
        failed += 1;
        logger.error('SES feedback not applied; the event will be retried', {
          messageId: record.Sns.MessageId,
          error,
        });
      }
    }
  } finally {
    metrics.addMetric(mailMetricNames.addressesSuppressed, MetricUnit.Count, suppressed);
    metrics.addMetric(mailMetricNames.feedbackFailures, MetricUnit.Count, failed);
  }
  if (failed > 0) throw new Error(`${failed} SES feedback record(s) not applied`);
});
