import { once } from 'node:events';
import { PassThrough, Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import {
  CopyObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';

// The key formats live apart from the S3 adapter so that the exports API and the worker name their
// objects without loading the S3 client at cold start; re-exported here for the adapter's callers.
export { exportArchiveKey, exportChunkKey } from './export-keys.ts';

/** A chunk being written: bytes in (tar), gzip on the way, streamed to S3 in parts. */
export interface ChunkSink {
  write(bytes: Uint8Array): Promise<void>;
  /** Ends the gzip member and completes the upload; resolves with the compressed size. */
  close(): Promise<number>;
}

/** The archive store: the exports bucket. */
export interface ExportStorage {
  /** Starts writing the object `key` (a gzip member, compressed on the way). */
  openChunk(key: string): ChunkSink;
  /**
   * Writes `finalKey` as the concatenation of the chunk objects (gzip members concatenate into one
   * gzip stream, RFC 1952 §2.2); the chunks stay (the caller deletes them once the job records the
   * archive, so a retry after a crash here can assemble again). Resolves with the archive's size.
   */
  assemble(chunkKeys: readonly string[], finalKey: string): Promise<number>;
  /** A GET link to `key` valid for `expiresInSeconds`, downloading as `filename`. */
  presign(key: string, expiresInSeconds: number, filename: string): Promise<string>;
  /** Deletes objects (missing ones are fine). */
  remove(keys: readonly string[]): Promise<void>;
}

/** Bytes held per part of a multipart upload: S3's minimum; a chunk below it is one PutObject. */
const PART_BYTES = 5 * 1024 * 1024;

/**
 * The exports bucket on S3. Uploads stream through lib-storage's multipart `Upload` (at most two
 * 5 MiB parts in memory at once), so an archive of any size passes through a Lambda's memory.
 */
export function createS3ExportStorage({
  client,
  bucket,
}: {
  client: S3Client;
  bucket: string;
}): ExportStorage {
  const upload = (key: string, body: Readable) =>
    new Upload({
      client,
      params: { Bucket: bucket, Key: key, Body: body, ContentType: 'application/gzip' },
      partSize: PART_BYTES,
      queueSize: 2,
      leavePartsOnError: false,
    });

  async function remove(keys: readonly string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += 1000) {
      const batch = keys.slice(i, i + 1000);
      if (batch.length === 0) continue;
      await client.send(
        new DeleteObjectsCommand({
          Bucket: bucket,
          Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
        }),
      );
    }
  }

  return {
    remove,
    openChunk(key) {
      const gzip = createGzip({ level: 6 });
      const body = new PassThrough();
      gzip.pipe(body);
      let compressed = 0;
      gzip.on('data', (data: Buffer) => {
        compressed += data.length;
      });
      const done = upload(key, body).done();
      // A failed upload must not leave writers waiting on 'drain' forever.
      let failure: unknown;
      done.catch((error: unknown) => {
        failure = error;
        gzip.destroy(error instanceof Error ? error : new Error(String(error)));
      });
      return {
        async write(bytes) {
          if (failure) throw failure;
          if (!gzip.write(bytes)) await Promise.race([once(gzip, 'drain'), done]);
          if (failure) throw failure;
        },
        async close() {
          gzip.end();
          await done;
          return compressed;
        },
      };
    },

    async assemble(chunkKeys, finalKey) {
      const [only] = chunkKeys;
      if (chunkKeys.length === 1 && only !== undefined) {
        // One chunk (most exports): a server-side copy, no bytes through the function.
        await client.send(
          new CopyObjectCommand({
            Bucket: bucket,
            Key: finalKey,
            CopySource: `${bucket}/${encodeURIComponent(only).replace(/%2F/g, '/')}`,
            ContentType: 'application/gzip',
            MetadataDirective: 'REPLACE',
          }),
        );
      } else {
        async function* concatenated() {
          for (const key of chunkKeys) {
            const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
            if (!object.Body) throw new Error(`Export chunk ${key} has no body`);
            for await (const piece of object.Body as Readable) yield piece as Buffer;
          }
        }
        await upload(finalKey, Readable.from(concatenated())).done();
      }
      const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: finalKey }));
      return head.ContentLength ?? 0;
    },

    presign(key, expiresInSeconds, filename) {
      return getSignedUrl(
        client,
        new GetObjectCommand({
          Bucket: bucket,
          Key: key,
          ResponseContentDisposition: `attachment; filename="${filename}"`,
        }),
        { expiresIn: expiresInSeconds },
      );
    },
  };
}
