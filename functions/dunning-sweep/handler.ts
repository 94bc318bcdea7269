import * as z from 'zod';
import { createWorkerDb } from '#shared/app/worker-db.ts';
import { type DunningSweepResult, runDunningSweep } from '#shared/billing/dunning.ts';
import { newId } from '#shared/ids.ts';
import { logger } from '#shared/observability/logger.ts';
import { eventMetricNames, MetricUnit, metrics } from '#shared/observability/metrics.ts';
import { workerHandler } from '#shared/observability/worker-handler.ts';

const db = createWorkerDb();

/** What EventBridge Scheduler (and the local runner) passes: the scheduled time. */
const scheduledEvent = z.object({ time: z.iso.datetime({ offset: true }) });

/**
 * The hourly dunning sweep: restricts the tenants whose grace period after a failed payment is
 * over, as of the scheduled time (so a delayed or replayed run judges the same moment). Counts the
 * tenants restricted, and a run that failed (`DunningSweepFailures`, alarmed in the events stack;
 * the scheduler retries it, and the next run picks up what it left).
 */
export const handler = workerHandler(async (event: { time: string }): Promise<DunningSweepResult> => {
  try {
    const { time } = scheduledEvent.parse(event);
    const result = await runDunningSweep({ db, newId: () => newId() }, new Date(time));
    logger.info('dunning sweep', { time, ...result });
    metrics.addMetric(eventMetricNames.tenantsRestricted, MetricUnit.Count, result.restricted);
    metrics.addMetric(eventMetricNames.dunningSweepFailures, MetricUnit.Count, 0);
    return result;
  } catch (error) {
    logger.error('dunning sweep failed; the scheduler retries it', { event, error });
    metrics.addMetric(eventMetricNames.dunningSweepFailures, MetricUnit.Count, 1);
    throw error;
  }
});
