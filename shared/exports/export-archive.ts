import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import {
  type ChainableEntry,
  entryHashOf,
  genesisHash,
  personalHashOf,
  utcDayOf,
} from '../audit/audit-chain.ts';
import type { Db } from '../db/client.ts';
import { renderReadme } from './export-readme.ts';
import {
  type ExportStep,
  type ExportSubject,
  fileOf,
  kindOfSortKey,
  queryOf,
  SKIPPED_TENANT_KINDS,
} from './export-sources.ts';
import type { ChunkSink } from './export-storage.ts';
import { TAR_END, tarEntry } from './tar.ts';

/**
 * Where an export stands between chunks, stored (as JSON) on the job item: the plan, the step and
 * the Query's `LastEvaluatedKey` to resume from, and what the README will list.
 */
export interface ArchiveCursor {
  readonly plan: readonly ExportStep[];
  step: number;
  startKey?: Record<string, unknown> | undefined;
  /** Parts written so far per file base. */
  parts: Record<string, number>;
  /** Records written so far per file base. */
  counts: Record<string, number>;
  /** Top-level fields seen per file base, for the README. */
  fields: Record<string, string[]>;
  /** Paths written so far, in archive order. */
  files: string[];
  itemsRead: number;
  /** The tenant's audit chain where the last chunk left it. */
  chain?: { day: string; hash: string } | undefined;
}

export function newCursor(plan: readonly ExportStep[]): ArchiveCursor {
  return { plan, step: 0, parts: {}, counts: {}, fields: {}, files: [], itemsRead: 0 };
}

/** How big files and pages get, and when a chunk stops. */
export interface ChunkLimits {
  /** Items per Query page. */
  readonly pageSize: number;
  /** A file is closed (and the next part begun) at this many records… */
  readonly maxFileRecords: number;
  /** …or this many bytes of JSON: the most one file holds in memory. */
  readonly maxFileBytes: number;
}

export interface ChunkInput {
  readonly db: Db;
  readonly sink: ChunkSink;
  readonly subject: ExportSubject;
  readonly cursor: ArchiveCursor;
  readonly limits: ChunkLimits;
  /** The archive's top folder (`plinth-export-<jobId>`). */
  readonly root: string;
  readonly jobId: string;
  readonly requestedAt: string;
  readonly expiresAt: string;
  /** Milliseconds this chunk may still take; checked after each page (one page always runs). */
  readonly timeLeft: () => number;
}

const KEY_ATTRIBUTES = new Set(['pk', 'sk', 'gsi1pk', 'gsi1sk', 'gsi2pk', 'gsi2sk']);

/**
 * Writes one chunk of an archive into `sink`: pages through the plan's Queries from the cursor,
 * writes each file as a tar entry as soon as it is complete (or full), and stops after the page
 * that used up the time, or at the end of the plan, where it adds README.md and the end of the tar.
 * Mutates and returns the cursor; `done` when the plan is complete.
 */
export async function writeChunk(input: ChunkInput): Promise<{ cursor: ArchiveCursor; done: boolean }> {
  const { db, sink, subject, cursor, limits, root } = input;
  const mtime = new Date(input.requestedAt);
  let file: { base: string; records: string[]; bytes: number } | undefined;

  const writeFile = async (path: string, content: Buffer) => {
    for (const bytes of tarEntry(path, content, { mtime })) await sink.write(bytes);
  };
  const flush = async () => {
    if (!file || file.records.length === 0) return;
    const part = (cursor.parts[file.base] ?? 0) + 1;
    cursor.parts[file.base] = part;
    const path = `${root}/${file.base}${part === 1 ? '' : `.part${part}`}.json`;
    await writeFile(path, Buffer.from(`[\n${file.records.join(',\n')}\n]\n`, 'utf8'));
    cursor.files.push(path);
    file = undefined;
  };

  while (cursor.step < cursor.plan.length) {
    const step = cursor.plan[cursor.step] as ExportStep;
    const page = await db.client.send(
      new QueryCommand({
        TableName: db.tableName,
        ...queryOf(step, subject),
        Limit: limits.pageSize,
        ...(cursor.startKey ? { ExclusiveStartKey: cursor.startKey } : {}),
      }),
    );
    const items = page.Items ?? [];
    cursor.itemsRead += page.ScannedCount ?? items.length;
    for (const item of items) {
      const kind = typeof item.sk === 'string' ? kindOfSortKey(item.sk) : undefined;
      if (
        (step.source === 'tenant-partition' || step.source === 'user-partition') &&
        kind &&
        SKIPPED_TENANT_KINDS.has(kind)
      ) {
        continue;
      }
      const base = fileOf(step, item);
      if (file && file.base !== base) await flush();
      const record = recordOf(step, item, cursor);
      const fields = new Set(cursor.fields[base]);
      for (const name of Object.keys(record)) fields.add(name);
      cursor.fields[base] = [...fields];
      cursor.counts[base] = (cursor.counts[base] ?? 0) + 1;
      const json = JSON.stringify(record);
      file ??= { base, records: [], bytes: 0 };
      file.records.push(json);
      file.bytes += Buffer.byteLength(json);
      if (file.records.length >= limits.maxFileRecords || file.bytes >= limits.maxFileBytes) await flush();
    }
    cursor.startKey = page.LastEvaluatedKey;
    if (!cursor.startKey) {
      cursor.step += 1;
      // The profile file opens with what the identity provider holds (once, at the end of its step).
      if (step.source === 'user-partition' && subject.scope === 'user') {
        if (file?.base !== 'profile') await flush();
        const identity = { kind: 'identity', userId: subject.userId, email: subject.email };
        file ??= { base: 'profile', records: [], bytes: 0 };
        file.records.push(JSON.stringify(identity));
        cursor.counts.profile = (cursor.counts.profile ?? 0) + 1;
        cursor.fields.profile = [...new Set([...(cursor.fields.profile ?? []), ...Object.keys(identity)])];
      }
    }
    if (cursor.step < cursor.plan.length && input.timeLeft() <= 0) break;
  }
  await flush();
  const done = cursor.step >= cursor.plan.length;
  if (done) {
    const readme = renderReadme({
      subject,
      jobId: input.jobId,
      requestedAt: input.requestedAt,
      expiresAt: input.expiresAt,
      files: cursor.files,
      counts: cursor.counts,
      fields: cursor.fields,
      itemsRead: cursor.itemsRead,
    });
    await writeFile(`${root}/README.md`, Buffer.from(readme, 'utf8'));
    await sink.write(TAR_END);
  }
  return { cursor, done };
}

/** The record an item becomes: storage keys left out; audit entries of a tenant carry their chain link. */
function recordOf(
  step: ExportStep,
  item: Record<string, unknown>,
  cursor: ArchiveCursor,
): Record<string, unknown> {
  const record: Record<string, unknown> = {};
  if (step.source === 'user-partition' && typeof item.sk === 'string') record.kind = kindOfSortKey(item.sk);
  for (const [name, value] of Object.entries(item)) if (!KEY_ATTRIBUTES.has(name)) record[name] = value;
  if (step.source === 'tenant-partition' && record.type === 'audit' && typeof record.at === 'string') {
    const entry = record as unknown as ChainableEntry;
    const day = utcDayOf(entry.at);
    const previousHash = cursor.chain?.day === day ? cursor.chain.hash : genesisHash(step.tenantId, day);
    const entryHash = entryHashOf(entry, previousHash);
    record.chain = { previousHash, personalHash: personalHashOf(entry), entryHash };
    cursor.chain = { day, hash: entryHash };
  }
  return record;
}
