import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processMovementRecords } from '#shared/analytics/movements.consumer.ts';
import type { RollupResult } from '#shared/analytics/rollup.ts';
import { keys } from '#shared/db/keys.ts';
import { subscriptionEvent } from '#shared/events/subscription-events.ts';
import { newId, systemClock } from '#shared/ids.ts';
import { eventMetricNames } from '#shared/observability/metric-names.ts';
import { captureEmf, metricBatchesOfEmf } from '../../scripts/local/metrics.ts';
import { createTestStack, type TestStack } from '../support/harness.ts';
import { startTestRunner, type TestRunner } from '../support/runner.ts';
import { readStoredItem } from '../support/stripe-events.ts';

/**
 * The metrics rollup against moto: movements recorded by the consumer, then rolled up day by day.
 * The tests share one table's metrics and build on each other, in order.
 */

let stack: TestStack;
let runner: TestRunner;
let handler: (event: { time: string; from?: string; through?: string }) => Promise<RollupResult>;
const tenants = { a: newId(), b: newId(), c: newId() };

beforeAll(async () => {
  stack = await createTestStack();
  runner = await startTestRunner(stack);
  ({ handler } = await import('#functions/metrics-rollup/handler.ts'));
});
afterAll(async () => {
  await runner?.stop();
});

/** Records one subscription change through the movements consumer. */
async function change(tenantId: string, amount: number, occurredAt: string) {
  const { detail } = subscriptionEvent('Subscription Changed v1', {
    eventId: newId(),
    tenantId,
    subscriptionId: 'sub_x',
    plan: amount > 5000 ? 'business' : 'team',
    interval: 'month',
    status: amount > 0 ? 'active' : 'canceled',
    amount: { amount, currency: 'usd' },
    previousAmount: { amount: 0, currency: 'usd' },
    stripeEventId: 'evt_x',
    occurredAt,
  });
  const body = JSON.stringify({
    id: newId(),
    source: 'plinth',
    'detail-type': 'Subscription Changed v1',
    detail,
  });
  const reply = await processMovementRecords([{ messageId: newId(), body } as SQSRecord], {
    db: { client: stack.db, tableName: stack.tableName },
    clock: systemClock,
  });
  expect(reply.batchItemFailures).toEqual([]);
}

const snapshot = (day: string) => readStoredItem(stack.db, stack.tableName, keys.metricsSnapshot(day));

async function dirtyDays(): Promise<string[]> {
  const { Items = [] } = await stack.db.send(
    new QueryCommand({
      TableName: stack.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': keys.metricsDirtyDays().pk },
      ConsistentRead: true,
    }),
  );
  return Items.map((item) => String(item.sk));
}

