import * as z from 'zod';
import { type DunningSweepResult, runDunningSweep } from '#shared/billing/dunning.ts';
import { createDocumentClient } from '#shared/db/client.ts';
import { newId } from '#shared/ids.ts';
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

/** What EventBridge Scheduler (and the local runner) passes: the scheduled time. */
const scheduledEvent = z.object({ time: z.iso.datetime({ offset: true }) });

/**
 * The hourly dunning sweep: restricts the tenants whose grace period after a failed payment is
 * over, as of the scheduled time (so a delayed or replayed run judges the same moment).
 */
export async function handler(event: { time: string }): Promise<DunningSweepResult> {
  const { time } = scheduledEvent.parse(event);
  const result = await runDunningSweep({ db, newId: () => newId() }, new Date(time));
  logger.info('dunning sweep', { time, ...result });
  return result;
}
