import { createHash } from 'node:crypto';
import type { AuditEntry } from './audit.schema.ts';

/**
 * The tamper-evident form of a tenant's audit log (README "Tamper-evident audit"): each UTC day's
 * entries of one tenant, in sort-key order (`at`, then `entryId`), are hashed into a chain whose
 * head is the tenant's digest of that day. Pure functions; the job that writes the digests is
 * ./audit-digest.ts and the verifier ./audit-verify.ts.
 *
 * The algorithm, precisely (an auditor re-implements it from this):
 * - `canonical(v)`: JSON with object keys sorted by UTF-16 code units, no whitespace, members whose
 *   value is `undefined` left out, arrays in order, strings and numbers as `JSON.stringify` writes them.
 * - `sha256(s)`: lower-case hex SHA-256 of the UTF-8 bytes of `s`.
 * - `personalHash = sha256(canonical({ actorEmail, actorUserId, after, before, reason, sourceIp, targetId }))`
 *   (absent fields left out): the fields an erasure may replace by a pseudonym.
 * - `entryHash = sha256(canonical({ action, actorKind, at, entryId, impersonatedBy, personalHash,
 *   previousHash, requestId, targetType, tenantId, v: 1 }))`.
 * - The first entry of a day takes `previousHash = genesis = sha256("plinth-audit-chain/v1|<tenantId>|<day>")`;
 *   each next entry takes the previous entry's `entryHash`. The day's `head` is the last entry's hash.
 */
export const CHAIN_VERSION = 'plinth-audit-chain/v1';

/** Sorted-key JSON without whitespace; `undefined` members are left out (as `JSON.stringify` does). */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    const text = JSON.stringify(value);
    if (text === undefined) throw new TypeError(`Not representable in canonical JSON: ${String(value)}`);
    return text;
  }
  if (Array.isArray(value)) {
    return `[${value.map((item) => (item === undefined ? 'null' : canonicalJson(item))).join(',')}]`;
  }
  const members = Object.keys(value)
    .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
    .sort()
    .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
  return `{${members.join(',')}}`;
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** The hash a tenant's chain of `day` (YYYY-MM-DD, UTC) starts from. */
export function genesisHash(tenantId: string, day: string): string {
  return sha256Hex(`${CHAIN_VERSION}|${tenantId}|${day}`);
}

/**
 * The fields an erasure may replace by a pseudonym: the entry hash covers only their hash, so an
 * erasure that records this hash beside the entry (`personalHash`) keeps the chain verifiable.
 */
export function personalFieldsOf(entry: AuditEntry): Record<string, unknown> {
  return {
    actorUserId: entry.actor.userId,
    actorEmail: entry.actor.email,
    targetId: entry.target.id,
    before: entry.before,
    after: entry.after,
    sourceIp: entry.sourceIp,
    reason: entry.reason,
  };
}

/**
 * An entry whose personal fields an erasure replaced carries the hash of the originals; the chain is
 * then checked with it (what survives is hashed; the replaced values are not, by design).
 */
export type ChainableEntry = AuditEntry & { readonly personalHash?: string | undefined };

export function personalHashOf(entry: ChainableEntry): string {
  return entry.personalHash ?? sha256Hex(canonicalJson(personalFieldsOf(entry)));
}

export function entryHashOf(entry: ChainableEntry, previousHash: string): string {
  return sha256Hex(
    canonicalJson({
      v: 1,
      entryId: entry.entryId,
      tenantId: entry.tenantId,
      at: entry.at,
      action: entry.action,
      actorKind: entry.actor.kind,
      targetType: entry.target.type,
      requestId: entry.requestId,
      impersonatedBy: entry.impersonatedBy,
      personalHash: personalHashOf(entry),
      previousHash,
    }),
  );
}

export interface ChainLink {
  readonly entryId: string;
  readonly personalHash: string;
  readonly entryHash: string;
}

