import * as z from 'zod';
import { type RollupResult, rollUpThrough } from '#shared/analytics/rollup.ts';
import { previousDay } from '#shared/analytics/snapshot.ts';
import { createDocumentClient } from '#shared/db/client.ts';
import { logger } from '#shared/observability/logger.ts';

const env = z
  .object({
    TABLE_NAME: z.string().min(1),
    AWS_REGION: z.string().min(1).default('us-east-1'),
    AWS_ENDPOINT_URL: z.url().optional(),
  })
  .parse(process.env);
const db = {
  client: createDocumentClient({ region: env.AWS_REGION, endpoint: env.AWS_ENDPOINT_URL }),
  tableName: env.TABLE_NAME,
};

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
  return result;
}
