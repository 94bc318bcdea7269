import { randomUUID } from 'node:crypto';
import { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProductAnalyticsService } from '#shared/analytics/product/product-analytics.service.ts';
import { createProductEventRecorder } from '#shared/analytics/product/recorder.ts';
import type { Db } from '#shared/db/client.ts';
import { createCognitoUserEraser } from '#shared/erasure/adapters.ts';
import { pseudonymKeyOf } from '#shared/erasure/erasure.env.ts';
import { createErasureRunner } from '#shared/erasure/erasure.runner.ts';
import { createErasureStore } from '#shared/erasure/erasure.store.ts';
import { createS3WarehouseRedactor, type WarehouseS3 } from '#shared/erasure/warehouse-redaction.ts';
import { newId, systemClock } from '#shared/ids.ts';
import { createTableRateLimiter } from '#shared/ratelimit/window-counter.ts';
import { localClientConfig } from '../../scripts/local/aws.ts';
import { createTestStack, type TestStack } from '../support/harness.ts';
import { startTestRunner, type TestRunner } from '../support/runner.ts';
import { fakeTenantContext } from '../support/tenant-context.ts';
import { readWarehouseObjects } from '../support/warehouse.ts';

/**
 * Erasure in the product warehouse against moto: events tracked through the real API service reach
 * the bucket through the table's stream, the product-activity consumer and moto's Firehose (one
 * object per delivery); the erasure runner's `warehouse` step then rewrites the objects that hold the
 * subject's lines, waiting first for deliveries still on their way.
 */

let stack: TestStack;
let runner: TestRunner;
let db: Db;
let s3: S3Client;
const tenantA = newId();
const tenantB = newId();
const [ada, bob, carl, dora] = ['ada', 'bob', 'carl', 'dora'].map((name) => `${name}-${randomUUID()}`) as [
  string,
  string,
  string,
  string,
];
const SETTLE_MS = 30 * 60_000;

beforeAll(async () => {
  stack = await createTestStack();
  runner = await startTestRunner(stack);
  db = { client: stack.db, tableName: stack.tableName };
  s3 = new S3Client({ ...localClientConfig(stack), forcePathStyle: true });
  // Each delivery is an object of its own: Ada's lines in three, Bob's and Carl's beside them.
  await track(tenantA, ada, 2);
  await track(tenantA, bob, 1);
  await track(tenantB, carl, 1);
  await track(tenantB, ada, 1);
  await track(tenantA, bob, 2);
}, 60_000);
afterAll(async () => {
  await runner?.stop();
  s3?.destroy();
});

/** `count` events of one user in one tenant, delivered to the warehouse as one object. */
async function track(tenantId: string, userId: string, count: number) {
  const service = createProductAnalyticsService({
    db,
    clock: systemClock,
    recorder: createProductEventRecorder({ db, clock: systemClock, rawEventTtlDays: 90 }),
    rateLimiter: createTableRateLimiter(db, systemClock),
  });
  await service.track(fakeTenantContext({ role: 'member', tenantId, userId }), {
    events: Array.from({ length: count }, () => ({ id: randomUUID(), name: 'report_viewed' })),
  });
  await runner.drain();
}

const allLines = async () => (await readWarehouseObjects(stack)).flatMap((object) => object.lines);
const linesOf = async (field: 'user_id' | 'tenant_id', value: string) =>
  (await allLines()).filter((line) => line[field] === value);

function erasureRunner(options: { clock?: () => Date; settleMs?: number; client?: WarehouseS3 } = {}) {
  return createErasureRunner({
    db,
    store: createErasureStore(db),
    clock: options.clock ?? systemClock,
    pseudonymKey: pseudonymKeyOf(stack.env as { TABLE_NAME: string }),
    userPool: createCognitoUserEraser(stack.cognito, stack.userPoolId),
    stripe: { deleteCustomer: async () => true },
    warehouse: createS3WarehouseRedactor({
      bucket: stack.warehouseBucket,
      client: async () => options.client ?? s3,
    }),
    warehouseSettleMs: options.settleMs ?? SETTLE_MS,
  });
}

