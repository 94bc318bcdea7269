import { randomUUID } from 'node:crypto';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectVersionsCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { DeleteCommand, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDigestArchiveFromEnv } from '#shared/audit/audit.env.ts';
import { auditStep } from '#shared/audit/audit.writer.ts';
import { chainDay, type DayDigest } from '#shared/audit/audit-chain.ts';
import { readDayEntries, runAuditDigest } from '#shared/audit/audit-digest.ts';
import { type runScheduledVerify, verifyTenantChain } from '#shared/audit/audit-verify.ts';
import { type DigestArchive, digestKey } from '#shared/audit/digest-archive.ts';
import type { Db } from '#shared/db/client.ts';
import { keys } from '#shared/db/keys.ts';
import { transactWrite } from '#shared/db/transact.ts';
import { routes } from '#shared/http/routes.ts';
import { newId } from '#shared/ids.ts';
import { createTenantRepository } from '#shared/tenants/tenants.repository.ts';
import { localClientConfig } from '../../scripts/local/aws.ts';
import { createLambdaContext } from '../../scripts/local/lambda-context.ts';
import { mirrorSubscription } from '../support/billing-state.ts';
import { type ApiHandler, callHandler } from '../support/handler-call.ts';
import { createTestStack, type TestStack } from '../support/harness.ts';
import { startTestRunner, type TestRunner } from '../support/runner.ts';

// Audit entries are written by the real writer (auditStep, in a transaction), marked due by the real
// product-activity consumer (the runner drains the table's stream), digested by the audit-digest
// schedule into moto's S3 bucket with Object Lock, and verified through the audit function.
let stack: TestStack;
let db: Db;
let runner: TestRunner;
let handler: ApiHandler;
let archive: DigestArchive;
let s3: S3Client;

const DAY = '2026-03-01';
const AFTER_DAY = '2026-03-02T01:05:00.000Z';

interface Tenant {
  readonly tenantId: string;
  readonly owner: string;
}

/** A tenant on the Team plan (the audit-log feature) with its owner; `tenant.created` is audited at `at`. */
async function seedTenant(at: string): Promise<Tenant> {
  const tenantId = newId();
  const owner = randomUUID();
  await createTenantRepository(db, { clock: () => new Date(at), newId: () => newId() }).create(
    {
      tenantId,
      name: 'Acme',
      slug: `acme-${tenantId.slice(-8)}`,
      status: 'active',
      createdAt: at,
      updatedAt: at,
      createdBy: owner,
      ownerCount: 1,
    },
    {
      tenantId,
      userId: owner,
      email: 'owner@example.com',
      role: 'owner',
      status: 'active',
      joinedAt: at,
      updatedAt: at,
    },
    {
      actor: { userId: owner },
      request: { requestId: 'seed', sourceIp: '127.0.0.1' },
      action: 'tenant.created',
      target: { type: 'tenant', id: tenantId },
      before: null,
      after: { name: 'Acme' },
    },
  );
  await mirrorSubscription(stack, tenantId, { plan: 'team' });
  return { tenantId, owner };
}

/** One audited change at `at`, written the way every use case writes it. */
async function audit(tenant: Tenant, at: string, action = 'project.created'): Promise<string> {
  const entryId = newId(new Date(at));
  await transactWrite(db, [
    auditStep(
      db,
      {
        tenantId: tenant.tenantId,
        actor: { userId: tenant.owner, email: 'owner@example.com' },
        request: { requestId: randomUUID(), sourceIp: '203.0.113.7' },
        action,
        target: { type: 'project', id: newId() },
        before: null,
        after: { name: 'Apollo' },
      },
      { clock: () => new Date(at), newId: () => entryId },
    ),
  ]);
  return entryId;
}

const verify = (tenant: Tenant, query: Record<string, string>) =>
  callHandler(handler, routes.verifyAuditLog, {
    as: tenant.owner,
    params: { tenantId: tenant.tenantId },
    query,
  });

async function dayState(tenantId: string, day = DAY) {
  const { Item } = await stack.db.send(
    new GetCommand({ TableName: stack.tableName, Key: keys.auditDay(day, tenantId), ConsistentRead: true }),
  );
  return Item;
}

async function digestObject(tenantId: string, revision: number, day = DAY): Promise<DayDigest> {
  const { Body } = await s3.send(
    new GetObjectCommand({ Bucket: stack.auditDigestBucket, Key: digestKey(tenantId, day, revision) }),
  );
  return JSON.parse((await Body?.transformToString()) ?? 'null') as DayDigest;
}

