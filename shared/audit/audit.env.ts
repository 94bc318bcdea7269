import * as z from 'zod';
import { traceClient } from '../observability/tracer.ts';
import type { DigestArchive } from './digest-archive.ts';

/** What the functions that read or write the audit digests need: the Object Lock bucket. */
const auditDigestEnv = z.object({
  AUDIT_DIGEST_BUCKET: z.string().min(1),
  AWS_REGION: z.string().min(1).default('us-east-1'),
  /** Set only locally: the emulator (moto), which serves buckets by path. */
  AWS_ENDPOINT_URL: z.url().optional(),
});

/**
 * The digest archive of a function, from its environment (read once per container, failing fast).
 * The S3 client is loaded on the first call, so a function pays for it only when it uses it.
 */
export function createDigestArchiveFromEnv(environment: NodeJS.ProcessEnv = process.env): DigestArchive {
  const env = auditDigestEnv.parse(environment);
  let archive: Promise<DigestArchive> | undefined;
  const load = () => {
    archive ??= Promise.all([import('@aws-sdk/client-s3'), import('./digest-archive.ts')]).then(
      ([{ S3Client }, { createS3DigestArchive }]) =>
        createS3DigestArchive({
          client: traceClient(
            new S3Client({
              region: env.AWS_REGION,
              ...(env.AWS_ENDPOINT_URL ? { endpoint: env.AWS_ENDPOINT_URL, forcePathStyle: true } : {}),
            }),
          ),
          bucket: env.AUDIT_DIGEST_BUCKET,
        }),
    );
    return archive;
  };
  return {
    put: async (digest) => (await load()).put(digest),
    latest: async (tenantId, from, to) => (await load()).latest(tenantId, from, to),
  };
}
