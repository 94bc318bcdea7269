import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { AuditEntry } from '#shared/audit/audit.schema.ts';
import {
  canonicalJson,
  chainDay,
  compareDay,
  type DayDigest,
  entryHashOf,
  genesisHash,
  personalFieldsOf,
  personalHashOf,
} from '#shared/audit/audit-chain.ts';
import { daysBetween } from '#shared/audit/audit-verify.ts';

const sha = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

function entry(entryId: string, overrides: Partial<AuditEntry> = {}): AuditEntry {
  return {
    entryId,
    tenantId: 't1',
    at: '2026-12-01T10:00:00.000Z',
    actor: { userId: 'u1', email: 'ada@example.com' },
    action: 'project.created',
    target: { type: 'project', id: 'p1' },
    before: null,
    after: { name: 'Apollo' },
    requestId: 'r1',
    sourceIp: '203.0.113.9',
    ...overrides,
  };
}

function digestOf(tenantId: string, day: string, entries: AuditEntry[]): DayDigest {
  const chain = chainDay(tenantId, day, entries);
  return {
    algorithm: 'plinth-audit-chain/v1',
    tenantId,
    day,
    revision: 1,
    entryCount: chain.links.length,
    genesis: chain.genesis,
    head: chain.head,
    digestedAt: '2026-12-02T01:00:00.000Z',
    links: chain.links.map((link): [string, string] => [link.entryId, link.entryHash]),
  };
}

describe('canonical JSON', () => {
  it('sorts object keys at every depth and writes no whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, 'x'], c: null } })).toBe('{"a":{"c":null,"d":[1,"x"]},"b":1}');
  });

  it('leaves out members whose value is undefined', () => {
    expect(canonicalJson({ a: undefined, b: 'x' })).toBe('{"b":"x"}');
  });

  it('does not depend on the order the keys were written in', () => {
    expect(canonicalJson({ x: 1, y: { q: 2, p: 3 } })).toBe(canonicalJson({ y: { p: 3, q: 2 }, x: 1 }));
  });
});

describe('audit chain hashes', () => {
  it('starts each tenant-day from the hash of the version, tenant and day', () => {
    expect(genesisHash('t1', '2026-12-01')).toBe(sha('plinth-audit-chain/v1|t1|2026-12-01'));
  });

  it('hashes an entry as documented in the README', () => {
    const e = entry('e1');
    const personalHash = sha(
      '{"actorEmail":"ada@example.com","actorUserId":"u1","after":{"name":"Apollo"},"before":null,"sourceIp":"203.0.113.9","targetId":"p1"}',
    );
    const expected = sha(
      `{"action":"project.created","at":"2026-12-01T10:00:00.000Z","entryId":"e1","personalHash":"${personalHash}","previousHash":"abc","requestId":"r1","targetType":"project","tenantId":"t1","v":1}`,
    );
    expect(entryHashOf(e, 'abc')).toBe(expected);
  });

  it('chains each entry to the previous entry hash', () => {
    const chain = chainDay('t1', '2026-12-01', [entry('e1'), entry('e2')]);
    expect(chain.links[1]?.entryHash).toBe(entryHashOf(entry('e2'), chain.links[0]?.entryHash ?? ''));
    expect(chain.head).toBe(chain.links[1]?.entryHash);
  });

  it('keeps the entry hash when personal fields are replaced and the original personal hash is kept', () => {
    const original = entry('e1');
    const pseudonymised = {
      ...entry('e1', {
        actor: { userId: 'erased-7f3a', email: 'erased-7f3a@erased.invalid' },
        sourceIp: '0.0.0.0',
        after: { name: '(erased)' },
      }),
      personalHash: personalHashOf(original),
    };
    expect(entryHashOf(pseudonymised, 'x')).toBe(entryHashOf(original, 'x'));
  });

  it('changes the entry hash when a personal field changes without a recorded personal hash', () => {
    expect(entryHashOf(entry('e1', { sourceIp: '198.51.100.1' }), 'x')).not.toBe(
      entryHashOf(entry('e1'), 'x'),
    );
  });

  it('names the fields an erasure may replace', () => {
    expect(Object.keys(personalFieldsOf(entry('e1'))).sort()).toEqual([
      'actorEmail',
      'actorUserId',
      'after',
      'before',
      'reason',
      'sourceIp',
      'targetId',
    ]);
  });
});

describe('comparing a day with its digest', () => {
  const entries = [entry('e1'), entry('e2'), entry('e3')];
  const digest = digestOf('t1', '2026-12-01', entries);

  it('finds nothing when the entries are those digested', () => {
    expect(compareDay(chainDay('t1', '2026-12-01', entries), digest)).toBeUndefined();
  });

  it('names the first changed entry with its anchored and current hashes', () => {
    const changed = [entry('e1'), entry('e2', { action: 'project.deleted' }), entry('e3')];
    const chain = chainDay('t1', '2026-12-01', changed);
    expect(compareDay(chain, digest)).toEqual({
      day: '2026-12-01',
      kind: 'entry-changed',
      entryId: 'e2',
      expected: digest.links[1]?.[1],
      found: chain.links[1]?.entryHash,
    });
  });

  it('names a removed entry', () => {
    const broken = compareDay(chainDay('t1', '2026-12-01', [entry('e1'), entry('e3')]), digest);
    expect(broken).toMatchObject({ kind: 'entry-missing', entryId: 'e2' });
  });

  it('names an entry that was not digested', () => {
    const broken = compareDay(chainDay('t1', '2026-12-01', [...entries, entry('e4')]), digest);
    expect(broken).toMatchObject({ kind: 'entry-added', entryId: 'e4' });
  });

  it('names an entry slipped in between digested ones', () => {
    const broken = compareDay(
      chainDay('t1', '2026-12-01', [entry('e1'), entry('e1b'), entry('e2'), entry('e3')]),
      digest,
    );
    expect(broken).toMatchObject({ kind: 'entry-added', entryId: 'e1b' });
  });
});

describe('day ranges', () => {
  it('lists the days of a range across a month end, both ends included', () => {
    expect(daysBetween('2026-11-29', '2026-12-02')).toEqual([
      '2026-11-29',
      '2026-11-30',
      '2026-12-01',
      '2026-12-02',
    ]);
  });
});