beforeAll(async () => {
  stack = await createTestStack();
  Object.assign(process.env, stack.env);
  db = { client: stack.db, tableName: stack.tableName };
  runner = await startTestRunner(stack);
  ({ handler } = await import('#functions/audit/handler.ts'));
  archive = createDigestArchiveFromEnv(stack.env);
  s3 = new S3Client({ ...localClientConfig(stack), forcePathStyle: true });
});

afterAll(async () => {
  await runner?.stop();
  s3?.destroy();
});

describe('marking tenant-days due', () => {
  it('marks the tenant-day of every audit entry the stream carries as due for the digest', async () => {
    const tenant = await seedTenant(`${DAY}T08:00:00.000Z`);
    await audit(tenant, `${DAY}T09:00:00.000Z`);
    await runner.drain();

    expect(await dayState(tenant.tenantId)).toMatchObject({
      tenantId: tenant.tenantId,
      day: DAY,
      marks: 2,
      gsi1pk: 'AUDIT_DIGEST_DUE',
      gsi1sk: `${DAY}#${tenant.tenantId}`,
    });
  });
});

describe('the daily digest', () => {
  let tenant: Tenant;
  beforeAll(async () => {
    tenant = await seedTenant(`${DAY}T10:00:00.000Z`);
    await audit(tenant, `${DAY}T11:00:00.000Z`);
    await audit(tenant, `${DAY}T23:59:59.999Z`, 'project.deleted');
    await runner.drain();
  });

  it('leaves a day alone until it closed an hour ago', async () => {
    await runAuditDigest({ db, archive }, new Date('2026-03-02T00:30:00.000Z'));
    expect((await dayState(tenant.tenantId))?.revision).toBeUndefined();
  });

  it("writes the day's chain head to the Object Lock bucket and the table, and clears the due mark", async () => {
    await runner.triggerSchedule('audit-digest', AFTER_DAY);

    const chain = chainDay(tenant.tenantId, DAY, await readDayEntries(db, tenant.tenantId, DAY));
    const digest = await digestObject(tenant.tenantId, 1);
    expect(digest).toMatchObject({
      tenantId: tenant.tenantId,
      day: DAY,
      revision: 1,
      entryCount: 3,
      head: chain.head,
    });
    const state = await dayState(tenant.tenantId);
    expect(state).toMatchObject({ revision: 1, head: chain.head, entryCount: 3 });
    expect(state?.gsi1pk).toBeUndefined();
  });

  it('stores the digest locked in compliance mode for the retention of the stage', async () => {
    const { Body, ObjectLockMode, ObjectLockRetainUntilDate } = await s3.send(
      new GetObjectCommand({ Bucket: stack.auditDigestBucket, Key: digestKey(tenant.tenantId, DAY, 1) }),
    );
    await Body?.transformToString();
    expect(ObjectLockMode).toBe('COMPLIANCE');
    expect(ObjectLockRetainUntilDate?.getTime()).toBeGreaterThan(Date.now());
  });

  it('refuses to delete a locked digest', async () => {
    const key = digestKey(tenant.tenantId, DAY, 1);
    const { Versions = [] } = await s3.send(
      new ListObjectVersionsCommand({ Bucket: stack.auditDigestBucket, Prefix: key }),
    );
    const versionId = Versions[0]?.VersionId;
    expect(versionId).toBeDefined();
    await expect(
      s3.send(new DeleteObjectCommand({ Bucket: stack.auditDigestBucket, Key: key, VersionId: versionId })),
    ).rejects.toMatchObject({ name: 'AccessDenied' });
    expect((await digestObject(tenant.tenantId, 1)).revision).toBe(1);
  });

  it('writes nothing new when run again with no new entries', async () => {
    await runner.triggerSchedule('audit-digest', '2026-03-02T02:05:00.000Z');
    expect((await dayState(tenant.tenantId))?.revision).toBe(1);
  });
});

