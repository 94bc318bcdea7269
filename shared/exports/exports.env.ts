import {
  email,
  environmentReader,
  nonEmpty,
  readAwsClientSettings,
  url,
  wholeNumber,
} from '../config/env-rules.ts';
import { traceClient } from '../observability/tracer.ts';
import type { ExportStorage } from './export-storage.ts';

/** Days an export job and its archive are kept (the bucket's lifecycle and the job's TTL). */
export const DEFAULT_EXPORT_RETENTION_DAYS = 7;

/** What the exports API and worker read of their environment, once, failing fast. */
export interface ExportsEnv {
  readonly AWS_REGION: string;
  /** Set only locally: the emulator (moto), which serves buckets by path. */
  readonly AWS_ENDPOINT_URL: string | undefined;
  /** The exports bucket (lib/constructs/exports-bucket.ts). */
  readonly EXPORTS_BUCKET_NAME: string;
  readonly EVENT_BUS_NAME: string;
  /** Per stage (lib/stage.ts `retention.exportDays`); the bucket's lifecycle expires archives after as many days. */
  readonly EXPORT_RETENTION_DAYS: number;
}

/** The worker's extra settings: mail and how it cuts the work into chunks. */
export interface ExportWorkerEnv extends ExportsEnv {
  readonly TABLE_NAME: string;
  readonly MAIL_FROM: string;
  readonly MAIL_CONFIGURATION_SET: string | undefined;
  readonly APP_URL: string;
  /** Items per Query page (1 to 1,000). */
  readonly EXPORT_PAGE_SIZE: number;
  /**
   * Milliseconds a chunk may run before the worker commits its cursor and queues the rest; by
   * default the invocation's remaining time less a minute (for closing the upload). Tests force a
   * tiny budget to exercise resumption.
   */
  readonly EXPORT_CHUNK_BUDGET_MS: number | undefined;
}

function readShared(read: ReturnType<typeof environmentReader>): ExportsEnv {
  return {
    ...readAwsClientSettings(read),
    EXPORTS_BUCKET_NAME: read.required('EXPORTS_BUCKET_NAME'),
    EVENT_BUS_NAME: read.required('EVENT_BUS_NAME'),
    EXPORT_RETENTION_DAYS: Number(
      read.optional('EXPORT_RETENTION_DAYS', wholeNumber(1, 365)) ?? DEFAULT_EXPORT_RETENTION_DAYS,
    ),
  };
}

export function readExportsEnv(source: NodeJS.ProcessEnv = process.env): ExportsEnv {
  const read = environmentReader(source, 'exports');
  return read.done(readShared(read));
}

export function readExportWorkerEnv(source: NodeJS.ProcessEnv = process.env): ExportWorkerEnv {
  const read = environmentReader(source, 'export worker');
  const budget = read.optional('EXPORT_CHUNK_BUDGET_MS', wholeNumber(0, Number.MAX_SAFE_INTEGER));
  return read.done({
    ...readShared(read),
    TABLE_NAME: read.required('TABLE_NAME'),
    MAIL_FROM: read.optional('MAIL_FROM', email) ?? 'no-reply@plinth.local',
    MAIL_CONFIGURATION_SET: read.optional('MAIL_CONFIGURATION_SET', nonEmpty),
    APP_URL: read.optional('APP_URL', url) ?? 'http://localhost:3000',
    EXPORT_PAGE_SIZE: Number(read.optional('EXPORT_PAGE_SIZE', wholeNumber(1, 1000)) ?? 500),
    EXPORT_CHUNK_BUDGET_MS: budget === undefined ? undefined : Number(budget),
  });
}

/** The S3 client of the exports bucket, honouring the local endpoint (path-style, as moto serves). */
export async function createExportStorageFromEnv(env: ExportsEnv): Promise<ExportStorage> {
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
