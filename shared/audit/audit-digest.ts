import { type AttributeValue, ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBRecord } from 'aws-lambda';
import type { Db } from '../db/client.ts';
import { keys } from '../db/keys.ts';
import { withoutKeys } from '../tenancy/records.ts';
import { CHAIN_VERSION, type ChainableEntry, chainDay, type DayDigest, utcDayOf } from './audit-chain.ts';
import type { DigestArchive } from './digest-archive.ts';

/**
 * The periodic digest that anchors each tenant's audit log (README "Tamper-evident audit"). Entries
 * are written inside other use cases' transactions and never change, so instead of a per-entry chain
 * (whose head every audited transaction of a busy tenant would contend for) a scheduled job chains
 * each closed UTC day after the fact and writes the day's head to the Object Lock bucket.
 *
 * Which tenant-days to digest, without a Scan: the product-activity stream consumer sees every audit
 * INSERT and marks its tenant-day due ({@link markAuditDays}: `ADD marks`, and the sparse
 * `AUDIT_DIGEST_DUE` index keys). The job queries that index for the closed days, digests each, and
 * clears the due keys only if `marks` did not move meanwhile, so an entry that arrives during or
 * after a digest (a late write or a slow stream) makes the day due again and the next run writes a
 * new revision (counted as `AuditDigestsRevised`).
 */

/** Entries are stamped with the writer's clock and reach the stream a little later: a day is digested this long after it ends. */
export const DIGEST_MARGIN_MINUTES = 60;

/** The stored audit item as a chainable entry (keys and bookkeeping attributes dropped). */
export function entryOfItem(item: Record<string, unknown>): ChainableEntry {
  return withoutKeys(item) as unknown as ChainableEntry;
}

/** A tenant's entries of one UTC day, in sort-key order, read consistently page by page. */
export async function readDayEntries(db: Db, tenantId: string, day: string): Promise<ChainableEntry[]> {
  const range = keys.auditDayRange(tenantId, day);
  const entries: ChainableEntry[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await db.client.send(
      new QueryCommand({
        TableName: db.tableName,
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
        ExpressionAttributeValues: { ':pk': range.pk, ':from': range.skFrom, ':to': range.skTo },
        ConsistentRead: true,
        ExclusiveStartKey: start,
      }),
    );
    for (const item of page.Items ?? []) entries.push(entryOfItem(item));
    start = page.LastEvaluatedKey;
  } while (start);
  return entries;
}

/** The digest state of one tenant-day as the table holds it. */
export interface AuditDayState {
  readonly tenantId: string;
  readonly day: string;
  readonly marks: number;
  readonly revision?: number;
  readonly head?: string;
  readonly entryCount?: number;
  readonly digestedAt?: string;
  /** Present while the day has entries not yet digested. */
  readonly gsi1pk?: string;
}

/** The tenant-day of a stream record that inserts a tenant's audit entry. */
function auditDayOfRecord(record: DynamoDBRecord): { tenantId: string; day: string } | undefined {
  if (record.eventName !== 'INSERT' || !record.dynamodb?.NewImage) return undefined;
  const item = unmarshall(record.dynamodb.NewImage as Record<string, AttributeValue>);
  if (item.type !== 'audit' || typeof item.tenantId !== 'string' || typeof item.at !== 'string')
    return undefined;
  const at = Date.parse(item.at);
  return Number.isNaN(at) ? undefined : { tenantId: item.tenantId, day: utcDayOf(new Date(at)) };
}

/**
 * Marks the tenant-days of a stream batch's audit INSERTs due for digesting: one UpdateItem per
 * tenant-day (outside anyone's transaction, so no audited change waits for it). Redelivery only adds
 * to `marks`, which at worst re-digests a day to the same head. Failed records are reported.
 */
export async function markAuditDays(
  records: readonly DynamoDBRecord[],
  deps: { db: Db },
): Promise<DynamoDBBatchResponse> {
  const days = new Map<string, { tenantId: string; day: string; count: number; sequences: string[] }>();
  for (const record of records) {
    const at = auditDayOfRecord(record);
    if (!at) continue;
    const id = `${at.day}#${at.tenantId}`;
    const entry = days.get(id) ?? { ...at, count: 0, sequences: [] };
    entry.count += 1;
    const sequence = record.dynamodb?.SequenceNumber;
    if (sequence) entry.sequences.push(sequence);
    days.set(id, entry);
  }
  const failed: string[] = [];
  await Promise.all(
    [...days.values()].map(async ({ tenantId, day, count, sequences }) => {
      try {
        await deps.db.client.send(
          new UpdateCommand({
            TableName: deps.db.tableName,
            Key: keys.auditDay(day, tenantId),
            UpdateExpression:
              'ADD marks :count SET tenantId = :tenantId, #day = :day, gsi1pk = :due, gsi1sk = :dueSk',
            ExpressionAttributeNames: { '#day': 'day' },
            ExpressionAttributeValues: {
              ':count': count,
              ':tenantId': tenantId,
              ':day': day,
              ':due': keys.auditDigestDue(day, tenantId).gsi1pk,
              ':dueSk': keys.auditDigestDue(day, tenantId).gsi1sk,
            },
          }),
        );
      } catch {
        failed.push(...sequences);
      }
    }),
  );
  return { batchItemFailures: failed.map((itemIdentifier) => ({ itemIdentifier })) };
}