describe('metrics-rollup', () => {
  it('rolls up through the last complete day before the scheduled time, from the first dirty day', async () => {
    await change(tenants.a, 2900, '2026-03-01T09:00:00.000Z');
    await change(tenants.b, 9900, '2026-03-02T09:00:00.000Z');
    await change(tenants.a, 9900, '2026-03-02T10:00:00.000Z');

    const result = await handler({ time: '2026-03-03T00:05:00.000Z' });

    expect(result).toMatchObject({ from: '2026-03-01', through: '2026-03-02', days: 2, movements: 3 });
    expect(await snapshot('2026-03-01')).toMatchObject({ mrr: 2900, customers: 1 });
    expect(await snapshot('2026-03-02')).toMatchObject({
      mrr: 19_800,
      customers: 2,
      dayMovements: {
        new: 9900,
        expansion: 7000,
        contraction: 0,
        churn: 0,
        reactivation: 0,
        comp: 0,
        comp_end: 0,
      },
      month: { startMrr: 0, endMrr: 19_800, newCustomers: 2 },
    });
  });

  it('clears the dirty days it rolled up', async () => {
    expect(await dirtyDays()).toEqual([]);
  });

  it("computes the next day from the previous day's snapshot and reads only that day's movements", async () => {
    await change(tenants.c, 2900, '2026-03-03T08:00:00.000Z');

    const result = await handler({ time: '2026-03-04T00:05:00.000Z' });

    // The dirty days (1 marker), the latest snapshot (1) and the day's movements (1).
    expect(result).toMatchObject({ from: '2026-03-03', days: 1, movements: 1, itemsRead: 3 });
    expect(await snapshot('2026-03-03')).toMatchObject({ mrr: 22_700, customers: 3 });
  });

  it('gives the same snapshot when a day is rolled up again', async () => {
    const before = await snapshot('2026-03-02');

    await handler({ time: '2026-03-04T00:05:00.000Z', from: '2026-03-02', through: '2026-03-02' });

    expect(await snapshot('2026-03-02')).toEqual(before);
  });

  it('recomputes from a day already rolled up when a movement for it arrives late', async () => {
    await change(tenants.c, 0, '2026-03-03T20:00:00.000Z');
    await change(newId(), 2417, '2026-03-01T12:00:00.000Z');
    expect(await dirtyDays()).toEqual(['2026-03-01', '2026-03-03']);

    const result = await handler({ time: '2026-03-05T00:05:00.000Z' });

    expect(result).toMatchObject({ from: '2026-03-01', through: '2026-03-04', days: 4 });
    expect(await snapshot('2026-03-01')).toMatchObject({ mrr: 2900 + 2417, customers: 2 });
    expect(await snapshot('2026-03-04')).toMatchObject({
      mrr: 9900 + 9900 + 2417,
      customers: 3,
      month: { churnedOfS: 0, newCustomers: 4, sums: { new: 2900 + 9900 + 2417 + 2900, churn: -2900 } },
    });
    expect(await dirtyDays()).toEqual([]);
  });

  it('does nothing when the days are rolled up and nothing is dirty', async () => {
    const result = await handler({ time: '2026-03-05T00:05:00.000Z' });
    expect(result).toMatchObject({ from: null, days: 0 });
  });

  it('runs as the metrics-rollup schedule of busDefinition', async () => {
    await change(tenants.b, 2900, '2026-03-05T10:00:00.000Z');

    await runner.triggerSchedule('metrics-rollup', '2026-03-06T00:05:00.000Z');

    expect(await snapshot('2026-03-05')).toMatchObject({
      mrr: 9900 + 2900 + 2417,
      dayMovements: { contraction: -7000 },
    });
  });

  it('refuses an on-demand run whose range is backwards', async () => {
    await expect(
      handler({ time: '2026-03-05T00:05:00.000Z', from: '2026-03-04', through: '2026-03-01' }),
    ).rejects.toThrow();
  });

  const putLease = (expiresAt: string) =>
    stack.db.send(
      new PutCommand({
        TableName: stack.tableName,
        Item: { ...keys.metricsRollupLease(), type: 'rollup-lease', holder: 'another-run', expiresAt },
      }),
    );

  it('releases its lease when a run ends', async () => {
    await handler({ time: '2026-03-06T00:05:00.000Z', from: '2026-03-05', through: '2026-03-05' });
    expect(await readStoredItem(stack.db, stack.tableName, keys.metricsRollupLease())).toBeUndefined();
  });

  it('refuses to run while another run holds the lease, and writes nothing', async () => {
    await change(tenants.a, 2900, '2026-03-06T10:00:00.000Z');
    await putLease(new Date(Date.now() + 5 * 60_000).toISOString());

    await expect(handler({ time: '2026-03-07T00:05:00.000Z' })).rejects.toThrow(/Another metrics rollup/);

    expect(await snapshot('2026-03-06')).toBeUndefined();
    expect(await dirtyDays()).toEqual(['2026-03-06']);
  });

  it('takes over the lease of a run that crashed once it has expired', async () => {
    await putLease(new Date(Date.now() - 1000).toISOString());

    await handler({ time: '2026-03-07T00:05:00.000Z' });

    expect(await snapshot('2026-03-06')).toMatchObject({ dayMovements: { contraction: -7000 } });
  });

  it('emits the MRR of the day it rolled up through as the Mrr metric, for the dashboard', async () => {
    const { metrics } = await import('#shared/observability/metrics.ts');
    const lines: string[] = [];
    const release = captureEmf(metrics, (line) => lines.push(line));
    try {
      await handler({ time: '2026-03-04T00:05:00.000Z', from: '2026-03-03', through: '2026-03-03' });
    } finally {
      release();
    }

    const data = lines.flatMap((line) => metricBatchesOfEmf(line) ?? []).flatMap((batch) => batch.data);
    const stored = (await snapshot('2026-03-03')) as { mrr: number };
    expect(stored.mrr).toBeGreaterThan(0);
    expect(data.find((datum) => datum.MetricName === eventMetricNames.mrr)?.Values).toEqual([stored.mrr]);
  });
});
