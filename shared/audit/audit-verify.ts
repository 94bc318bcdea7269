import { BatchGetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Db } from '../db/client.ts';
import { keys } from '../db/keys.ts';
import {
  addDays,
  CHAIN_VERSION,
  type ChainableEntry,
  type ChainBreak,
  chainDay,
  compareDay,
  type DayDigest,
  utcDayOf,
} from './audit-chain.ts';
import { type AuditDayState, DIGEST_MARGIN_MINUTES, entryOfItem } from './audit-digest.ts';
import type { DigestArchive } from './digest-archive.ts';

/**
 * Checks a tenant's audit log against the digests anchored in the Object Lock bucket (and the copy
 * in the table), day by day, and names the first link that does not hold. Used by
 * `GET /v1/tenants/{tenantId}/audit-log/verify` and the scheduled verifier (functions/audit-verify).
 */

export interface AuditVerifyDeps {
  readonly db: Db;
  readonly archive: DigestArchive;
}

export interface ChainVerification {
  readonly tenantId: string;
  readonly from: string;
  readonly to: string;
  /** True when every digested day in the range holds. */
  readonly ok: boolean;
  /** Days with a digest that were recomputed and compared. */
  readonly daysVerified: number;
  readonly entriesVerified: number;
  /** Days with entries not digested yet (today, or a day closed less than a day ago and marked due). */
  pendingDays: string[];
  readonly firstBreak?: ChainBreak | undefined;
}

/** A due mark on a day older than this many days before the last closed one is itself a break. */
const PENDING_GRACE_DAYS = 2;

/** Days from `from` to `to`, inclusive. */
export function daysBetween(from: string, to: string): string[] {
  const days: string[] = [];
  for (let day = from; day <= to; day = addDays(day, 1)) days.push(day);
  return days;
}