export interface AuditDigestDeps {
  readonly db: Db;
  readonly archive: DigestArchive;
}

export interface AuditDigestResult {
  /** The newest day digested: every day before `closedBefore`. */
  readonly closedBefore: string;
  readonly digested: number;
  /** Tenant-days digested before whose head changed: entries arrived after their digest. */
  readonly revised: ReadonlyArray<{ tenantId: string; day: string; revision: number }>;
  /** Tenant-days left due because an entry arrived while they were digested (the next run takes them). */
  readonly deferred: number;
}

/** Reads one tenant-day's digest state (strongly consistent). */
export async function readAuditDay(
  db: Db,
  day: string,
  tenantId: string,
): Promise<AuditDayState | undefined> {
  const { Item } = await db.client.send(
    new GetCommand({ TableName: db.tableName, Key: keys.auditDay(day, tenantId), ConsistentRead: true }),
  );
  return Item as AuditDayState | undefined;
}

/**
 * Digests one tenant-day: chains its entries, writes a new revision to the archive when the head
 * differs from the one recorded (the first digest, or entries arrived since), records it in the
 * table, then clears the due mark if no entry was marked meanwhile. Safe to repeat after a crash at
 * any point: an unchanged head writes nothing new.
 */
export async function digestTenantDay(
  deps: AuditDigestDeps,
  tenantId: string,
  day: string,
  now: Date,
): Promise<{ digest: DayDigest; revised: boolean; cleared: boolean }> {
  const { db } = deps;
  const state = await readAuditDay(db, day, tenantId);
  const marks = state?.marks ?? 0;
  const chain = chainDay(tenantId, day, await readDayEntries(db, tenantId, day));
  const unchanged = state?.head === chain.head && state.revision !== undefined;
  const revision = unchanged ? (state.revision ?? 1) : (state?.revision ?? 0) + 1;
  const digest: DayDigest = {
    algorithm: CHAIN_VERSION,
    tenantId,
    day,
    revision,
    entryCount: chain.links.length,
    genesis: chain.genesis,
    head: chain.head,
    digestedAt: unchanged && state.digestedAt ? state.digestedAt : now.toISOString(),
    links: chain.links.map((link): [string, string] => [link.entryId, link.entryHash]),
  };
  if (!unchanged) {
    await deps.archive.put(digest);
    await db.client.send(
      new UpdateCommand({
        TableName: db.tableName,
        Key: keys.auditDay(day, tenantId),
        UpdateExpression:
          'SET tenantId = :tenantId, #day = :day, #revision = :revision, head = :head, entryCount = :count, digestedAt = :at',
        ExpressionAttributeNames: { '#day': 'day', '#revision': 'revision' },
        ExpressionAttributeValues: {
          ':tenantId': tenantId,
          ':day': day,
          ':revision': revision,
          ':head': digest.head,
          ':count': digest.entryCount,
          ':at': digest.digestedAt,
        },
      }),
    );
  }
  let cleared = true;
  try {
    await db.client.send(
      new UpdateCommand({
        TableName: db.tableName,
        Key: keys.auditDay(day, tenantId),
        UpdateExpression: 'REMOVE gsi1pk, gsi1sk',
        ConditionExpression: marks === 0 ? 'attribute_not_exists(marks)' : 'marks = :marks',
        ...(marks === 0 ? {} : { ExpressionAttributeValues: { ':marks': marks } }),
      }),
    );
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    cleared = false;
  }
  return { digest, revised: !unchanged && revision > 1, cleared };
}

/**
 * One run of the digest job at `time`: every due tenant-day of a day that ended at least
 * {@link DIGEST_MARGIN_MINUTES} before `time`, oldest first.
 */
export async function runAuditDigest(deps: AuditDigestDeps, time: Date): Promise<AuditDigestResult> {
  const closedBefore = utcDayOf(new Date(time.getTime() - DIGEST_MARGIN_MINUTES * 60_000));
  const due = keys.auditDigestDueBefore(closedBefore);
  let digested = 0;
  let deferred = 0;
  const revised: Array<{ tenantId: string; day: string; revision: number }> = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await deps.db.client.send(
      new QueryCommand({
        TableName: deps.db.tableName,
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :due AND gsi1sk < :before',
        ExpressionAttributeValues: { ':due': due.gsi1pk, ':before': due.gsi1skBefore },
        ExclusiveStartKey: start,
      }),
    );
    for (const item of page.Items ?? []) {
      const { tenantId, day } = item as { tenantId: string; day: string };
      const result = await digestTenantDay(deps, tenantId, day, time);
      digested += 1;
      if (!result.cleared) deferred += 1;
      if (result.revised) revised.push({ tenantId, day, revision: result.digest.revision });
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return { closedBefore, digested, revised, deferred };
}
