/**
 * The metrics rollup's reads, measured on moto: one day's rollup with 1,000 and with 10,000 paying
 * tenants and the same number of MRR changes that day (1,000), then the same 10,000 tenants with
 * a tenth of the changes. Run by `npm run bench` in a process of its own; prints Markdown, asserts
 * nothing.
 *
 * Each size gets its own table. Setup (not measured): every tenant's MRR state and its `new`
 * movement on the day before, written with BatchWriteItem (moto copies the whole table on every
 * transaction, so the consumer's path would take hours at this size), then that day rolled up. The
 * measured run rolls up the next day, whose changes were written the same way with the day's dirty
 * marker: the items it reads, its DynamoDB calls and read request units (estimated from item sizes by
 * shared/db/capacity.ts; moto reports a fixed figure per call), and its wall time.
 */

import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { type Movement, monthOf } from '../../shared/analytics/movements.ts';
import { movementItem } from '../../shared/analytics/mrr-ledger.ts';
import { rollUpThrough } from '../../shared/analytics/rollup.ts';
import { observeCapacity } from '../../shared/db/capacity.ts';
import { createDocumentClient } from '../../shared/db/client.ts';
import { keys } from '../../shared/db/keys.ts';
import { newId } from '../../shared/ids.ts';
import { ensureEmulators } from '../emulators/install.ts';
import { startMoto } from '../emulators/moto.ts';
import { createLocalResources } from '../local/resources.ts';

process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
const region = 'us-east-1';
const SETUP_DAY = '2026-03-09';
const DAY = '2026-03-10';
const TEAM = 2900;
const BUSINESS = 9900;

await ensureEmulators(['moto']);
const moto = await startMoto();
const client = createDocumentClient({
  region,
  endpoint: moto.endpoint,
  credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
});

async function batchWrite(tableName: string, items: readonly Record<string, unknown>[]): Promise<void> {
  for (let i = 0; i < items.length; i += 25) {
    let request: Record<string, { PutRequest: { Item: Record<string, unknown> } }[]> | undefined = {
      [tableName]: items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })),
    };
    while (request && Object.keys(request).length > 0) {
      const result = await client.send(new BatchWriteCommand({ RequestItems: request }));
      request = result.UnprocessedItems as typeof request;
    }
  }
}

function movement(tenantId: string, day: string, hour: number, before: number, after: number): Movement {
  const occurredAt = `${day}T${String(hour).padStart(2, '0')}:00:00.000Z`;
  const type = before === 0 ? 'new' : after === 0 ? 'churn' : after > before ? 'expansion' : 'contraction';
  return {
    tenantId,
    type,
    delta: after - before,
    mrrBefore: before,
    mrrAfter: after,
    planBefore: before === 0 ? 'free' : before === BUSINESS ? 'business' : 'team',
    planAfter: after === 0 ? 'free' : after === BUSINESS ? 'business' : 'team',
    currency: 'usd',
    eventId: newId(),
    occurredAt,
    day,
    month: monthOf(occurredAt),
    monthStartMrr: 0,
  };
}

interface Figure {
  readonly tenants: number;
  readonly changes: number;
  readonly seedSeconds: number;
  readonly itemsRead: number;
  readonly calls: number;
  readonly readUnits: number;
  readonly snapshotMrr: number;
  readonly ms: number;
}

async function measure(tenants: number, changes: number): Promise<Figure> {
  const resources = await createLocalResources({
    endpoint: moto.endpoint,
    region,
    stage: `bench-rollup-${tenants}-${changes}`,
  });
  const db = { client, tableName: resources.tableName };
  const seedStart = performance.now();
  const ids = Array.from({ length: tenants }, () => newId());
  const at = new Date().toISOString();
  // The day before: every tenant started paying (Team), each with its MRR state.
  const starts = ids.map((tenantId, i) => movement(tenantId, SETUP_DAY, i % 24, 0, TEAM));
  await batchWrite(db.tableName, [
    ...starts.map((m) => movementItem(m, at)),
    ...starts.map((m) => ({
      ...keys.mrrState(m.tenantId),
      ...keys.mrrSubscribed(m.tenantId),
      type: 'mrr-state',
      tenantId: m.tenantId,
      mrr: TEAM,
      currency: 'usd',
      plan: 'team',
      everPaid: true,
      monthStartMrr: 0,
      occurredAt: m.occurredAt,
      eventId: m.eventId,
      version: 1,
      updatedAt: at,
    })),
    { ...keys.metricsDirtyDay(SETUP_DAY), type: 'metrics-dirty', day: SETUP_DAY, markedAt: at },
  ]);
  await rollUpThrough({ db }, SETUP_DAY);
  // The measured day: `changes` tenants upgrade, downgrade... (a mix), the rest do nothing.
  const dayMovements = ids
    .slice(0, changes)
    .map((tenantId, i) => movement(tenantId, DAY, i % 24, TEAM, [BUSINESS, 0, 1900][i % 3] ?? 0));
  await batchWrite(db.tableName, [
    ...dayMovements.map((m) => movementItem(m, at)),
    { ...keys.metricsDirtyDay(DAY), type: 'metrics-dirty', day: DAY, markedAt: at },
  ]);
  const seedSeconds = (performance.now() - seedStart) / 1000;

  let calls = 0;
  let readUnits = 0;
  const stop = observeCapacity((use) => {
    calls += 1;
    readUnits += use.estimated.read;
  });
  const started = performance.now();
  const result = await rollUpThrough({ db }, DAY);
  const elapsed = performance.now() - started;
  stop();
  const { readSnapshot } = await import('../../shared/analytics/rollup.ts');
  const snapshot = await readSnapshot(db, DAY);
  return {
    tenants,
    changes,
    seedSeconds,
    itemsRead: result.itemsRead,
    calls,
    readUnits,
    snapshotMrr: snapshot?.mrr ?? 0,
    ms: elapsed,
  };
}

const figures: Figure[] = [];
for (const [tenants, changes] of [
  [1_000, 1_000],
  [10_000, 1_000],
  [10_000, 100],
] as const) {
  figures.push(await measure(tenants, changes));
}
await moto.stop();

console.log(`## Metrics rollup: reads per day\n`);
console.log(
  "One day's `metrics-rollup` on moto, after the day before was rolled up: the dirty-day markers, the latest snapshot, " +
    "that day's movements (one query), then the snapshot written. Items read as the rollup counts them; calls and read " +
    'request units (eventually consistent queries are half) of every DynamoDB call of the run, from shared/db/capacity.ts. ' +
    'Setup (BatchWriteItem of each tenant’s MRR state and first movement, the day before rolled up) is not timed in the run.\n',
);
console.log(
  '| paying tenants | changes that day | items read | DynamoDB calls | read units | time | MRR after | setup |',
);
console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const f of figures) {
  console.log(
    `| ${f.tenants.toLocaleString('en-US')} | ${f.changes.toLocaleString('en-US')} | ${f.itemsRead} | ${f.calls} | ${f.readUnits.toFixed(1)} | ${f.ms.toFixed(0)} ms | ${f.snapshotMrr} | ${f.seedSeconds.toFixed(0)} s |`,
  );
}
console.log(
  '\nThe reads follow the day’s changes, not the tenants: 10x the paying tenants with the same changes reads the same items; ' +
    'a tenth of the changes reads a tenth of the movements.\n',
);
