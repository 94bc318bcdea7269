import * as z from 'zod';
import { traceClient } from '../observability/tracer.ts';
import type { ExportStorage } from './export-storage.ts';

/** Days an export job and its archive are kept (the bucket's lifecycle and the job's TTL). */
export const DEFAULT_EXPORT_RETENTION_DAYS = 7;

/** What the exports API and worker read of their environment, once, failing fast. */
export const exportsEnv = z.object({
  AWS_REGION: z.string().min(1).default('us-east-1'),
  /** Set only locally: the emulator (moto), which serves buckets by path. */
  AWS_ENDPOINT_URL: z.url().optional(),
  /** The exports bucket (lib/constructs/exports-bucket.ts). */
  EXPORTS_BUCKET_NAME: z.string().min(1),
  EVENT_BUS_NAME: z.string().min(1),
  /** Per stage (lib/stage.ts `retention.exportDays`); the bucket's lifecycle expires archives after as many days. */
  EXPORT_RETENTION_DAYS: z.coerce.number().int().min(1).max(365).default(DEFAULT_EXPORT_RETENTION_DAYS),
});

/** The worker's extra settings: mail and how it cuts the work into chunks. */
export const exportWorkerEnv = exportsEnv.extend({
  TABLE_NAME: z.string().min(1),
  MAIL_FROM: z.email().default('no-reply@plinth.local'),
  MAIL_CONFIGURATION_SET: z.string().min(1).optional(),
  APP_URL: z.url().default('http://localhost:3000'),
  /** Items per Query page. */
  EXPORT_PAGE_SIZE: z.coerce.number().int().min(1).max(1000).default(500),
  /**
   * Milliseconds a chunk may run before the worker commits its cursor and queues the rest; by
   * default the invocation's remaining time less a minute (for closing the upload). Tests force a
   * tiny budget to exercise resumption.
   */
  EXPORT_CHUNK_BUDGET_MS: z.coerce.number().int().min(0).optional(),
});

/** The S3 client of the exports bucket, honouring the local endpoint (path-style, as moto serves). */
export async function createExportStorageFromEnv(env: z.infer<typeof exportsEnv>): Promise<ExportStorage> {
  const [{ S3Client }, { createS3ExportStorage }] = await Promise.all([
    import('@aws-sdk/client-s3'),
    import('./export-storage.ts'),
  ]);
  const client = traceClient(
    new S3Client({
      region: env.AWS_REGION,
      ...(env.AWS_ENDPOINT_URL ? { endpoint: env.AWS_ENDPOINT_URL, forcePathStyle: true } : {}),
    }),
  );
  return createS3ExportStorage({ client, bucket: env.EXPORTS_BUCKET_NAME });
}
