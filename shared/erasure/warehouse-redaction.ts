import { once as onceEvent } from 'node:events';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip, createGzip } from 'node:zlib';
import type { S3Client } from '@aws-sdk/client-s3';
import { warehouseLayout } from '../analytics/product/warehouse.ts';
import { once } from '../app/deferred.ts';
import type { WarehouseRedactionRequest, WarehouseRedactor } from './erasure.ports.ts';

/**
 * Erasure in the product warehouse (README "Raw events in the warehouse", "Erasure"): the objects
 * Firehose wrote under `events/` are gzipped JSON Lines (plain on moto, which ignores the
 * compression setting), one raw event per line with `tenant_id` and `user_id`. Redacting one means
 * reading it, dropping the subject's lines and writing it back under the same key, in the same
 * encoding, so the Glue table sees the same layout. S3 is loaded on first use (`await import()`):
 * the erasure workers' cold start does not grow.
 */

/** Whose lines go: a user's (`user_id`) or a tenant's (`tenant_id`). */
export interface LineMatch {
  readonly field: 'user_id' | 'tenant_id';
  readonly value: string;
}

/** An object's body with the subject's lines removed. */
export interface RedactedBody {
  readonly body: Uint8Array;
  readonly removed: number;
  readonly kept: number;
}

/** Firehose's GZIP output starts with gzip's magic bytes; moto's uncompressed objects do not. */
export const isGzip = (body: Uint8Array): boolean => body.length >= 2 && body[0] === 0x1f && body[1] === 0x8b;

/** The value as it appears inside a JSON string (escaped as JSON.stringify escapes it). */
const jsonText = (value: string) => JSON.stringify(value).slice(1, -1);

/** The decompressed bytes of a body, chunk by chunk (never the whole object at once). */
async function* contentOf(body: Uint8Array): AsyncGenerator<Buffer> {
  const bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (!isGzip(bytes)) {
    yield bytes;
    return;
  }
  const gunzip = createGunzip();
  gunzip.end(bytes);
  for await (const chunk of gunzip) yield chunk as Buffer;
}

/**
 * Whether the decompressed text holds the value anywhere: the cheap first pass over every object
 * (no JSON parsing, no recompression), so only the objects that may hold the subject are rewritten.
 */
export async function mentions(body: Uint8Array, value: string): Promise<boolean> {
  const needle = Buffer.from(jsonText(value), 'utf8');
  if (needle.length === 0) return false;
  let tail: Buffer = Buffer.alloc(0);
  for await (const chunk of contentOf(body)) {
    const window = tail.length > 0 ? Buffer.concat([tail, chunk]) : chunk;
    if (window.includes(needle)) return true;
    tail = window.subarray(Math.max(0, window.length - (needle.length - 1)));
  }
  return false;
}

/**
 * Whether a line is the subject's: its `field` equals the value. A line that is not a JSON object
 * but holds the value anywhere is counted as the subject's too (privacy first: it may be theirs, and
 * Athena cannot read it anyway); every other line is kept as it was, byte for byte.
 */
function isSubjectLine(line: string, match: LineMatch, needle: string): boolean {
  if (!line.includes(needle)) return false;
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return true;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return true;
  return (parsed as Record<string, unknown>)[match.field] === match.value;
}

/**
 * Drops the subject's lines from an object's body, streaming: decompresses (when gzipped), splits
 * into lines, and writes the kept ones to a new body in the same encoding (gzip in, gzip out; plain
 * in, plain out). Memory holds the new body (compressed) and one chunk of text, not the whole text.
 */
export async function redactLines(body: Uint8Array, match: LineMatch): Promise<RedactedBody> {
  const needle = jsonText(match.value);
  const chunks: Buffer[] = [];
  const gzip = isGzip(body) ? createGzip() : undefined;
  gzip?.on('data', (chunk: Buffer) => chunks.push(chunk));
  const write = async (text: string) => {
    if (!gzip) {
      chunks.push(Buffer.from(text, 'utf8'));
      return;
    }
    if (!gzip.write(text)) await onceEvent(gzip, 'drain');
  };
  let removed = 0;
  let kept = 0;
  const handle = async (line: string, newline: boolean) => {
    if (line !== '' && isSubjectLine(line, match, needle)) {
      removed += 1;
      return;
    }
    if (line !== '') kept += 1;
    await write(newline ? `${line}\n` : line);
  };

  const decoder = new StringDecoder('utf8');
  let partial = '';
  for await (const chunk of contentOf(body)) {
    const lines = (partial + decoder.write(chunk)).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) await handle(line, true);
  }
  partial += decoder.end();
  if (partial !== '') await handle(partial, false);
  if (gzip) {
    const ended = onceEvent(gzip, 'end');
    gzip.end();
    await ended;
  }
  return { body: Buffer.concat(chunks), removed, kept };
}

/** Object metadata a rewrite leaves, so a run resumed after a crash counts a rewrite it did not record. */
export const REDACTED_BY = 'plinth-redacted-by';
export const LINES_REMOVED = 'plinth-lines-removed';

/** The S3 calls the redactor makes; an `S3Client` fits. */
export type WarehouseS3 = Pick<S3Client, 'send'>;

export interface S3WarehouseRedactorOptions {
  readonly bucket: string;
  /** The client, built on first use (so the S3 SDK is loaded only by a run that reaches the step). */
  readonly client: () => Promise<WarehouseS3>;
  /** Conditional writes refused because another erasure rewrote the object meanwhile: tries per object. @default 5 */
  readonly maxConflicts?: number;
}