async function requestUserErasure(userId: string, tenantIds: string[]): Promise<string> {
  const erasureId = `user-${randomUUID()}`;
  const now = new Date().toISOString();
  await createErasureStore(db).create(
    {
      erasureId,
      kind: 'user',
      subject: `erased-${erasureId.slice(5, 21)}`,
      requestedBy: { kind: 'self' },
      requestedAt: now,
    },
    { kind: 'user', userId, tenantIds, since: now },
  );
  return erasureId;
}

describe("a user's erasure in the warehouse", () => {
  let erasureId: string;
  let othersBefore: Record<string, unknown>[];
  let objectsBefore: number;

  beforeAll(async () => {
    othersBefore = (await allLines()).filter((line) => line.user_id !== ada && line.user_id !== dora);
    erasureId = await requestUserErasure(ada, [tenantA, tenantB]);
  });

  it('waits for late Firehose deliveries: the first run erases the table copies and defers the warehouse', async () => {
    expect(await erasureRunner().run(erasureId)).toBe('deferred');

    const report = await createErasureStore(db).get(erasureId);
    expect(report?.status).toBe('running');
    expect(report?.steps['product-events']).toMatchObject({ status: 'done' });
    expect(report?.steps.warehouse).toBeUndefined();
    expect(await linesOf('user_id', ada)).toHaveLength(3);
    // Not claimable before the settle time has passed.
    expect(await erasureRunner({ clock: () => new Date(Date.now() + 60_000) }).run(erasureId)).toBe(
      'not-claimed',
    );
  });

  it('removes every line of theirs once the settle time has passed, a late one included', async () => {
    // An event stored before the erasure that Firehose delivers only now.
    await track(tenantA, ada, 1);
    expect(await linesOf('user_id', ada)).toHaveLength(4);
    objectsBefore = (await readWarehouseObjects(stack)).length;

    const later = () => new Date(Date.now() + SETTLE_MS + 60_000);
    expect(await erasureRunner({ clock: later }).run(erasureId)).toBe('completed');

    expect(await linesOf('user_id', ada)).toEqual([]);
  });

  it("leaves everyone else's lines as they were, in both tenants", async () => {
    expect((await allLines()).filter((line) => line.user_id !== dora)).toEqual(othersBefore);
    expect(await linesOf('user_id', carl)).toHaveLength(1);
    expect(await linesOf('user_id', bob)).toHaveLength(3);
  });

  it('rewrites objects under their own keys: none added, none lost', async () => {
    expect(await readWarehouseObjects(stack)).toHaveLength(objectsBefore);
  });

  it('reports objects read and rewritten and lines removed, without personal data', async () => {
    const report = await createErasureStore(db).get(erasureId);
    expect(report?.progress.warehouse).toEqual({
      'object-read': objectsBefore,
      'object-rewritten': 3,
      'line-removed': 4,
    });
    expect(report?.steps.warehouse).toMatchObject({ status: 'done' });
    expect(JSON.stringify(report)).not.toContain(ada);
  });
});

describe('the erasure-run schedule', () => {
  it("runs the warehouse step against the stack's bucket, from the workers' environment", async () => {
    const erin = `erin-${randomUUID()}`;
    await track(tenantB, erin, 2);
    const erasureId = await requestUserErasure(erin, [tenantB]);

    await runner.triggerSchedule('erasure-run');

    expect(await linesOf('user_id', erin)).toEqual([]);
    const report = await createErasureStore(db).get(erasureId);
    expect(report?.status).toBe('completed');
    expect(report?.progress.warehouse).toMatchObject({ 'object-rewritten': 1, 'line-removed': 2 });
  });
});

