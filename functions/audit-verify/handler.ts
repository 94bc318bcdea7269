import * as z from 'zod';
import { createWorkerDb } from '#shared/app/worker-db.ts';
import { createDigestArchiveFromEnv } from '#shared/audit/audit.env.ts';
import { runScheduledVerify, type ScheduledVerifyResult } from '#shared/audit/audit-verify.ts';
import { logger } from '#shared/observability/logger.ts';
import { eventMetricNames, MetricUnit, metrics } from '#shared/observability/metrics.ts';
import { workerHandler } from '#shared/observability/worker-handler.ts';

const db = createWorkerDb();
const archive = createDigestArchiveFromEnv();

/** What EventBridge Scheduler (and the local runner) passes: the scheduled time. */
const scheduledEvent = z.object({ time: z.iso.datetime({ offset: true }) });

/**
 * The daily audit verifier (shared/audit/audit-verify.ts): recomputes the chain of every tenant
 * with entries in the last seven closed days against the digests in the Object Lock bucket. Each
 * broken chain is logged with its first broken link and counted (`AuditChainBreaks`, alarmed).
 */
export const handler = workerHandler(async (event: { time: string }): Promise<ScheduledVerifyResult> => {
  const { time } = scheduledEvent.parse(event);
  const result = await runScheduledVerify({ db, archive }, new Date(time));
  for (const { tenantId, firstBreak } of result.broken) {
    logger.error('audit chain broken: the table no longer matches its anchored digest', {
      tenantId,
      firstBreak,
    });
  }
  logger.info('audit verify', {
    time,
    days: result.days,
    tenants: result.tenants,
    broken: result.broken.length,
  });
  metrics.addMetric(eventMetricNames.auditChainBreaks, MetricUnit.Count, result.broken.length);
  return result;
});
