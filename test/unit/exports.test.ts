import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { fileBaseOf, renderReadme } from '#shared/exports/export-readme.ts';
import {
  fileOf,
  kindOfSortKey,
  MAX_NPS_MONTHS,
  monthsBetween,
  userExportPlan,
} from '#shared/exports/export-sources.ts';
import { exportArchiveKey, exportChunkKey } from '#shared/exports/export-storage.ts';
import { readTar, TAR_END, tarEntry, tarHeader } from '#shared/exports/tar.ts';
import { routes } from '#shared/http/routes.ts';
import { impersonationPolicy } from '#shared/impersonation/route-policy.ts';
import { hasPermission } from '#shared/tenancy/permissions.ts';

const mtime = new Date('2026-12-03T10:00:00Z');

function archiveOf(files: Record<string, string>): Buffer {
  const parts = Object.entries(files).flatMap(([path, text]) => tarEntry(path, Buffer.from(text), { mtime }));
  return Buffer.concat([...parts, TAR_END]);
}

describe('the tar writer', () => {
  it('writes files that read back with their paths, contents and time', () => {
    const archive = archiveOf({ 'root/a.json': '[1,2]', 'root/README.md': '# Hello ✓\n' });
    expect(archive.length % 512).toBe(0);
    expect(readTar(archive).map((f) => [f.path, f.content.toString('utf8'), f.mtime.toISOString()])).toEqual([
      ['root/a.json', '[1,2]', mtime.toISOString()],
      ['root/README.md', '# Hello ✓\n', mtime.toISOString()],
    ]);
  });

  it('pads each file to 512-byte blocks', () => {
    const [header, content, padding] = tarEntry('f', Buffer.alloc(513), { mtime });
    expect([header?.length, content?.length, padding?.length]).toEqual([512, 513, 511]);
  });

  it('splits a path longer than 100 bytes into prefix and name', () => {
    const path = `${'folder/'.repeat(20)}file.json`;
    expect(readTar(archiveOf({ [path]: 'x' }))[0]?.path).toBe(path);
  });

  it('refuses absolute paths and parent segments', () => {
    expect(() => tarHeader('/etc/passwd', 1, { mtime })).toThrow(RangeError);
    expect(() => tarHeader('a/../b', 1, { mtime })).toThrow(RangeError);
  });

  it('detects a corrupted header', () => {
    const archive = archiveOf({ 'a.json': '[]' });
    archive[0] = 'b'.charCodeAt(0);
    expect(() => readTar(archive)).toThrow(/checksum/);
  });

  it('is read by the system tar, also when gzip members are concatenated (one per chunk)', () => {
    const first = gzipSync(Buffer.concat(tarEntry('x/one.json', Buffer.from('[1]'), { mtime })));
    const second = gzipSync(
      Buffer.concat([...tarEntry('x/two.json', Buffer.from('[2]'), { mtime }), TAR_END]),
    );
    const joined = Buffer.concat([first, second]);
    expect(readTar(gunzipSync(joined)).map((f) => f.path)).toEqual(['x/one.json', 'x/two.json']);
    const dir = mkdtempSync(join(tmpdir(), 'plinth-tar-'));
    writeFileSync(join(dir, 'a.tar.gz'), joined);
    execFileSync('tar', ['-xzf', 'a.tar.gz'], { cwd: dir });
    expect(readFileSync(join(dir, 'x', 'two.json'), 'utf8')).toBe('[2]');
  });
});

describe('the archive README', () => {
  const files = [
    'plinth-export-j/profile.json',
    'plinth-export-j/tenants/t1/emails.json',
    'plinth-export-j/tenants/t1/emails.part2.json',
    'plinth-export-j/zzz-new-kind.json',
  ];
  const readme = renderReadme({
    subject: { scope: 'user', userId: 'u1', email: 'u1@example.com' },
    jobId: 'j',
    requestedAt: '2026-12-03T10:00:00.000Z',
    expiresAt: '2026-12-10T10:00:00.000Z',
    files,
    counts: { profile: 2, 'tenants/t1/emails': 7, 'zzz-new-kind': 1 },
    fields: {
      profile: ['kind', 'email'],
      'tenants/t1/emails': ['to', 'subject'],
      'zzz-new-kind': ['mystery'],
    },
    itemsRead: 10,
  });

  it('names every file written, parts included', () => {
    for (const path of files) expect(readme).toContain(`\`${path}\``);
  });

  it('names every field of every kind written, a kind it does not know included', () => {
    expect(readme).toContain('### zzz-new-kind.json');
    expect(readme).toContain('- `mystery`');
    expect(readme).toContain('- `to`: recipients');
    expect(readme).toContain('- `kind`');
  });

  it('says when the export expires and how many records each file holds', () => {
    expect(readme).toContain('2026-12-10T10:00:00.000Z');
    expect(readme).toContain('Records: 7.');
  });

  it('reads a file base from a part path', () => {
    expect(fileBaseOf('root/tenants/t1/emails.part12.json')).toBe('tenants/t1/emails');
  });
});

describe('what an export reads', () => {
  it('groups a tenant partition by the sort key up to its first #', () => {
    expect(kindOfSortKey('AUDIT#2026-12-03T10:00:00Z#id')).toBe('AUDIT');
    expect(kindOfSortKey('BILLING')).toBe('BILLING');
    expect(fileOf({ source: 'tenant-partition', tenantId: 't' }, { sk: 'SUPPORT_MSG#x#000001' })).toBe(
      'support-msg',
    );
  });

  it("puts a user's per-tenant records under their tenant's folder", () => {
    expect(fileOf({ source: 'emails', tenantId: 't9' }, {})).toBe('tenants/t9/emails');
    expect(userExportPlan(['a', 'b'], []).filter((step) => step.source === 'audit-as-target')).toHaveLength(
      2,
    );
  });

  it('reads the NPS months from the first membership to now, at most five years', () => {
    expect(monthsBetween(new Date('2026-10-15'), new Date('2026-12-03'))).toEqual([
      '2026-10',
      '2026-11',
      '2026-12',
    ]);
    const months = monthsBetween(new Date('2000-01-01'), new Date('2026-12-03'));
    expect(months).toHaveLength(MAX_NPS_MONTHS);
    expect(months.at(-1)).toBe('2026-12');
  });

  it('keeps every object of an export under the prefix erasure deletes', () => {
    expect(exportArchiveKey('user', 'u1', 'j1')).toBe('users/u1/j1.tar.gz');
    expect(exportArchiveKey('tenant', 't1', 'j1')).toBe('tenants/t1/j1.tar.gz');
    expect(exportChunkKey('tenant', 't1', 'j1', 3, 'lease')).toMatch(/^tenants\/t1\//);
  });
});

describe('who may export', () => {
  it('is owners only among the roles', () => {
    expect(
      ['owner', 'admin', 'manager', 'member'].filter((role) => hasPermission(role as never, 'tenant:export')),
    ).toEqual(['owner']);
  });

  it('is never under impersonation', () => {
    for (const name of [
      'requestMyExport',
      'getMyExport',
      'requestTenantExport',
      'getTenantExport',
    ] as const) {
      expect(impersonationPolicy(routes[name])).toBe('never');
    }
  });
});