describe('a warehouse step that crashes mid-way', () => {
  it('finishes the job when run again and counts each rewrite once', async () => {
    for (let i = 0; i < 3; i++) await track(tenantA, dora, 1);
    const bobBefore = await linesOf('user_id', bob);
    const erasureId = await requestUserErasure(dora, [tenantA]);
    let puts = 0;
    // Killed right after its second rewrite reached S3, before the run recorded it.
    const crashing: WarehouseS3 = {
      send: (async (command: { constructor: { name: string } }) => {
        const output = await s3.send(command as never);
        if (command.constructor.name === 'PutObjectCommand' && ++puts === 2) throw new Error('killed');
        return output;
      }) as WarehouseS3['send'],
    };

    await expect(erasureRunner({ settleMs: 0, client: crashing }).run(erasureId)).rejects.toThrow('killed');
    const halfway = await createErasureStore(db).get(erasureId);
    expect(halfway?.steps.warehouse).toBeUndefined();
    expect(halfway?.progress.warehouse?.['object-rewritten']).toBe(1);
    expect(await linesOf('user_id', dora)).toHaveLength(1);

    const afterLease = () => new Date(Date.now() + 11 * 60_000);
    expect(await erasureRunner({ clock: afterLease, settleMs: 0 }).run(erasureId)).toBe('completed');

    expect(await linesOf('user_id', dora)).toEqual([]);
    expect(await linesOf('user_id', bob)).toEqual(bobBefore);
    const report = await createErasureStore(db).get(erasureId);
    expect(report?.progress.warehouse).toMatchObject({ 'object-rewritten': 3, 'line-removed': 3 });
    expect(report?.attempts).toBe(2);
  });
});

describe("a tenant's purge in the warehouse", () => {
  it("removes the tenant's lines and keeps the other tenant's", async () => {
    const tenantALines = await linesOf('tenant_id', tenantA);
    expect(await linesOf('tenant_id', tenantB)).toHaveLength(1);
    const erasureId = `tenant-${tenantB}`;
    const createdAt = new Date(Date.now() - 86_400_000).toISOString();
    await createErasureStore(db).create(
      {
        erasureId,
        kind: 'tenant',
        subject: tenantB,
        requestedBy: { kind: 'schedule' },
        requestedAt: new Date().toISOString(),
      },
      { kind: 'tenant', tenantId: tenantB, slug: `gone-${randomUUID()}`, since: createdAt },
    );

    expect(await erasureRunner({ settleMs: 0 }).run(erasureId)).toBe('completed');

    expect(await linesOf('tenant_id', tenantB)).toEqual([]);
    expect(await linesOf('tenant_id', tenantA)).toEqual(tenantALines);
    const report = await createErasureStore(db).get(erasureId);
    expect(report?.progress.warehouse).toMatchObject({ 'object-rewritten': 1, 'line-removed': 1 });
  });

  it('skips, unread, the objects written before the tenant existed', async () => {
    const tenantId = newId();
    const erasureId = `tenant-${tenantId}`;
    const objects = (await readWarehouseObjects(stack)).length;
    await createErasureStore(db).create(
      {
        erasureId,
        kind: 'tenant',
        subject: tenantId,
        requestedBy: { kind: 'schedule' },
        // (A `since` no earlier than the request is the service's fallback and bounds nothing.)
        requestedAt: new Date(Date.now() + 3 * 3_600_000).toISOString(),
      },
      // Created after every object in the bucket was written (beyond the hour of clock skew allowed).
      {
        kind: 'tenant',
        tenantId,
        slug: `new-${randomUUID()}`,
        since: new Date(Date.now() + 2 * 3_600_000).toISOString(),
      },
    );

    expect(await erasureRunner({ settleMs: 0 }).run(erasureId)).toBe('completed');

    const report = await createErasureStore(db).get(erasureId);
    expect(report?.progress.warehouse).toEqual({ 'object-skipped': objects });
  });
});
