import * as z from 'zod';
import { createPurgeWorker } from '#shared/erasure/erasure.worker.ts';
import { logger } from '#shared/observability/logger.ts';
import { workerHandler } from '#shared/observability/worker-handler.ts';

const { env, runner, service } = createPurgeWorker();

/** What EventBridge Scheduler (and the local runner) passes: the scheduled time. */
const scheduledEvent = z.object({ time: z.iso.datetime({ offset: true }) });

/**
 * Daily: requests the purge of every tenant soft-deleted more than TENANT_PURGE_GRACE_DAYS before
 * the scheduled time (Query gsi1 TENANT_PURGE_DUE), then runs the pending erasures at once.
 */
export const handler = workerHandler(async (event: { time: string }) => {
  const { time } = scheduledEvent.parse(event);
  const requested = await service.requestDuePurges(new Date(time), env.TENANT_PURGE_GRACE_DAYS);
  const result = await runner.runPending();
  logger.info('tenant purge', { time, requested, ...result });
  return { requested, ...result };
});