describe('verifying the chain', () => {
  let tenant: Tenant;
  let entryIds: string[];
  beforeAll(async () => {
    tenant = await seedTenant(`${DAY}T12:00:00.000Z`);
    entryIds = [
      await audit(tenant, `${DAY}T12:01:00.000Z`),
      await audit(tenant, `${DAY}T12:02:00.000Z`),
      await audit(tenant, `${DAY}T12:03:00.000Z`),
    ];
    await runner.drain();
    await runner.triggerSchedule('audit-digest', AFTER_DAY);
  });

  it('reports ok for an untouched log', async () => {
    const response = await verify(tenant, { from: DAY, to: '2026-03-02' });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ ok: true, daysVerified: 1, entriesVerified: 4, pendingDays: [] });
  });

  it('names the entry an edit made directly in the table, with the anchored and current hashes', async () => {
    const target = await stack.db.send(
      new GetCommand({
        TableName: stack.tableName,
        Key: { pk: `TENANT#${tenant.tenantId}`, sk: `AUDIT#${DAY}T12:02:00.000Z#${entryIds[1]}` },
      }),
    );
    expect(target.Item).toBeDefined();
    await stack.db.send(
      new UpdateCommand({
        TableName: stack.tableName,
        Key: { pk: target.Item?.pk, sk: target.Item?.sk },
        UpdateExpression: 'SET #action = :action',
        ExpressionAttributeNames: { '#action': 'action' },
        ExpressionAttributeValues: { ':action': 'project.renamed' },
      }),
    );

    const response = await verify(tenant, { from: DAY, to: DAY });
    const digest = await digestObject(tenant.tenantId, 1);
    expect(response.body).toMatchObject({
      ok: false,
      firstBreak: { day: DAY, kind: 'entry-changed', entryId: entryIds[1], expected: digest.links[2]?.[1] },
    });
    expect((response.body as { firstBreak: { found: string } }).firstBreak.found).not.toBe(
      digest.links[2]?.[1],
    );
  });

  it('finds the break in its scheduled run too', async () => {
    const { handler: scheduled } = await import('#functions/audit-verify/handler.ts');
    const result = (await scheduled(
      { time: '2026-03-03T02:00:00.000Z' },
      createLambdaContext('audit-verify', { region: stack.region, timeoutMs: 60_000, memoryMb: 512 }),
    )) as Awaited<ReturnType<typeof runScheduledVerify>>;
    expect(result.broken).toContainEqual({
      tenantId: tenant.tenantId,
      firstBreak: expect.objectContaining({ kind: 'entry-changed', entryId: entryIds[1] }),
    });
  });

  it('names an entry deleted from the table', async () => {
    const other = await seedTenant(`${DAY}T13:00:00.000Z`);
    const gone = await audit(other, `${DAY}T13:01:00.000Z`);
    await runner.drain();
    await runner.triggerSchedule('audit-digest', AFTER_DAY);
    await stack.db.send(
      new DeleteCommand({
        TableName: stack.tableName,
        Key: { pk: `TENANT#${other.tenantId}`, sk: `AUDIT#${DAY}T13:01:00.000Z#${gone}` },
      }),
    );

    const response = await verify(other, { from: DAY, to: DAY });
    expect(response.body).toMatchObject({ ok: false, firstBreak: { kind: 'entry-missing', entryId: gone } });
  });

  it('reports a table digest that no longer matches the Object Lock copy', async () => {
    const other = await seedTenant(`${DAY}T14:00:00.000Z`);
    await runner.drain();
    await runner.triggerSchedule('audit-digest', AFTER_DAY);
    await stack.db.send(
      new UpdateCommand({
        TableName: stack.tableName,
        Key: keys.auditDay(DAY, other.tenantId),
        UpdateExpression: 'SET head = :head',
        ExpressionAttributeValues: { ':head': 'f'.repeat(64) },
      }),
    );

    const response = await verify(other, { from: DAY, to: DAY });
    expect(response.body).toMatchObject({
      ok: false,
      firstBreak: { kind: 'table-digest-mismatch', found: 'f'.repeat(64) },
    });
  });

  it('reports a closed day with entries but no digest', async () => {
    const other = await seedTenant('2026-02-10T10:00:00.000Z');
    // The entry never reached the stream consumer (its mark removed), so no digest exists.
    await stack.db.send(
      new DeleteCommand({ TableName: stack.tableName, Key: keys.auditDay('2026-02-10', other.tenantId) }),
    );

    const response = await verify(other, { from: '2026-02-10', to: '2026-02-10' });
    expect(response.body).toMatchObject({
      ok: false,
      firstBreak: { day: '2026-02-10', kind: 'digest-missing' },
    });
  });

  it('refuses a from more than 31 days before today when to is left out, with a field error', async () => {
    const response = await verify(tenant, { from: '2026-01-01' });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ errors: [expect.objectContaining({ field: 'query.from' })] });
  });

  it('refuses a range longer than 31 days with a field error', async () => {
    const response = await verify(tenant, { from: '2026-01-01', to: '2026-03-01' });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ errors: [expect.objectContaining({ field: 'query.to' })] });
  });
});

