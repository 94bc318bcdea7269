import * as z from 'zod';
import { type RollupResult, readSnapshot, rollUpThrough } from '#shared/analytics/rollup.ts';
import { previousDay } from '#shared/analytics/snapshot.ts';
import { createWorkerDb } from '#shared/app/worker-db.ts';
import { logger } from '#shared/observability/logger.ts';
import { eventMetricNames, MetricUnit, metrics } from '#shared/observability/metrics.ts';

const db = createWorkerDb();

const day = z.iso.date();
/**
 * What EventBridge Scheduler (and the local runner) passes: the scheduled time. Run on demand, it
 * also takes `through` (the last day to roll up) and `from` (recompute from this day: a backfill).
 */
const rollupEvent = z
  .object({ time: z.iso.datetime({ offset: true }), from: day.optional(), through: day.optional() })
  .refine((event) => !event.from || !event.through || event.from <= event.through, {
    message: '`from` must not be after `through`',
  });

/**
 * The daily metrics rollup: rolls up through the last complete UTC day before the scheduled time
 * (or `through`), recomputing from the earliest dirty day (or `from`).
 */
export async function handler(event: {
  time: string;
  from?: string;
  through?: string;
}): Promise<RollupResult> {
  const parsed = rollupEvent.parse(event);
  const through = parsed.through ?? previousDay(new Date(parsed.time).toISOString().slice(0, 10));
  const result = await rollUpThrough({ db }, through, parsed.from ? { from: parsed.from } : {});
  logger.info('metrics rollup', { time: parsed.time, ...result });
  // The day's MRR as an EMF metric, for the dashboard (the snapshot stays the source of truth).
  const snapshot = await readSnapshot(db, through);
  if (snapshot) {
    metrics.addMetric(eventMetricNames.mrr, MetricUnit.NoUnit, snapshot.mrr);
    metrics.publishStoredMetrics();
  }
  return result;
}
