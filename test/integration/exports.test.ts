import { gunzipSync } from 'node:zlib';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { GetBucketLifecycleConfigurationCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { entryHashOf, genesisHash } from '#shared/audit/audit-chain.ts';
import type { Db } from '#shared/db/client.ts';
import { keys } from '#shared/db/keys.ts';
import { createEventPutter } from '#shared/events/put-events.ts';
import type { ChunkLimits } from '#shared/exports/export-archive.ts';
import {
  EXPORT_REQUESTED,
  type ExportRequestedDetail,
  exportQueueOf,
  exportRequestedDetail,
} from '#shared/exports/export-events.ts';
import { createExportJobRepository, type ExportJobRecord } from '#shared/exports/export-jobs.repository.ts';
import { fileBaseOf } from '#shared/exports/export-readme.ts';
import { createS3ExportStorage, type ExportStorage } from '#shared/exports/export-storage.ts';
import { createExportWorker } from '#shared/exports/export-worker.ts';
import { readTar } from '#shared/exports/tar.ts';
import { newId } from '#shared/ids.ts';
import { createSesMailSender } from '#shared/mail/mail-sender.ts';
import { localClientConfig } from '../../scripts/local/aws.ts';
import {
  api,
  createTestStack,
  type LocalServer,
  readSentEmails,
  signUpUser,
  startTestServer,
  type TestStack,
  type TestUser,
} from '../support/harness.ts';
import { startTestRunner, type TestRunner } from '../support/runner.ts';

/**
 * The export worker against moto (DynamoDB, S3, EventBridge, SES): it writes a real tar.gz that is
 * downloaded through the presigned link the API hands out, resumes from its cursor when its time is
 * forced to nothing, does nothing twice under a redelivered event, and keeps its expiry fields.
 */

let stack: TestStack;
let server: LocalServer;
let runner: TestRunner;
let owner: TestUser;
let member: TestUser;
let outsider: TestUser;
let tenantId: string;
let otherTenantId: string;
let db: Db;
let s3: S3Client;
let storage: ExportStorage;

const roomy: ChunkLimits = { pageSize: 100, maxFileRecords: 5_000, maxFileBytes: 4 * 1024 * 1024 };

function workerWith(options: { limits?: ChunkLimits; storage?: ExportStorage } = {}) {
  return createExportWorker({
    db,
    jobs: createExportJobRepository(db),
    storage: options.storage ?? storage,
    queue: exportQueueOf(
      createEventPutter(new EventBridgeClient(localClientConfig(stack))),
      stack.eventBusName,
    ),
    mailer: createSesMailSender(new SESv2Client(localClientConfig(stack)), stack.mailFrom, {
      db,
      clock: () => new Date(),
      newId: () => newId(),
    }),
    clock: () => new Date(),
    newId: () => newId(),
    limits: options.limits ?? roomy,
    leaseSeconds: 900,
    appUrl: 'https://app.plinth.test',
  });
}

const plenty = () => 60_000;
const none = () => 0;

/** The detail of the request event the API put on the bus for `jobId` (chunk 0). */
async function requestOf(jobId: string): Promise<ExportRequestedDetail> {
  const published = await runner.published();
  const event = published.find(
    (e) => e['detail-type'] === EXPORT_REQUESTED && (e.detail as { jobId?: string }).jobId === jobId,
  );
  if (!event) throw new Error(`No export request for ${jobId} on the bus`);
  return exportRequestedDetail().parse(event.detail);
}

async function jobItem(scope: 'user' | 'tenant', subjectId: string, jobId: string) {
  const { Item } = await stack.db.send(
    new GetCommand({ TableName: stack.tableName, Key: keys.exportJob(scope, subjectId, jobId) }),
  );
  return Item as (ExportJobRecord & Record<string, unknown>) | undefined;
}

/** Downloads an archive through the link GET hands out, and unpacks it: path → content. */
async function download(path: string, token: string): Promise<Map<string, Buffer>> {
  const status = await api(server, token).get(path);
  expect(status.body.status).toBe('ready');
  const response = await fetch(status.body.download.url);
  expect(response.status).toBe(200);
  const archive = gunzipSync(Buffer.from(await response.arrayBuffer()));
  return new Map(readTar(archive).map((file) => [file.path, file.content]));
}

/** The records of a file base across its parts. */
function recordsOf(files: Map<string, Buffer>, base: string): Record<string, unknown>[] {
  return [...files.entries()]
    .filter(([path]) => path.endsWith('.json') && fileBaseOf(path) === base)
    .flatMap(([, content]) => JSON.parse(content.toString('utf8')) as Record<string, unknown>[]);
}

beforeAll(async () => {
  stack = await createTestStack();
  server = await startTestServer(stack);
  runner = await startTestRunner(stack);
  db = { client: stack.db, tableName: stack.tableName };
  s3 = new S3Client({ ...localClientConfig(stack), forcePathStyle: true });
  storage = createS3ExportStorage({ client: s3, bucket: stack.exportsBucket });
  [owner, member, outsider] = await Promise.all([signUpUser(stack), signUpUser(stack), signUpUser(stack)]);
  const asOwner = api(server, owner.accessToken);
  const asMember = api(server, member.accessToken);
  tenantId = (await asOwner.post('/v1/tenants', { name: 'Acme', slug: 'acme' })).body.tenantId;
  otherTenantId = (
    await api(server, outsider.accessToken).post('/v1/tenants', { name: 'Other', slug: 'other' })
  ).body.tenantId;
  const invitation = await asOwner.post(`/v1/tenants/${tenantId}/invitations`, {
    email: member.email,
    role: 'member',
  });
  await asMember.post(`/v1/invitations/${invitation.body.invitationId}/accept`);
  await asOwner.patch(`/v1/tenants/${tenantId}/members/${member.userId}`, { role: 'manager' });
  // Three: the free plan's limit.
  for (let i = 0; i < 3; i++) {
    await asOwner.post(`/v1/tenants/${tenantId}/projects`, { name: `Project ${i}`, slug: `project-${i}` });
  }
  await asMember.post(`/v1/tenants/${tenantId}/support/tickets`, { subject: 'Help', body: 'My data please' });
  await asMember.post(`/v1/tenants/${tenantId}/nps`, { score: 9, comment: 'Nice' });
  await asMember.post(`/v1/tenants/${tenantId}/events`, {
    events: [{ id: 'evt-1', name: 'report_exported' }],
  });
  // The outsider's tenant has a project and a ticket that no export of Acme or of the member may hold.
  await api(server, outsider.accessToken).post(`/v1/tenants/${otherTenantId}/projects`, {
    name: 'Secret',
    slug: 'secret',
  });
  await runner.drain();
});
afterAll(async () => {
  await runner.stop();
  await server.close();
});

describe('a tenant export', () => {
  let files: Map<string, Buffer>;
  let jobId: string;

  beforeAll(async () => {
    const response = await api(server, owner.accessToken).post(`/v1/tenants/${tenantId}/exports`);
    expect(response.status).toBe(202);
    jobId = response.body.exportId;
    const result = await workerWith().handle(await requestOf(jobId), plenty);
    expect(result.outcome).toBe('ready');
    files = await download(`/v1/tenants/${tenantId}/exports/${jobId}`, owner.accessToken);
  });

  it('holds one JSON file per kind of the tenant and a README, under one folder', () => {
    const root = `plinth-export-${jobId}`;
    expect([...files.keys()].every((path) => path.startsWith(`${root}/`))).toBe(true);
    expect([...files.keys()]).toEqual(
      expect.arrayContaining(
        [
          'tenant',
          'member',
          'project',
          'invitation',
          'audit',
          'support-ticket',
          'support-msg',
          'comm',
          'pevent',
        ].map((kind) => `${root}/${kind}.json`),
      ),
    );
    expect(files.has(`${root}/README.md`)).toBe(true);
  });

  it('holds every project of the tenant and none of another tenant', () => {
    const names = recordsOf(files, 'project').map((project) => project.name);
    expect(names.sort()).toEqual(['Project 0', 'Project 1', 'Project 2']);
    expect([...files.values()].some((content) => content.toString('utf8').includes('Secret'))).toBe(false);
  });

  it('leaves the storage keys out of the records', () => {
    for (const record of recordsOf(files, 'member')) {
      expect(Object.keys(record)).not.toEqual(expect.arrayContaining(['pk']));
      expect(record).not.toHaveProperty('gsi1pk');
    }
  });

  it('carries each audit entry with a hash chain an auditor can recompute', () => {
    const entries = recordsOf(files, 'audit') as (Record<string, unknown> & {
      at: string;
      chain: { previousHash: string; entryHash: string };
    })[];
    expect(entries.length).toBeGreaterThan(3);
    let previous = genesisHash(tenantId, entries[0]?.at.slice(0, 10) ?? '');
    for (const entry of entries) {
      if (entry.chain.previousHash !== previous) previous = genesisHash(tenantId, entry.at.slice(0, 10));
      expect(entry.chain.previousHash).toBe(previous);
      const { chain: _chain, ...stored } = entry;
      expect(entry.chain.entryHash).toBe(entryHashOf(stored as never, previous));
      previous = entry.chain.entryHash;
    }
  });

  it('names every file and every field of every file in its README', () => {
    const readme = (files.get(`plinth-export-${jobId}/README.md`) ?? Buffer.alloc(0)).toString('utf8');
    for (const path of files.keys()) {
      if (!path.endsWith('.json')) continue;
      expect(readme).toContain(`\`${path}\``);
      const section = readme.slice(readme.indexOf(`### ${fileBaseOf(path)}.json`));
      const fields = section.slice(
        0,
        section.indexOf('\n### ') === -1 ? undefined : section.indexOf('\n### '),
      );
      for (const record of JSON.parse((files.get(path) ?? Buffer.alloc(0)).toString('utf8'))) {
        for (const field of Object.keys(record)) expect(fields).toContain(`- \`${field}\``);
      }
    }
  });

  it('stores the archive at tenants/<tenantId>/<jobId>.tar.gz and deletes its chunks', async () => {
    const listed = await s3.send(
      new ListObjectsV2Command({ Bucket: stack.exportsBucket, Prefix: `tenants/${tenantId}/${jobId}` }),
    );
    expect((listed.Contents ?? []).map((object) => object.Key)).toEqual([
      `tenants/${tenantId}/${jobId}.tar.gz`,
    ]);
  });

  it('emails the owner once, recorded in the tenant’s communication history', async () => {
    const sent = (await readSentEmails(stack)).filter(
      (mail) =>
        mail.subject === 'Your Plinth data export is ready' && mail.to.includes(owner.email.toLowerCase()),
    );
    expect(sent).toHaveLength(1);
    const history = await stack.db.send(
      new QueryCommand({
        TableName: stack.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: {
          ':pk': keys.communicationsPrefix(tenantId).pk,
          ':prefix': keys.communicationsPrefix(tenantId).skPrefix,
        },
      }),
    );
    expect(history.Items?.filter((item) => item.emailKind === 'export').map((item) => item.status)).toEqual([
      'sent',
    ]);
  });

  it('keeps the job and archive for 7 days: TTL on the job, lifecycle on the bucket', async () => {
    const job = await jobItem('tenant', tenantId, jobId);
    const requested = Date.parse(String(job?.requestedAt));
    expect(Date.parse(String(job?.expiresAt)) - requested).toBe(7 * 24 * 60 * 60 * 1000);
    expect(job?.ttl).toBe(Math.floor(Date.parse(String(job?.expiresAt)) / 1000));
    const lifecycle = await s3.send(
      new GetBucketLifecycleConfigurationCommand({ Bucket: stack.exportsBucket }),
    );
    expect(lifecycle.Rules?.[0]?.Expiration?.Days).toBe(7);
  });

  it('does nothing twice when its last event is delivered again', async () => {
    const before = await jobItem('tenant', tenantId, jobId);
    const again = await workerWith().handle(await requestOf(jobId), plenty);
    expect(again).toEqual({ outcome: 'skipped', reason: 'ready already' });
    expect(await jobItem('tenant', tenantId, jobId)).toEqual(before);
    const sent = (await readSentEmails(stack)).filter(
      (mail) =>
        mail.subject === 'Your Plinth data export is ready' && mail.to.includes(owner.email.toLowerCase()),
    );
    expect(sent).toHaveLength(1);
  });

  it('answers 404 once the job has expired', async () => {
    await stack.db.send(
      new UpdateCommand({
        TableName: stack.tableName,
        Key: keys.exportJob('tenant', tenantId, jobId),
        UpdateExpression: 'SET expiresAt = :past',
        ExpressionAttributeValues: { ':past': new Date(Date.now() - 1000).toISOString() },
      }),
    );
    const response = await api(server, owner.accessToken).get(`/v1/tenants/${tenantId}/exports/${jobId}`);
    expect(response.status).toBe(404);
  });
});

describe('a tenant export cut into chunks by a used-up time budget', () => {
  const tiny: ChunkLimits = { pageSize: 3, maxFileRecords: 2, maxFileBytes: 4 * 1024 * 1024 };
  let jobId: string;
  let outcomes: string[];
  let files: Map<string, Buffer>;

  beforeAll(async () => {
    jobId = (await api(server, owner.accessToken).post(`/v1/tenants/${tenantId}/exports`)).body.exportId;
    const worker = workerWith({ limits: tiny });
    let detail = await requestOf(jobId);
    outcomes = [];
    for (let i = 0; i < 200; i++) {
      const result = await worker.handle(detail, none);
      outcomes.push(result.outcome);
      if (result.outcome !== 'continued') break;
      const job = await jobItem('tenant', tenantId, jobId);
      // The next request the worker put on the bus names the next chunk.
      const published = (await runner.published()).filter(
        (e) => e['detail-type'] === EXPORT_REQUESTED && (e.detail as { jobId?: string }).jobId === jobId,
      );
      detail = exportRequestedDetail().parse(published.at(-1)?.detail);
      expect(detail.chunk).toBe(job?.chunk);
    }
    files = await download(`/v1/tenants/${tenantId}/exports/${jobId}`, owner.accessToken);
  });

  it('resumes from its cursor, chunk after chunk, until the archive is ready', () => {
    expect(outcomes.length).toBeGreaterThan(3);
    expect(outcomes.at(-1)).toBe('ready');
    expect(outcomes.slice(0, -1).every((outcome) => outcome === 'continued')).toBe(true);
  });

  it('holds every project exactly once, split into parts', () => {
    const names = recordsOf(files, 'project').map((project) => project.name);
    expect(names.sort()).toEqual(['Project 0', 'Project 1', 'Project 2']);
    expect([...files.keys()].filter((path) => fileBaseOf(path) === 'project').length).toBeGreaterThan(1);
  });

  it('keeps the audit chain unbroken across chunks', () => {
    const entries = recordsOf(files, 'audit') as {
      at: string;
      chain: { previousHash: string; entryHash: string };
    }[];
    for (let i = 1; i < entries.length; i++) {
      const [prev, next] = [entries[i - 1], entries[i]];
      if (prev?.at.slice(0, 10) === next?.at.slice(0, 10))
        expect(next?.chain.previousHash).toBe(prev?.chain.entryHash);
    }
  });
});

describe('redelivered and duplicated events', () => {
  it('find the job held by another invocation and leave it alone', async () => {
    const jobId = (await api(server, owner.accessToken).post(`/v1/tenants/${tenantId}/exports`)).body
      .exportId;
    const now = new Date();
    await createExportJobRepository(db).claim(
      { scope: 'tenant', subjectId: tenantId, jobId },
      'other-invocation',
      Math.floor(now.getTime() / 1000) + 900,
      now,
    );
    const result = await workerWith().handle(await requestOf(jobId), plenty);
    expect(result).toEqual({ outcome: 'busy' });
    expect((await jobItem('tenant', tenantId, jobId))?.leaseId).toBe('other-invocation');
  });

  it('write each record once when an earlier chunk’s event arrives again', async () => {
    const jobId = (await api(server, owner.accessToken).post(`/v1/tenants/${tenantId}/exports`)).body
      .exportId;
    const worker = workerWith({ limits: { pageSize: 3, maxFileRecords: 5_000, maxFileBytes: 1 << 22 } });
    const first = await requestOf(jobId);
    const outcomes: string[] = [];
    // The same (first) event, over and over: each delivery takes the job from its cursor.
    for (let i = 0; i < 200 && outcomes.at(-1) !== 'skipped'; i++) {
      outcomes.push((await worker.handle(first, none)).outcome);
    }
    expect(outcomes).toContain('ready');
    const files = await download(`/v1/tenants/${tenantId}/exports/${jobId}`, owner.accessToken);
    const ids = recordsOf(files, 'project').map((project) => project.projectId);
    expect(ids).toHaveLength(3);
    expect(new Set(ids).size).toBe(3);
  });

  it('mark the job failed after three failed chunks, and answer failed', async () => {
    const jobId = (await api(server, owner.accessToken).post(`/v1/tenants/${tenantId}/exports`)).body
      .exportId;
    const broken: ExportStorage = {
      ...storage,
      openChunk: () => ({
        write: async () => {
          throw new Error('S3 is down');
        },
        close: async () => 0,
      }),
    };
    const worker = workerWith({ storage: broken });
    const detail = await requestOf(jobId);
    await expect(worker.handle(detail, plenty)).rejects.toThrow('S3 is down');
    await expect(worker.handle(detail, plenty)).rejects.toThrow('S3 is down');
    expect(await worker.handle(detail, plenty)).toEqual({ outcome: 'failed' });
    const response = await api(server, owner.accessToken).get(`/v1/tenants/${tenantId}/exports/${jobId}`);
    expect(response.body).toMatchObject({ status: 'failed', error: expect.stringMatching(/new export/) });
  });
});

describe("a user's export", () => {
  let files: Map<string, Buffer>;
  let jobId: string;

  beforeAll(async () => {
    const response = await api(server, member.accessToken).post('/v1/me/exports');
    expect(response.status).toBe(202);
    expect(response.headers.get('location')).toBe(`/v1/me/exports/${response.body.exportId}`);
    jobId = response.body.exportId;
    expect((await workerWith().handle(await requestOf(jobId), plenty)).outcome).toBe('ready');
    files = await download(`/v1/me/exports/${jobId}`, member.accessToken);
  });

  it('holds their profile with the email the user pool holds, and their memberships and roles', () => {
    expect(recordsOf(files, 'profile')).toContainEqual({
      kind: 'identity',
      userId: member.userId,
      email: member.email,
    });
    expect(recordsOf(files, 'memberships')).toEqual([
      expect.objectContaining({ tenantId, userId: member.userId, role: 'manager' }),
    ]);
  });

  it('holds the invitations sent to their email', () => {
    expect(recordsOf(files, 'invitations-received')).toEqual([
      expect.objectContaining({ tenantId, role: 'member' }),
    ]);
  });

  it('holds only audit entries where they are the actor, and those where they are the target', () => {
    const asActor = recordsOf(files, `tenants/${tenantId}/audit-as-actor`);
    expect(asActor.length).toBeGreaterThan(0);
    expect(asActor.every((entry) => (entry.actor as { userId: string }).userId === member.userId)).toBe(true);
    const asTarget = recordsOf(files, `tenants/${tenantId}/audit-as-target`);
    expect(asTarget.map((entry) => entry.action)).toContain('member.role-changed');
    expect(asTarget.every((entry) => (entry.target as { id: string }).id === member.userId)).toBe(true);
  });

  it('holds their ticket and message, NPS answer, product events and the emails sent to them', () => {
    expect(recordsOf(files, `tenants/${tenantId}/support-tickets`)).toEqual([
      expect.objectContaining({ subject: 'Help' }),
    ]);
    expect(recordsOf(files, `tenants/${tenantId}/support-messages`)).toEqual([
      expect.objectContaining({ body: 'My data please' }),
    ]);
    expect(recordsOf(files, 'nps-answers')).toEqual([
      expect.objectContaining({ score: 9, userId: member.userId }),
    ]);
    const events = recordsOf(files, `tenants/${tenantId}/product-events`);
    expect(events).toContainEqual(expect.objectContaining({ name: 'report_exported', source: 'client' }));
    expect(events.every((event) => event.userId === member.userId)).toBe(true);
    const emails = recordsOf(files, `tenants/${tenantId}/emails`);
    expect(emails.map((email) => email.emailKind)).toContain('invitation');
    expect(emails.every((email) => (email.to as string[]).includes(member.email.toLowerCase()))).toBe(true);
  });

  it("holds nothing of the owner's own actions nor of other tenants", () => {
    const text = [...files.values()].map((content) => content.toString('utf8')).join('\n');
    expect(text).not.toContain(otherTenantId);
    expect(text).not.toContain('Secret');
    expect(text).not.toContain('Project 0');
  });

  it('stores the archive at users/<userId>/<jobId>.tar.gz', async () => {
    const listed = await s3.send(
      new ListObjectsV2Command({ Bucket: stack.exportsBucket, Prefix: `users/${member.userId}/` }),
    );
    expect((listed.Contents ?? []).map((object) => object.Key)).toContain(
      `users/${member.userId}/${jobId}.tar.gz`,
    );
  });

  it("answers 404 for another user's export id", async () => {
    const response = await api(server, owner.accessToken).get(`/v1/me/exports/${jobId}`);
    expect(response.status).toBe(404);
  });

  it('does not mail a suppressed address, and the export is still ready', async () => {
    await stack.db.send(
      new PutCommand({
        TableName: stack.tableName,
        Item: {
          ...keys.emailSuppression(outsider.email),
          type: 'email-suppression',
          email: outsider.email.toLowerCase(),
          reason: 'bounce',
        },
      }),
    );
    const id = (await api(server, outsider.accessToken).post('/v1/me/exports')).body.exportId;
    expect((await workerWith().handle(await requestOf(id), plenty)).outcome).toBe('ready');
    const sent = (await readSentEmails(stack)).filter((mail) =>
      mail.to.includes(outsider.email.toLowerCase()),
    );
    expect(sent.filter((mail) => mail.subject === 'Your Plinth data export is ready')).toHaveLength(0);
    expect((await jobItem('user', outsider.userId, id))?.notifiedAt).toEqual(expect.any(String));
  });
});