/** A tenant's entries of the days in [from, to], grouped by the day of their sort key, in order. */
async function readRangeEntries(
  db: Db,
  tenantId: string,
  from: string,
  to: string,
): Promise<Map<string, ChainableEntry[]>> {
  const first = keys.auditDayRange(tenantId, from);
  const last = keys.auditDayRange(tenantId, to);
  const byDay = new Map<string, ChainableEntry[]>();
  let start: Record<string, unknown> | undefined;
  do {
    const page = await db.client.send(
      new QueryCommand({
        TableName: db.tableName,
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
        ExpressionAttributeValues: { ':pk': first.pk, ':from': first.skFrom, ':to': last.skTo },
        ConsistentRead: true,
        ExclusiveStartKey: start,
      }),
    );
    for (const item of page.Items ?? []) {
      // The day of the key, not of the `at` attribute: an edited `at` must not move the entry.
      const day = String(item.sk).slice('AUDIT#'.length, 'AUDIT#'.length + 10);
      const list = byDay.get(day) ?? [];
      list.push(entryOfItem(item));
      byDay.set(day, list);
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return byDay;
}

async function readDayStates(
  db: Db,
  tenantId: string,
  days: readonly string[],
): Promise<Map<string, AuditDayState>> {
  const states = new Map<string, AuditDayState>();
  for (let index = 0; index < days.length; index += 100) {
    let requested: Record<string, unknown>[] = days
      .slice(index, index + 100)
      .map((day) => keys.auditDay(day, tenantId));
    while (requested.length > 0) {
      const result = await db.client.send(
        new BatchGetCommand({
          RequestItems: { [db.tableName]: { Keys: requested, ConsistentRead: true } },
        }),
      );
      for (const item of result.Responses?.[db.tableName] ?? []) {
        const state = item as AuditDayState;
        states.set(state.day, state);
      }
      requested =
        (result.UnprocessedKeys?.[db.tableName]?.Keys as Record<string, unknown>[] | undefined) ?? [];
    }
  }
  return states;
}

/** Verifies a tenant's chain for the days [from, to] as of `now`. */
export async function verifyTenantChain(
  deps: AuditVerifyDeps,
  tenantId: string,
  range: { from: string; to: string },
  now: Date,
): Promise<ChainVerification> {
  const { from, to } = range;
  const closedBefore = utcDayOf(new Date(now.getTime() - DIGEST_MARGIN_MINUTES * 60_000));
  const graceFrom = addDays(closedBefore, -PENDING_GRACE_DAYS);
  const days = daysBetween(from, to);
  const [digests, entries, states] = await Promise.all([
    deps.archive.latest(tenantId, from, to),
    readRangeEntries(deps.db, tenantId, from, to),
    readDayStates(deps.db, tenantId, days),
  ]);

  const pendingDays: string[] = [];
  let daysVerified = 0;
  let entriesVerified = 0;
  const result = (firstBreak?: ChainBreak): ChainVerification => ({
    tenantId,
    from,
    to,
    ok: firstBreak === undefined,
    daysVerified,
    entriesVerified,
    pendingDays,
    ...(firstBreak ? { firstBreak } : {}),
  });

  for (const day of days) {
    const digest = digests.get(day);
    const dayEntries = entries.get(day) ?? [];
    const state = states.get(day);
    const due = state?.gsi1pk !== undefined;
    const mayBePending = day >= closedBefore || (due && day >= graceFrom);
    if (!digest) {
      if (dayEntries.length === 0) continue;
      if (mayBePending) {
        pendingDays.push(day);
        continue;
      }
      const chain = chainDay(tenantId, day, dayEntries);
      return result({
        day,
        kind: 'digest-missing',
        entryId: dayEntries[0]?.entryId,
        expected: '(no digest)',
        found: chain.head,
      });
    }
    const chain = chainDay(tenantId, day, dayEntries);
    const broken = compareDay(chain, digest);
    if (broken) {
      // Entries after the digest that the next run will take in (a late write): not a break yet.
      if (broken.kind === 'entry-added' && due && mayBePending && prefixHolds(chain, digest)) {
        pendingDays.push(day);
        continue;
      }
      return result(broken);
    }
    if (state?.head !== digest.head || state.revision !== digest.revision) {
      if (!(due && mayBePending)) {
        return result({
          day,
          kind: 'table-digest-mismatch',
          expected: digest.head,
          found: state?.head ?? '(none)',
        });
      }
    }
    daysVerified += 1;
    entriesVerified += chain.links.length;
  }
  return result();
}

function prefixHolds(chain: ReturnType<typeof chainDay>, digest: DayDigest): boolean {
  return digest.links.every(
    ([entryId, hash], index) =>
      chain.links[index]?.entryId === entryId && chain.links[index]?.entryHash === hash,
  );
}

/** One entry of an export, with what an auditor needs to recompute the chain. */
export interface ExportedEntry {
  readonly entry: ChainableEntry;
  readonly personalHash: string;
  readonly previousHash: string;
  readonly entryHash: string;
}

export interface AuditLogExport {
  readonly algorithm: typeof CHAIN_VERSION;
  readonly tenantId: string;
  readonly from: string;
  readonly to: string;
  readonly days: Array<{
    readonly day: string;
    /** The latest digest of the day from the Object Lock bucket; null while not digested. */
    readonly digest: DayDigest | null;
    readonly entries: ExportedEntry[];
  }>;
}

/** The tenant's entries of [from, to] with their hashes, and the days' anchored digests. */
export async function exportAuditLog(
  deps: AuditVerifyDeps,
  tenantId: string,
  range: { from: string; to: string },
): Promise<AuditLogExport> {
  const { from, to } = range;
  const [digests, entries] = await Promise.all([
    deps.archive.latest(tenantId, from, to),
    readRangeEntries(deps.db, tenantId, from, to),
  ]);
  const days = daysBetween(from, to)
    .filter((day) => digests.has(day) || entries.has(day))
    .map((day) => {
      const dayEntries = entries.get(day) ?? [];
      const chain = chainDay(tenantId, day, dayEntries);
      return {
        day,
        digest: digests.get(day) ?? null,
        entries: dayEntries.map((entry, index) => ({
          entry,
          personalHash: chain.links[index]?.personalHash ?? '',
          previousHash: index === 0 ? chain.genesis : (chain.links[index - 1]?.entryHash ?? ''),
          entryHash: chain.links[index]?.entryHash ?? '',
        })),
      };
    });
  return { algorithm: CHAIN_VERSION, tenantId, from, to, days };
}

/** The tenants that had entries on a day (the digest state items of that day). */
export async function tenantsOfDay(db: Db, day: string): Promise<string[]> {
  const partition = keys.auditDayTenants(day);
  const tenants: string[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await db.client.send(
      new QueryCommand({
        TableName: db.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': partition.pk, ':prefix': partition.skPrefix },
        ProjectionExpression: 'tenantId',
        ExclusiveStartKey: start,
      }),
    );
    for (const item of page.Items ?? []) if (typeof item.tenantId === 'string') tenants.push(item.tenantId);
    start = page.LastEvaluatedKey;
  } while (start);
  return tenants;
}

export interface ScheduledVerifyResult {
  readonly days: number;
  readonly tenants: number;
  readonly broken: ReadonlyArray<{ tenantId: string; firstBreak: ChainBreak }>;
}

/**
 * The scheduled verifier: every tenant with entries in the last `days` closed days, each verified
 * over those days. Reports each tenant whose chain breaks.
 */
export async function runScheduledVerify(
  deps: AuditVerifyDeps,
  time: Date,
  days = 7,
): Promise<ScheduledVerifyResult> {
  const to = addDays(utcDayOf(new Date(time.getTime() - DIGEST_MARGIN_MINUTES * 60_000)), -1);
  const from = addDays(to, -(days - 1));
  const tenants = new Set<string>();
  for (const day of daysBetween(from, to))
    for (const tenantId of await tenantsOfDay(deps.db, day)) tenants.add(tenantId);
  const broken: Array<{ tenantId: string; firstBreak: ChainBreak }> = [];
  for (const tenantId of tenants) {
    const verification = await verifyTenantChain(deps, tenantId, { from, to }, time);
    if (verification.firstBreak) broken.push({ tenantId, firstBreak: verification.firstBreak });
  }
  return { days, tenants: tenants.size, broken };
}
