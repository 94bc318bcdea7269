/**
 * A tenant export on moto: builds a tenant with `--items` items (default 100,000: audit entries,
 * projects, product events, support messages, in the shapes the API writes), then runs the export
 * worker in process (real DynamoDB Query paging, real multipart upload to moto's S3) with a chunk
 * budget of `--budget-ms` (default 30,000, so a large tenant resumes over several chunks as in
 * Lambda), and prints duration, items read, chunks, archive size and the process's peak memory. The
 * time is split into what the worker waited on DynamoDB and S3 (moto, far slower than AWS per Query
 * page) and the rest, with this process's CPU time: the part that carries over to Lambda.
 * `node scripts/bench/exports.ts --items 100000`; prints Markdown, asserts nothing.
 */

import { parseArgs } from 'node:util';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../../shared/db/client.ts';
import { keys } from '../../shared/db/keys.ts';
import { createEventPutter } from '../../shared/events/put-events.ts';
import { exportQueueOf, exportRequested } from '../../shared/exports/export-events.ts';
import {
  createExportJobRepository,
  type ExportJobRecord,
} from '../../shared/exports/export-jobs.repository.ts';
import { createS3ExportStorage, exportArchiveKey } from '../../shared/exports/export-storage.ts';
import { createExportWorker } from '../../shared/exports/export-worker.ts';
import { newId } from '../../shared/ids.ts';
import type { MailSender } from '../../shared/mail/mail-sender.ts';
import { ensureEmulators } from '../emulators/install.ts';
import { startMoto } from '../emulators/moto.ts';
import { localClientConfig } from '../local/aws.ts';
import { createLocalResources } from '../local/resources.ts';

process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
const { values: flags } = parseArgs({
  options: {
    items: { type: 'string', default: '100000' },
    'budget-ms': { type: 'string', default: '30000' },
  },
});
const total = Number(flags.items);
const budgetMs = Number(flags['budget-ms']);
const region = 'us-east-1';

