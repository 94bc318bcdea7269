import * as z from 'zod';
import { createWorkerDb } from '#shared/app/worker-db.ts';
import { createDigestArchiveFromEnv } from '#shared/audit/audit.env.ts';
import { type AuditDigestResult, runAuditDigest } from '#shared/audit/audit-digest.ts';
import { logger } from '#shared/observability/logger.ts';
import { eventMetricNames, MetricUnit, metrics } from '#shared/observability/metrics.ts';
import { workerHandler } from '#shared/observability/worker-handler.ts';

const db = createWorkerDb();
const archive = createDigestArchiveFromEnv();

/** What EventBridge Scheduler (and the local runner) passes: the scheduled time. */
const scheduledEvent = z.object({ time: z.iso.datetime({ offset: true }) });

/**
 * The hourly audit digest (shared/audit/audit-digest.ts): anchors every due tenant-day of the days
 * that closed at least an hour before the scheduled time in the Object Lock bucket. A day digested
 * again with a different head (entries arrived after its digest) is logged and counted
 * (`AuditDigestsRevised`, alarmed). A failed run is counted and thrown: the scheduler retries, and
 * the next run takes whatever is still due.
 */
export const handler = workerHandler(async (event: { time: string }): Promise<AuditDigestResult> => {
  try {
    const { time } = scheduledEvent.parse(event);
    const result = await runAuditDigest({ db, archive }, new Date(time));
    for (const revised of result.revised) {
      logger.warn('audit day digested again: entries arrived after its digest', revised);
    }
    logger.info('audit digest', { time, ...result, revised: result.revised.length });
    metrics.addMetric(eventMetricNames.auditDaysDigested, MetricUnit.Count, result.digested);
    metrics.addMetric(eventMetricNames.auditDigestsRevised, MetricUnit.Count, result.revised.length);
    metrics.addMetric(eventMetricNames.auditDigestFailures, MetricUnit.Count, 0);
    return result;
  } catch (error) {
    logger.error('audit digest failed; the scheduler retries it', { event, error });
    metrics.addMetric(eventMetricNames.auditDigestFailures, MetricUnit.Count, 1);
    throw error;
  }
});
