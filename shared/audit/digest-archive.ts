import {
  GetObjectCommand,
  type GetObjectCommandOutput,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  PutObjectCommand,
  type PutObjectCommandOutput,
} from '@aws-sdk/client-s3';
import { CHAIN_VERSION, type DayDigest } from './audit-chain.ts';

/**
 * The write-once home of the daily digests: an S3 bucket with Object Lock in compliance mode (its
 * default retention set per stage), so not even the account's root can change or delete a digest
 * before its retention ends. Object keys: `audit-digests/<tenantId>/<YYYY-MM-DD>/r<revision, 4 digits>.json`;
 * a re-digest after a late entry writes the next revision beside the first (both stay locked).
 */
export interface DigestArchive {
  put(digest: DayDigest): Promise<void>;
  /** The latest revision of each day of a tenant in [fromDay, toDay], by day. */
  latest(tenantId: string, fromDay: string, toDay: string): Promise<Map<string, DayDigest>>;
}

/** The S3 calls the archive makes; an `S3Client` fits. */
export interface S3Sender {
  send(command: PutObjectCommand): Promise<PutObjectCommandOutput>;
  send(command: ListObjectsV2Command): Promise<ListObjectsV2CommandOutput>;
  send(command: GetObjectCommand): Promise<GetObjectCommandOutput>;
}

export const DIGEST_ROOT = 'audit-digests/';

export function digestKey(tenantId: string, day: string, revision: number): string {
  return `${DIGEST_ROOT}${tenantId}/${day}/r${String(revision).padStart(4, '0')}.json`;
}

const KEY_PATTERN = /^audit-digests\/[^/]+\/(\d{4}-\d{2}-\d{2})\/r(\d{4,})\.json$/;

export function createS3DigestArchive({
  client,
  bucket,
}: {
  client: S3Sender;
  bucket: string;
}): DigestArchive {
  return {
    async put(digest) {
      await client.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: digestKey(digest.tenantId, digest.day, digest.revision),
          Body: JSON.stringify(digest),
          ContentType: 'application/json',
          // Object Lock refuses a put without an integrity checksum.
          ChecksumAlgorithm: 'SHA256',
        }),
      );
    },

    async latest(tenantId, fromDay, toDay) {
      const prefix = `${DIGEST_ROOT}${tenantId}/`;
      const newest = new Map<string, { revision: number; key: string }>();
      let token: string | undefined;
      let pastRange = false;
      do {
        const page = await client.send(
          new ListObjectsV2Command({
            Bucket: bucket,
            Prefix: prefix,
            // Keys list in order: start just before the first day of the range.
            StartAfter: `${prefix}${fromDay}`,
            ContinuationToken: token,
          }),
        );
        for (const { Key } of page.Contents ?? []) {
          const match = Key ? KEY_PATTERN.exec(Key) : null;
          if (!Key || !match?.[1] || !match[2]) continue;
          const day = match[1];
          if (day > toDay) {
            pastRange = true;
            break;
          }
          const revision = Number(match[2]);
          if ((newest.get(day)?.revision ?? 0) < revision) newest.set(day, { revision, key: Key });
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token && !pastRange);

      const digests = new Map<string, DayDigest>();
      await Promise.all(
        [...newest].map(async ([day, { key }]) => {
          const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
          const digest = JSON.parse((await object.Body?.transformToString('utf8')) ?? 'null') as DayDigest;
          if (digest?.algorithm !== CHAIN_VERSION || digest.tenantId !== tenantId || digest.day !== day) {
            throw new Error(`The digest object ${key} does not hold the digest it is named for`);
          }
          digests.set(day, digest);
        }),
      );
      return digests;
    },
  };
}