describe('a late entry', () => {
  let tenant: Tenant;
  beforeAll(async () => {
    tenant = await seedTenant(`${DAY}T15:00:00.000Z`);
    await runner.drain();
    await runner.triggerSchedule('audit-digest', AFTER_DAY);
    // Written after the digest, stamped with the day's time (a writer whose clock lags).
    await audit(tenant, `${DAY}T23:59:59.000Z`);
    await runner.drain();
  });

  it('makes its day due again', async () => {
    expect((await dayState(tenant.tenantId))?.gsi1pk).toBe('AUDIT_DIGEST_DUE');
  });

  it('is pending, not a break, until the next run digests it', async () => {
    const result = await verifyTenantChain(
      { db, archive },
      tenant.tenantId,
      { from: DAY, to: DAY },
      new Date('2026-03-02T01:30:00.000Z'),
    );
    expect(result).toMatchObject({ ok: true, pendingDays: [DAY] });
  });

  it('is digested by the next run as a new revision beside the first, and counted as revised', async () => {
    const result = await runAuditDigest({ db, archive }, new Date('2026-03-02T02:05:00.000Z'));
    expect(result.revised).toContainEqual({ tenantId: tenant.tenantId, day: DAY, revision: 2 });
    expect((await digestObject(tenant.tenantId, 1)).entryCount).toBe(1);
    expect((await digestObject(tenant.tenantId, 2)).entryCount).toBe(2);
    const verification = await verifyTenantChain(
      { db, archive },
      tenant.tenantId,
      { from: DAY, to: DAY },
      new Date(),
    );
    expect(verification).toMatchObject({ ok: true, daysVerified: 1, entriesVerified: 2 });
  });
});

describe('a mark that moves while the day is digested', () => {
  it('keeps the day due, so the next run takes the new entry in', async () => {
    const tenant = await seedTenant('2026-03-05T10:00:00.000Z');
    await runner.drain();
    // A mark made between the digest's read of the state and its clearing: simulated by a mark
    // arriving after the digest read marks = 1 (the conditional clear must then fail).
    await stack.db.send(
      new UpdateCommand({
        TableName: stack.tableName,
        Key: keys.auditDay('2026-03-05', tenant.tenantId),
        UpdateExpression: 'ADD marks :one',
        ExpressionAttributeValues: { ':one': 1 },
      }),
    );
    const racing: DigestArchive = {
      latest: archive.latest,
      put: async (digest) => {
        await archive.put(digest);
        await stack.db.send(
          new UpdateCommand({
            TableName: stack.tableName,
            Key: keys.auditDay('2026-03-05', tenant.tenantId),
            UpdateExpression: 'ADD marks :one',
            ExpressionAttributeValues: { ':one': 1 },
          }),
        );
      },
    };

    const result = await runAuditDigest({ db, archive: racing }, new Date('2026-03-06T01:05:00.000Z'));
    expect(result.deferred).toBeGreaterThanOrEqual(1);
    expect((await dayState(tenant.tenantId, '2026-03-05'))?.gsi1pk).toBe('AUDIT_DIGEST_DUE');
  });
});

describe('the export', () => {
  it("returns the entries with their hashes and the day's anchored digest, whose head the last hash is", async () => {
    const tenant = await seedTenant('2026-03-07T10:00:00.000Z');
    await audit(tenant, '2026-03-07T10:05:00.000Z');
    await runner.drain();
    await runner.triggerSchedule('audit-digest', '2026-03-08T01:05:00.000Z');

    const response = await callHandler(handler, routes.exportAuditLog, {
      as: tenant.owner,
      params: { tenantId: tenant.tenantId },
      query: { from: '2026-03-07', to: '2026-03-07' },
    });
    expect(response.status).toBe(200);
    const body = response.body as {
      days: { day: string; digest: DayDigest; entries: { entryHash: string; previousHash: string }[] }[];
    };
    expect(body.days).toHaveLength(1);
    const [day] = body.days;
    expect(day?.entries).toHaveLength(2);
    expect(day?.entries[1]?.previousHash).toBe(day?.entries[0]?.entryHash);
    expect(day?.entries.at(-1)?.entryHash).toBe(day?.digest.head);
  });

  it('refuses a from after to with a field error', async () => {
    const tenant = await seedTenant('2026-03-07T11:00:00.000Z');
    const response = await callHandler(handler, routes.exportAuditLog, {
      as: tenant.owner,
      params: { tenantId: tenant.tenantId },
      query: { from: '2026-03-08', to: '2026-03-07' },
    });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ errors: [expect.objectContaining({ field: 'query.from' })] });
  });
});