await ensureEmulators(['moto']);
const moto = await startMoto();
try {
  const resources = await createLocalResources({
    endpoint: moto.endpoint,
    region,
    stage: `bench-${newId().slice(-6)}`,
  });
  const client = createDocumentClient({
    region,
    endpoint: moto.endpoint,
    credentials: localClientConfig(resources).credentials,
  });
  const db = { client, tableName: resources.tableName };
  const tenantId = newId();
  const actor = newId();

  const seedStart = performance.now();
  const now = Date.now();
  const itemAt = (i: number) => {
    const at = new Date(now - (total - i) * 1000).toISOString();
    const id = newId(new Date(now - (total - i) * 1000));
    switch (i % 4) {
      case 0:
        return {
          ...keys.auditEntry(tenantId, at, id, actor),
          type: 'audit',
          entryId: id,
          tenantId,
          at,
          actor: { userId: actor, email: 'owner@example.com' },
          action: 'project.updated',
          target: { type: 'project', id },
          before: { name: 'Old' },
          after: { name: 'New' },
          requestId: id,
          sourceIp: '203.0.113.9',
        };
      case 1:
        return {
          ...keys.project(tenantId, id),
          type: 'project',
          projectId: id,
          tenantId,
          name: `Project ${i}`,
          slug: `p-${i}`,
          createdAt: at,
        };
      case 2:
        return {
          ...keys.productEvent(tenantId, actor, id),
          type: 'product-event',
          tenantId,
          userId: actor,
          eventId: id,
          name: 'report_exported',
          occurredAt: at,
          source: 'client',
        };
      default:
        return {
          ...keys.supportMessage(tenantId, 'T1', i),
          type: 'support-message',
          tenantId,
          ticketId: 'T1',
          body: `Message ${i} `.repeat(8),
          at,
        };
    }
  };
  for (let i = 0; i < total; i += 25) {
    let request: Record<string, { PutRequest: { Item: Record<string, unknown> } }[]> | undefined = {
      [db.tableName]: Array.from({ length: Math.min(25, total - i) }, (_, k) => ({
        PutRequest: { Item: itemAt(i + k) },
      })),
    };
    while (request && Object.keys(request).length > 0) {
      const result = await client.send(new BatchWriteCommand({ RequestItems: request }));
      request = result.UnprocessedItems as typeof request;
    }
  }
  const seedSeconds = (performance.now() - seedStart) / 1000;

  // Time spent waiting on each emulator, summed over the export's calls (the SDK's middleware sees
  // every command, retries included).
  const waited = { dynamodb: 0, s3: 0 };
  const timeCalls = (
    stack: { add: (middleware: never, options: { step: 'initialize'; name: string }) => void },
    service: keyof typeof waited,
  ) =>
    stack.add(
      ((next: (args: unknown) => Promise<unknown>) => async (args: unknown) => {
        const started = performance.now();
        try {
          return await next(args);
        } finally {
          waited[service] += performance.now() - started;
        }
      }) as never,
      { step: 'initialize', name: `bench-${service}-timer` },
    );
  timeCalls(client.middlewareStack, 'dynamodb');
  const s3 = new S3Client({ ...localClientConfig(resources), forcePathStyle: true });
  timeCalls(s3.middlewareStack, 's3');

  const jobs = createExportJobRepository(db);
  const jobId = newId();
  const requestedAt = new Date();
  const expiresAt = new Date(requestedAt.getTime() + 7 * 86_400_000);
  const job: ExportJobRecord = {
    jobId,
    scope: 'tenant',
    subjectId: tenantId,
    requestedBy: actor,
    email: 'owner@example.com',
    status: 'queued',
    requestedAt: requestedAt.toISOString(),
    expiresAt: expiresAt.toISOString(),
    ttl: Math.floor(expiresAt.getTime() / 1000),
    archiveKey: exportArchiveKey('tenant', tenantId, jobId),
    chunk: 0,
    chunkKeys: [],
    itemsRead: 0,
    filesWritten: 0,
    failures: 0,
  };
  await jobs.create(job);
  const mailer: MailSender = { send: async () => ({ status: 'sent', sent: [], suppressed: [] }) };
  const worker = createExportWorker({
    db,
    jobs,
    storage: createS3ExportStorage({
      client: s3,
      bucket: resources.exportsBucket,
    }),
    queue: exportQueueOf(
      createEventPutter(new EventBridgeClient(localClientConfig(resources))),
      resources.eventBusName,
    ),
    mailer,
    clock: () => new Date(),
    newId: () => newId(),
    limits: { pageSize: 500, maxFileRecords: 5_000, maxFileBytes: 4 * 1024 * 1024 },
    leaseSeconds: 900,
    appUrl: 'http://localhost:3000',
  });

  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 50);
  const rssBefore = process.memoryUsage().rss;
  waited.dynamodb = 0;
  waited.s3 = 0;
  const cpuBefore = process.cpuUsage();
  const start = performance.now();
  let chunks = 0;
  let outcome = 'continued';
  while (outcome === 'continued') {
    const chunkStart = performance.now();
    const result = await worker.handle(
      exportRequested(job, chunks, new Date()),
      () => budgetMs - (performance.now() - chunkStart),
    );
    outcome = result.outcome;
    chunks += 1;
  }
  clearInterval(sampler);
  const seconds = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const done = await jobs.get(job);

  console.log('## Tenant export on moto\n');
  console.log(
    '| items | seed (s) | export (s) | waiting on DynamoDB (s) | waiting on S3 (s) | rest (s) | worker CPU (s) | items read | chunks | files | archive | peak RSS | RSS before |',
  );
  console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  const s1 = (ms: number) => (ms / 1000).toFixed(1);
  console.log(
    `| ${total} | ${seedSeconds.toFixed(1)} | ${seconds.toFixed(1)} | ${s1(waited.dynamodb)} | ${s1(waited.s3)} | ${s1(seconds * 1000 - waited.dynamodb - waited.s3)} | ${cpuSeconds.toFixed(1)} | ${done?.itemsRead} | ${chunks} | ${done?.filesWritten} | ${mb(done?.archiveBytes ?? 0)} | ${mb(peakRss)} | ${mb(rssBefore)} |`,
  );
  console.log(
    `\nOutcome: ${outcome}; chunk budget ${budgetMs} ms. moto is far slower than DynamoDB per Query page; the figure that carries over is the memory, bounded by one file (5,000 records or 4 MB) and two 5 MiB upload parts.`,
  );
} finally {
  await moto.stop();
}
