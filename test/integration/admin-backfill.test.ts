import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backfillSearchIndex } from '#shared/admin/search-backfill.ts';
import { keys } from '#shared/db/keys.ts';
import { newId } from '#shared/ids.ts';
import {
  api,
  createTestStack,
  type LocalServer,
  signUpOperator,
  startTestServer,
  type TestOperator,
  type TestStack,
} from '../support/harness.ts';

/**
 * `npm run admin:backfill`: tenants, memberships and platform audit entries written before the
 * search index existed (seeded here as they were stored then) become searchable.
 */

let stack: TestStack;
let server: LocalServer;
let support: TestOperator;
const tenantId = newId();
const ownerId = '0c7d5a7e-1f0e-4c3a-9a56-6c5e2f1d0b11';
const memberId = '1d8e6b8f-2a1f-4d4b-8b67-7d6f3a2e1c22';
const at = '2026-06-01T10:00:00.000Z';

async function put(item: Record<string, unknown>) {
  await stack.db.send(new PutCommand({ TableName: stack.tableName, Item: item }));
}

beforeAll(async () => {
  stack = await createTestStack();
  server = await startTestServer(stack);
  support = await signUpOperator(stack, ['support']);
  const tenant = { tenantId, name: 'Legacy Holdings', slug: 'legacy-holdings', status: 'active' };
  await put({
    ...keys.tenant(tenantId),
    type: 'tenant',
    ...tenant,
    createdAt: at,
    updatedAt: at,
    createdBy: ownerId,
    ownerCount: 1,
  });
  await put({ ...keys.tenantSlug(tenant.slug), type: 'tenant-slug', tenantId });
  for (const [userId, email, role] of [
    [ownerId, 'old-owner@example.com', 'owner'],
    [memberId, 'old-member@example.com', 'member'],
  ] as const) {
    await put({
      ...keys.member(tenantId, userId),
      type: 'member',
      tenantId,
      userId,
      email,
      role,
      status: 'active',
      joinedAt: at,
      updatedAt: at,
    });
  }
  await put({
    ...keys.platformAuditEntry(at, 'legacyentry'),
    type: 'platform-audit',
    entryId: 'legacyentry',
    at,
    operatorId: support.userId,
    action: 'billing.refund-created',
    target: { type: 'charge', id: 'ch_legacy', tenantId },
    tenantId,
    before: null,
    after: null,
    reason: 'Old refund',
    requestId: 'req-legacy',
    sourceIp: '203.0.113.1',
  });
});
afterAll(() => server.close());

describe('the search backfill', () => {
  it('makes existing tenants, users and platform audit entries findable, and is safe to run twice', async () => {
    const client = api(server, support.accessToken);
    expect((await client.get('/admin/tenants?q=legacy')).body.items).toEqual([]);

    await backfillSearchIndex({ client: stack.db, tableName: stack.tableName });
    const again = await backfillSearchIndex({ client: stack.db, tableName: stack.tableName });
    expect(again).toEqual({ searchEntries: 3, profiles: 2, auditEntries: 1 });

    const byName = await client.get('/admin/tenants?q=legacy');
    expect(byName.body.items.map((m: { matchedOn: string }) => m.matchedOn).sort()).toEqual(['name', 'slug']);
    expect((await client.get('/admin/tenants?q=old-owner')).body.items).toEqual([
      expect.objectContaining({ tenantId, matchedOn: 'ownerEmail' }),
    ]);
    expect((await client.get('/admin/tenants?q=old-member')).body.items).toEqual([]);
    expect((await client.get('/admin/users?q=old-member')).body.items).toEqual([
      expect.objectContaining({ userId: memberId, email: 'old-member@example.com' }),
    ]);
    expect((await client.get(`/admin/audit-log?tenantId=${tenantId}`)).body.items).toEqual([
      expect.objectContaining({ entryId: 'legacyentry', reason: 'Old refund' }),
    ]);
  });
});
