import { FirehoseClient } from '@aws-sdk/client-firehose';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFirehoseSink } from '#shared/analytics/product/firehose-sink.ts';
import { createProductAnalyticsService } from '#shared/analytics/product/product-analytics.service.ts';
import { handleProductStream } from '#shared/analytics/product/product-stream.ts';
import { createProductEventRecorder } from '#shared/analytics/product/recorder.ts';
import type { ProductEventSink } from '#shared/analytics/product/warehouse.ts';
import { auditStep } from '#shared/audit/audit.writer.ts';
import type { Db } from '#shared/db/client.ts';
import { keys } from '#shared/db/keys.ts';
import { transactWrite } from '#shared/db/transact.ts';
import { newId, systemClock } from '#shared/ids.ts';
import { createTableRateLimiter } from '#shared/ratelimit/window-counter.ts';
import { localClientConfig } from '../../scripts/local/aws.ts';
import { createEventRunner, type EventRunner } from '../../scripts/local/runner.ts';
import { createTestStack, type TestStack } from '../support/harness.ts';
import { fakeTenantContext } from '../support/tenant-context.ts';
import { warehouseLinesOf } from '../support/warehouse.ts';

/**
 * Firehose fails after the events were stored: the request is not failed (the tracking call never
 * talks to Firehose), the stream batch is reported failed and retried from the first raw event,
 * the lines reach S3 on the retry, and the aggregates count nothing twice.
 */

let stack: TestStack;
let runner: EventRunner;
let db: Db;
let firehose: FirehoseClient;
let failuresLeft = 0;
const errors: unknown[] = [];

beforeAll(async () => {
  stack = await createTestStack();
  Object.assign(process.env, stack.env);
  db = { client: stack.db, tableName: stack.tableName };
  firehose = new FirehoseClient(localClientConfig(stack));
  const moto = createFirehoseSink({ client: firehose, deliveryStreamName: stack.warehouseStreamName });
  // Firehose on moto, down for the next `failuresLeft` calls.
  const flaky: ProductEventSink = {
    send: async (events) => {
      if (failuresLeft > 0) {
        failuresLeft -= 1;
        throw new Error('ServiceUnavailableException: Firehose is unavailable');
      }
      await moto.send(events);
    },
  };
  const recorder = createProductEventRecorder({ db, clock: systemClock, rawEventTtlDays: 90 });
  runner = createEventRunner({
    endpoint: stack.endpoint,
    region: stack.region,
    tableStreamArn: stack.tableStreamArn,
    rules: stack.rules,
    loadProductActivity: async () => ({
      handler: async (event) => handleProductStream(event.Records, { recorder, sink: flaky }),
    }),
    onError: (error) => errors.push(error),
  });
});
afterAll(async () => {
  await runner.stop();
  firehose.destroy();
});

const tracking = () =>
  createProductAnalyticsService({
    db,
    clock: systemClock,
    recorder: createProductEventRecorder({ db, clock: systemClock, rawEventTtlDays: 90 }),
    rateLimiter: createTableRateLimiter(db, systemClock),
  });

const today = () => new Date().toISOString().slice(0, 10);

async function countAt(key: { pk: string; sk: string }): Promise<number | undefined> {
  const { Item } = await db.client.send(
    new GetCommand({ TableName: db.tableName, Key: key, ConsistentRead: true }),
  );
  return Item?.count as number | undefined;
}

describe('warehouse delivery when Firehose fails', () => {
  it('accepts the batch, then delivers it on the stream retry, counting each event once', async () => {
    const tenantId = newId();
    const ctx = fakeTenantContext({ role: 'member', tenantId, userId: 'member-1' });
    failuresLeft = 2;

    const { result } = await tracking().track(ctx, {
      events: [
        { id: 'f1', name: 'file_uploaded' },
        { id: 'f2', name: 'file_uploaded' },
      ],
    });
    await runner.drain();

    expect(result.accepted).toBe(2);
    expect(failuresLeft).toBe(0);
    expect((await warehouseLinesOf(stack, tenantId)).map((line) => line.event_id)).toEqual(['f1', 'f2']);
    expect(await countAt(keys.productEventCount(tenantId, today(), 'file_uploaded'))).toBe(2);
    expect(await countAt(keys.productActiveUsers(tenantId, 'day', today()))).toBe(1);
    expect(errors).toEqual([]);
  });

  it('counts an audited action once although its batch is retried for the warehouse', async () => {
    const tenantId = newId();
    const at = new Date();
    failuresLeft = 1;

    // One stream batch: the tracked event's raw item, then the audit item; the warehouse copy of
    // the first fails, so Lambda (the runner) hands the audit record over a second time.
    await tracking().track(fakeTenantContext({ role: 'member', tenantId, userId: 'person-1' }), {
      events: [{ id: 't1', name: 'page_viewed' }],
    });
    await transactWrite(db, [
      auditStep(
        db,
        {
          tenantId,
          actor: { userId: 'person-1' },
          action: 'project.created',
          target: { type: 'project', id: 'p1' },
          before: null,
          after: {},
          request: { requestId: 'req-1', sourceIp: '203.0.113.7' },
        },
        { clock: () => at, newId: () => newId(at) },
      ),
    ]);
    await runner.drain();

    expect(failuresLeft).toBe(0);
    expect(await countAt(keys.productEventCount(tenantId, today(), 'project_created'))).toBe(1);
    expect(await countAt(keys.productEventCount(tenantId, today(), 'page_viewed'))).toBe(1);
    expect((await warehouseLinesOf(stack, tenantId)).map((line) => line.name)).toEqual([
      'page_viewed',
      'project_created',
    ]);
  });
});
