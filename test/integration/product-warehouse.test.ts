import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProductAnalyticsService } from '#shared/analytics/product/product-analytics.service.ts';
import { createProductEventRecorder } from '#shared/analytics/product/recorder.ts';
import { auditStep } from '#shared/audit/audit.writer.ts';
import type { Db } from '#shared/db/client.ts';
import { keys } from '#shared/db/keys.ts';
import { transactWrite } from '#shared/db/transact.ts';
import { newId, systemClock } from '#shared/ids.ts';
import { createTableRateLimiter } from '#shared/ratelimit/window-counter.ts';
import { createTestStack, type TestStack } from '../support/harness.ts';
import { startTestRunner, type TestRunner } from '../support/runner.ts';
import { fakeTenantContext } from '../support/tenant-context.ts';
import { readWarehouseObjects, warehouseLinesOf } from '../support/warehouse.ts';

/**
 * Raw product events → the table's stream → functions/product-activity → Firehose on moto → S3.
 * moto's Firehose writes each PutRecordBatch to S3 at once, so the objects can be read right after
 * the runner drained the stream.
 */

let stack: TestStack;
let runner: TestRunner;
let db: Db;

beforeAll(async () => {
  stack = await createTestStack();
  runner = await startTestRunner(stack);
  db = { client: stack.db, tableName: stack.tableName };
});
afterAll(() => runner.stop());

const tracking = () =>
  createProductAnalyticsService({
    db,
    clock: systemClock,
    recorder: createProductEventRecorder({ db, clock: systemClock, rawEventTtlDays: 90 }),
    rateLimiter: createTableRateLimiter(db, systemClock),
  });

async function countAt(key: { pk: string; sk: string }): Promise<number | undefined> {
  const { Item } = await db.client.send(
    new GetCommand({ TableName: db.tableName, Key: key, ConsistentRead: true }),
  );
  return Item?.count as number | undefined;
}

describe('raw product events in the warehouse', () => {
  it('writes each accepted event as a JSON line with the Glue columns to the bucket', async () => {
    const tenantId = newId();
    const ctx = fakeTenantContext({ role: 'member', tenantId, userId: 'member-1' });
    const occurredAt = new Date(Date.now() - 60_000).toISOString();

    await tracking().track(ctx, {
      events: [
        {
          id: 'w1',
          name: 'report_exported',
          occurredAt,
          properties: { format: 'csv', rows: 12, preview: true },
        },
        { id: 'w2', name: 'Not_Snake' },
      ],
    });
    await runner.drain();

    const lines = await warehouseLinesOf(stack, tenantId);
    expect(lines).toEqual([
      {
        tenant_id: tenantId,
        user_id: 'member-1',
        event_id: 'w1',
        name: 'report_exported',
        source: 'client',
        occurred_at: occurredAt,
        received_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        properties: { format: 'csv', rows: 12, preview: true },
      },
    ]);
    expect(runner.errors).toEqual([]);
  });

  it("puts the objects under the data prefix (moto leaves its expression as is) and moto's YYYY/MM/DD/HH/ of arrival, as newline-terminated lines", async () => {
    const tenantId = newId();
    const ctx = fakeTenantContext({ role: 'member', tenantId, userId: 'member-2' });
    const before = new Date();

    await tracking().track(ctx, {
      events: [
        { id: 'k1', name: 'page_viewed' },
        { id: 'k2', name: 'page_viewed' },
      ],
    });
    await runner.drain();

    const objects = (await readWarehouseObjects(stack)).filter((object) =>
      object.lines.some((line) => line.tenant_id === tenantId),
    );
    const hour = (at: Date) => at.toISOString().slice(0, 13).replace(/[-T]/g, '/');
    const prefix = 'events/dt=!{timestamp:yyyy-MM-dd}/';
    expect(objects).toHaveLength(1);
    expect(objects[0]?.key.startsWith(prefix)).toBe(true);
    expect([hour(before), hour(new Date())]).toContain(
      objects[0]?.key.slice(prefix.length, prefix.length + 13),
    );
    expect(objects[0]?.key.slice(prefix.length)).toMatch(
      new RegExp(
        `^\\d{4}/\\d\\d/\\d\\d/\\d\\d/${stack.warehouseStreamName}-1-\\d{4}(-\\d\\d){5}-[0-9a-f-]{36}$`,
      ),
    );
    expect(objects[0]?.text.endsWith('\n')).toBe(true);
    expect(objects[0]?.lines.map((line) => line.event_id)).toEqual(['k1', 'k2']);
  });

  it('writes a retried batch once, as the aggregates count it once', async () => {
    const tenantId = newId();
    const ctx = fakeTenantContext({ role: 'member', tenantId, userId: 'member-3' });
    const body = { events: [{ id: 'r1', name: 'search_run' }] };

    await tracking().track(ctx, body);
    await tracking().track(ctx, body);
    await runner.drain();

    expect((await warehouseLinesOf(stack, tenantId)).map((line) => line.event_id)).toEqual(['r1']);
    const today = new Date().toISOString().slice(0, 10);
    expect(await countAt(keys.productEventCount(tenantId, today, 'search_run'))).toBe(1);
  });

  it("writes a person's audited action as a server-side event", async () => {
    const tenantId = newId();
    const at = new Date();
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

    expect(await warehouseLinesOf(stack, tenantId)).toEqual([
      expect.objectContaining({
        user_id: 'person-1',
        event_id: expect.stringMatching(/^audit-/),
        name: 'project_created',
        source: 'server',
        occurred_at: at.toISOString(),
        properties: { targetType: 'project' },
      }),
    ]);
  });
});