/** The HTTP status an SDK error carries, if any. */
const statusOf = (error: unknown) =>
  (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
const isConflict = (error: unknown) => statusOf(error) === 412 || statusOf(error) === 409;
const isMissing = (error: unknown) =>
  (error as { name?: string } | undefined)?.name === 'NoSuchKey' || statusOf(error) === 404;

/**
 * The warehouse bucket's redactor: lists `events/` in key order (ListObjectsV2, 1,000 keys a page,
 * from the cursor on), skips objects last modified before the subject existed unread, reads each
 * other object whole (compressed: a Firehose object is at most 128 MiB of text, a few MiB gzipped),
 * and when it holds the subject's lines writes it back without them under the same key, with
 * `If-Match` on the ETag it read: Firehose never rewrites an object, but two erasures may, and the
 * second one then reads the first one's result again instead of bringing its lines back.
 */
export function createS3WarehouseRedactor(options: S3WarehouseRedactorOptions): WarehouseRedactor {
  const maxConflicts = options.maxConflicts ?? 5;

  async function redactObject(
    s3: WarehouseS3,
    sdk: typeof import('@aws-sdk/client-s3'),
    key: string,
    request: WarehouseRedactionRequest,
  ): Promise<{ rewritten: number; removed: number }> {
    for (let attempt = 1; ; attempt++) {
      let object: import('@aws-sdk/client-s3').GetObjectCommandOutput;
      try {
        object = await s3.send(new sdk.GetObjectCommand({ Bucket: options.bucket, Key: key }));
      } catch (error) {
        if (isMissing(error)) return { rewritten: 0, removed: 0 };
        throw error;
      }
      const body = (await object.Body?.transformToByteArray()) ?? new Uint8Array();
      // Rewritten by this erasure in a run that stopped before recording it: counted now, once
      // (the cursor is past every object whose rewrite was recorded, so this one was not).
      const metadata = object.Metadata ?? {};
      const unrecorded =
        metadata[REDACTED_BY] === request.rewrittenBy
          ? { rewritten: 1, removed: Number(metadata[LINES_REMOVED] ?? 0) }
          : { rewritten: 0, removed: 0 };
      if (!(await mentions(body, request.match.value))) return unrecorded;
      const redacted = await redactLines(body, request.match);
      if (redacted.removed === 0) return unrecorded;
      try {
        await s3.send(
          new sdk.PutObjectCommand({
            Bucket: options.bucket,
            Key: key,
            Body: redacted.body,
            IfMatch: object.ETag,
            ...(object.ContentType ? { ContentType: object.ContentType } : {}),
            ...(object.ContentEncoding ? { ContentEncoding: object.ContentEncoding } : {}),
            // An object lifecycle moved to Intelligent-Tiering stays there.
            ...(object.StorageClass === 'INTELLIGENT_TIERING' ? { StorageClass: object.StorageClass } : {}),
            Metadata: { [REDACTED_BY]: request.rewrittenBy, [LINES_REMOVED]: String(redacted.removed) },
          }),
        );
        return { rewritten: 1, removed: redacted.removed };
      } catch (error) {
        if (!isConflict(error) || attempt >= maxConflicts) throw error;
      }
    }
  }

  return {
    async redact(request) {
      const [sdk, s3] = await Promise.all([import('@aws-sdk/client-s3'), options.client()]);
      let counts: Record<string, number> = {};
      let cursor = request.startAfter;
      let unrecorded = false;
      const add = (kind: string, n: number) => {
        if (n > 0) counts[kind] = (counts[kind] ?? 0) + n;
      };
      const record = async () => {
        if (!unrecorded || cursor === undefined) return;
        await request.onProgress({ cursor, counts });
        counts = {};
        unrecorded = false;
      };

      let token: string | undefined;
      do {
        const page = await s3.send(
          new sdk.ListObjectsV2Command({
            Bucket: options.bucket,
            Prefix: warehouseLayout.dataRoot,
            ...(token ? { ContinuationToken: token } : cursor ? { StartAfter: cursor } : {}),
          }),
        );
        for (const object of page.Contents ?? []) {
          if (!object.Key) continue;
          if (request.shouldYield?.()) {
            await record();
            return { finished: false };
          }
          let rewritten = 0;
          if (
            request.modifiedSince &&
            object.LastModified &&
            object.LastModified.getTime() < request.modifiedSince.getTime()
          ) {
            add('object-skipped', 1);
          } else {
            add('object-read', 1);
            const result = await redactObject(s3, sdk, object.Key, request);
            rewritten = result.rewritten;
            add('object-rewritten', result.rewritten);
            add('line-removed', result.removed);
          }
          cursor = object.Key;
          unrecorded = true;
          // A rewrite is recorded at once: a crash after it re-reads at most this object.
          if (rewritten > 0) await record();
        }
        await record();
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return { finished: true };
    },
  };
}

/**
 * The redactor of the warehouse bucket named by the erasure workers' environment, its S3 client
 * (and the SDK) loaded on the first call; path-style against a local endpoint (moto).
 */
export function lazyWarehouseRedactor(config: {
  readonly bucket: string;
  readonly region: string;
  readonly endpoint?: string | undefined;
  readonly wrap?: <T>(client: T) => T;
}): WarehouseRedactor {
  const client = once(async () => {
    const { S3Client } = await import('@aws-sdk/client-s3');
    const built = new S3Client({
      region: config.region,
      ...(config.endpoint ? { endpoint: config.endpoint, forcePathStyle: true } : {}),
    });
    return config.wrap ? config.wrap(built) : built;
  });
  return createS3WarehouseRedactor({ bucket: config.bucket, client });
}
