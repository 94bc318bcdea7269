import { createHash } from 'node:crypto';
import { QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mirrorSubscription } from '../support/billing-state.ts';
import {
  api,
  createTestStack,
  type LocalServer,
  signUpUser,
  startTestServer,
  type TestStack,
  type TestUser,
} from '../support/harness.ts';
import { startTestRunner, type TestRunner } from '../support/runner.ts';

/**
 * The tamper-evident audit log over HTTP: changes audited through the API, the stream consumer
 * marks the day, the audit-digest schedule anchors it in moto's Object Lock bucket, and the verify
 * and export routes answer; the export is checked by an independent implementation of the
 * algorithm the README documents (below, using nothing of Plinth's code).
 */

let stack: TestStack;
let server: LocalServer;
let runner: TestRunner;
let owner: TestUser;
let outsider: TestUser;
let tenantId: string;
const today = new Date().toISOString().slice(0, 10);
const tomorrowAfterMargin = new Date(
  Date.parse(`${today}T00:00:00.000Z`) + 25 * 3_600_000 + 300_000,
).toISOString();

// --- the README's algorithm, written from the README alone -----------------------------------
const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
function canonical(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  const record = value as Record<string, unknown>;
  return `{${Object.keys(record)
    .filter((key) => record[key] !== undefined)
    .sort()
    .map((key) => `${JSON.stringify(key)}:${canonical(record[key])}`)
    .join(',')}}`;
}
interface ExportedEntry {
  entry: {
    entryId: string;
    tenantId: string;
    at: string;
    action: string;
    actor: { userId: string; email?: string; kind?: string };
    target: { type: string; id: string };
    before: unknown;
    after: unknown;
    requestId: string;
    sourceIp: string;
    reason?: string;
    impersonatedBy?: unknown;
    personalHash?: string;
  };
  entryHash: string;
}
function recomputeHead(tenant: string, day: string, entries: ExportedEntry[]): string {
  let previousHash = sha256(`plinth-audit-chain/v1|${tenant}|${day}`);
  for (const { entry } of entries) {
    const personalHash =
      entry.personalHash ??
      sha256(
        canonical({
          actorUserId: entry.actor.userId,
          actorEmail: entry.actor.email,
          targetId: entry.target.id,
          before: entry.before,
          after: entry.after,
          sourceIp: entry.sourceIp,
          reason: entry.reason,
        }),
      );
    previousHash = sha256(
      canonical({
        v: 1,
        entryId: entry.entryId,
        tenantId: entry.tenantId,
        at: entry.at,
        action: entry.action,
        actorKind: entry.actor.kind,
        targetType: entry.target.type,
        requestId: entry.requestId,
        impersonatedBy: entry.impersonatedBy,
        personalHash,
        previousHash,
      }),
    );
  }
  return previousHash;
}

beforeAll(async () => {
  stack = await createTestStack();
  server = await startTestServer(stack);
  runner = await startTestRunner(stack);
  [owner, outsider] = await Promise.all([signUpUser(stack), signUpUser(stack)]);
  const created = await api(server, owner.accessToken).post('/v1/tenants', {
    name: 'Ledger',
    slug: 'ledger',
  });
  tenantId = created.body.tenantId;
  await mirrorSubscription(stack, tenantId, { plan: 'team' });
  await api(server, owner.accessToken).post(`/v1/tenants/${tenantId}/projects`, {
    name: 'Apollo',
    slug: 'apollo',
  });
  await api(server, owner.accessToken).post(`/v1/tenants/${tenantId}/projects`, {
    name: 'Gemini',
    slug: 'gemini',
  });
  await runner.drain();
  await runner.triggerSchedule('audit-digest', tomorrowAfterMargin);
});
afterAll(async () => {
  await runner?.stop();
  await server?.close();
});

describe('GET /v1/tenants/{tenantId}/audit-log/export', () => {
  it('gives an auditor what recomputes to the anchored digest without Plinth', async () => {
    const response = await api(server, owner.accessToken).get(
      `/v1/tenants/${tenantId}/audit-log/export?from=${today}&to=${today}`,
    );
    expect(response.status).toBe(200);
    const [day] = response.body.days as { day: string; digest: { head: string }; entries: ExportedEntry[] }[];
    expect(day?.entries.length).toBeGreaterThanOrEqual(3);
    expect(recomputeHead(tenantId, today, day?.entries ?? [])).toBe(day?.digest.head);
  });

  it('answers 404 to a signed-in user who is not a member, so the tenant id does not leak', async () => {
    const response = await api(server, outsider.accessToken).get(`/v1/tenants/${tenantId}/audit-log/export`);
    expect(response.status).toBe(404);
  });
});

describe('GET /v1/tenants/{tenantId}/audit-log/verify', () => {
  it('reports the untouched log as ok', async () => {
    const response = await api(server, owner.accessToken).get(`/v1/tenants/${tenantId}/audit-log/verify`);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ ok: true, daysVerified: 1, to: today });
  });

  it('reports the first broken link after an entry is edited directly in the table', async () => {
    const { Items = [] } = await stack.db.send(
      new QueryCommand({
        TableName: stack.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :audit)',
        ExpressionAttributeValues: { ':pk': `TENANT#${tenantId}`, ':audit': 'AUDIT#' },
      }),
    );
    const edited = Items.find((item) => item.action === 'project.created');
    if (!edited) throw new Error('no project.created entry');
    await stack.db.send(
      new UpdateCommand({
        TableName: stack.tableName,
        Key: { pk: edited.pk, sk: edited.sk },
        UpdateExpression: 'SET #after = :after',
        ExpressionAttributeNames: { '#after': 'after' },
        ExpressionAttributeValues: { ':after': { name: 'Not Apollo' } },
      }),
    );

    const response = await api(server, owner.accessToken).get(
      `/v1/tenants/${tenantId}/audit-log/verify?from=${today}&to=${today}`,
    );
    expect(response.body).toMatchObject({
      ok: false,
      firstBreak: { day: today, kind: 'entry-changed', entryId: edited.entryId },
    });
  });

  it('answers 400 with a field error for a malformed day', async () => {
    const response = await api(server, owner.accessToken).get(
      `/v1/tenants/${tenantId}/audit-log/verify?from=yesterday`,
    );
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([expect.objectContaining({ field: 'query.from' })]);
  });
});
