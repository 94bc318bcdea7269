import * as z from 'zod';
import { type Reconciliation, reconcileDay } from '#shared/analytics/reconcile.ts';
import { previousDay } from '#shared/analytics/snapshot.ts';
import { createWorkerDb } from '#shared/app/worker-db.ts';
import { logger } from '#shared/observability/logger.ts';
import { eventMetricNames, MetricUnit, metrics } from '#shared/observability/metrics.ts';
import { workerHandler } from '#shared/observability/worker-handler.ts';

const db = createWorkerDb();

/** What EventBridge Scheduler (and the local runner) passes; run on demand it also takes `date`. */
const reconcileEvent = z.object({ time: z.iso.datetime({ offset: true }), date: z.iso.date().optional() });

/**
 * The daily MRR reconciliation: reconciles the last complete UTC day before the scheduled time (or
 * `date`). Counts the tenants that drift (`MrrReconciliationDrifts`, alarmed in the events stack).
 */
export const handler = workerHandler(
  async (event: { time: string; date?: string }): Promise<Reconciliation> => {
    const parsed = reconcileEvent.parse(event);
    const day = parsed.date ?? previousDay(new Date(parsed.time).toISOString().slice(0, 10));
    const result = await reconcileDay({ db }, day);
    const { tenants, ...summary } = result;
    if (tenants.length > 0) logger.warn('MRR drift', { ...summary, tenants: tenants.slice(0, 20) });
    else logger.info('MRR reconciled', summary);
    metrics.addMetric(eventMetricNames.mrrDrifts, MetricUnit.Count, result.drifts);
    return result;
  },
);