export interface DayChain {
  readonly tenantId: string;
  readonly day: string;
  readonly genesis: string;
  /** The last entry's hash (the genesis for a day without entries). */
  readonly head: string;
  readonly links: readonly ChainLink[];
}

/** Chains one tenant-day's entries, which must be in sort-key order (as the table returns them). */
export function chainDay(tenantId: string, day: string, entries: readonly ChainableEntry[]): DayChain {
  const genesis = genesisHash(tenantId, day);
  let previous = genesis;
  const links = entries.map((entry) => {
    const entryHash = entryHashOf(entry, previous);
    previous = entryHash;
    return { entryId: entry.entryId, personalHash: personalHashOf(entry), entryHash };
  });
  return { tenantId, day, genesis, head: previous, links };
}

/** What the digest job writes to S3 (and, without `links`, to the table) for one tenant-day. */
export interface DayDigest {
  readonly algorithm: typeof CHAIN_VERSION;
  readonly tenantId: string;
  readonly day: string;
  /** 1 for the first digest of the day; a later entry (a late write) makes a new revision. */
  readonly revision: number;
  readonly entryCount: number;
  readonly genesis: string;
  readonly head: string;
  readonly digestedAt: string;
  /** Each entry's id and hash, in chain order: the verifier names the first link that differs. */
  links: Array<[entryId: string, entryHash: string]>;
}

export type ChainBreakKind =
  | 'entry-changed'
  | 'entry-missing'
  | 'entry-added'
  | 'head-mismatch'
  | 'digest-missing'
  | 'table-digest-mismatch';

/** The first link of a tenant's chain that does not hold. */
export interface ChainBreak {
  readonly day: string;
  readonly kind: ChainBreakKind;
  /** The entry at the break (absent for a whole-day break). */
  readonly entryId?: string | undefined;
  /** What the anchored digest says. */
  readonly expected: string;
  /** What the table holds now. */
  readonly found: string;
}

/**
 * Compares a day's recomputed chain with its anchored digest; the first link that differs, or
 * undefined when the day holds.
 */
export function compareDay(chain: DayChain, digest: DayDigest): ChainBreak | undefined {
  const { day } = chain;
  const length = Math.max(chain.links.length, digest.links.length);
  for (let index = 0; index < length; index++) {
    const found = chain.links[index];
    const expected = digest.links[index];
    if (!expected && found) {
      return { day, kind: 'entry-added', entryId: found.entryId, expected: '(none)', found: found.entryHash };
    }
    if (expected && !found) {
      return { day, kind: 'entry-missing', entryId: expected[0], expected: expected[1], found: '(none)' };
    }
    if (!expected || !found) continue;
    if (expected[0] !== found.entryId) {
      // An entry id the digest does not have at this place: one was removed or slipped in before it.
      const kind = digest.links.some(([id]) => id === found.entryId) ? 'entry-missing' : 'entry-added';
      return kind === 'entry-missing'
        ? { day, kind, entryId: expected[0], expected: expected[1], found: '(none)' }
        : { day, kind, entryId: found.entryId, expected: '(none)', found: found.entryHash };
    }
    if (expected[1] !== found.entryHash) {
      return {
        day,
        kind: 'entry-changed',
        entryId: found.entryId,
        expected: expected[1],
        found: found.entryHash,
      };
    }
  }
  if (chain.head !== digest.head) {
    return { day, kind: 'head-mismatch', expected: digest.head, found: chain.head };
  }
  return undefined;
}

/** The UTC day (YYYY-MM-DD) of an instant. */
export const utcDayOf = (at: Date | string): string => new Date(at).toISOString().slice(0, 10);

/** The day `offset` days after `day` (negative: before). */
export function addDays(day: string, offset: number): string {
  return new Date(Date.parse(`${day}T00:00:00.000Z`) + offset * 86_400_000).toISOString().slice(0, 10);
}
