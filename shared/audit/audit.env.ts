import { environmentReader, readAwsClientSettings } from '../config/env-rules.ts';
import { traceClient } from '../observability/tracer.ts';
import type { DigestArchive } from './digest-archive.ts';

/**
 * The digest archive of a function, from its environment (read once per container, failing fast):
 * what the functions that read or write the audit digests need, the Object Lock bucket.
 * The S3 client is loaded on the first call, so a function pays for it only when it uses it.
 */
export function createDigestArchiveFromEnv(environment: NodeJS.ProcessEnv = process.env): DigestArchive {
  const read = environmentReader(environment, 'audit');
  const env = read.done({
    AUDIT_DIGEST_BUCKET: read.required('AUDIT_DIGEST_BUCKET'),
    ...readAwsClientSettings(read),
  });
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
