import * as z from 'zod';
import { createErasureWorker } from '#shared/erasure/erasure.worker.ts';
import { logger } from '#shared/observability/logger.ts';
import { workerHandler } from '#shared/observability/worker-handler.ts';

const { runner } = createErasureWorker();

/** What EventBridge Scheduler (and the local runner) passes: the scheduled time. */
const scheduledEvent = z.object({ time: z.iso.datetime({ offset: true }) });

/**
 * Every minute: runs the pending erasures (accepted by DELETE /v1/me, the admin routes or the
 * tenant-purge schedule) and resumes any whose run crashed once its lease expired
 * (shared/erasure/erasure.runner.ts). One erasure's failure does not stop the others.
 */
export const handler = workerHandler(async (event: { time: string }) => {
  const { time } = scheduledEvent.parse(event);
  const result = await runner.runPending();
  logger.info('erasure run', { time, ...result });
  return result;
});
