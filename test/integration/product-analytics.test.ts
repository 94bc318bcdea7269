import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { createProductAnalyticsService } from '#shared/analytics/product/product-analytics.service.ts';
import { createProductEventRecorder, type ProductEvent } from '#shared/analytics/product/recorder.ts';
import type { Db } from '#shared/db/client.ts';
import { keys } from '#shared/db/keys.ts';
import { newId } from '#shared/ids.ts';
import { RateLimitedError } from '#shared/ratelimit/rate-limit-headers.ts';
import { definePolicy } from '#shared/ratelimit/rate-limiter.ts';
import { createTableRateLimiter } from '#shared/ratelimit/window-counter.ts';
import { createTestStack, type TestStack } from '../support/harness.ts';
import { fakeTenantContext } from '../support/tenant-context.ts';

let stack: TestStack;
let db: Db;
const NOW = new Date('2026-12-02T12:00:00.000Z');
const clock = () => NOW;

beforeAll(async () => {
  stack = await createTestStack();
  Object.assign(process.env, stack.env);
  db = { client: stack.db, tableName: stack.tableName };
});

const recorder = () => createProductEventRecorder({ db, clock, rawEventTtlDays: 90 });
const event = (eventId: string, name: string, occurredAt: string): ProductEvent => ({
  eventId,
  name,
  occurredAt: new Date(occurredAt),
  properties: {},
});

async function countAt(key: { pk: string; sk: string }): Promise<number | undefined> {
  const { Item } = await db.client.send(
    new GetCommand({ TableName: db.tableName, Key: key, ConsistentRead: true }),
  );
  return Item?.count as number | undefined;
}

function service(limit = 6000) {
  return createProductAnalyticsService({
    db,
    clock,
    recorder: recorder(),
    rateLimiter: createTableRateLimiter(db, clock),
    trackingPolicy: definePolicy({ name: 'tracking-test', limit, windowSeconds: 60 }),
  });
}

const adminOf = (tenantId: string) =>
  fakeTenantContext({ role: 'admin', tenantId, billing: { plan: 'team', status: 'active' } });

describe('product event recorder', () => {
  it('counts each event id once when a batch is sent again', async () => {
    const tenantId = newId();
    const batch = [
      event('a', 'report_exported', '2026-12-02T10:00:00Z'),
      event('b', 'report_exported', '2026-12-02T11:00:00Z'),
    ];

    const first = await recorder().record(tenantId, 'user-1', batch, 'client');
    const second = await recorder().record(tenantId, 'user-1', batch, 'client');

    expect([first.accepted.length, first.duplicates]).toEqual([2, 0]);
    expect([second.accepted.length, second.duplicates]).toEqual([0, 2]);
    expect(await countAt(keys.productEventCount(tenantId, '2026-12-02', 'report_exported'))).toBe(2);
  });

  it('counts an id repeated within a batch once', async () => {
    const tenantId = newId();
    const outcome = await recorder().record(
      tenantId,
      'user-1',
      [event('a', 'clicked', '2026-12-02T10:00:00Z'), event('a', 'clicked', '2026-12-02T10:00:00Z')],
      'client',
    );
    expect([outcome.accepted.length, outcome.duplicates]).toEqual([1, 1]);
    expect(await countAt(keys.productEventCount(tenantId, '2026-12-02', 'clicked'))).toBe(1);
  });

  it('records new events of a batch that also holds recorded ones', async () => {
    const tenantId = newId();
    await recorder().record(tenantId, 'user-1', [event('a', 'clicked', '2026-12-02T10:00:00Z')], 'client');
    const outcome = await recorder().record(
      tenantId,
      'user-1',
      [event('a', 'clicked', '2026-12-02T10:00:00Z'), event('b', 'clicked', '2026-12-02T10:05:00Z')],
      'client',
    );
    expect([outcome.accepted.map((e) => e.eventId), outcome.duplicates]).toEqual([['b'], 1]);
    expect(await countAt(keys.productEventCount(tenantId, '2026-12-02', 'clicked'))).toBe(2);
  });

  it('dedupes ids per user: the same id from another user is another event', async () => {
    const tenantId = newId();
    await recorder().record(tenantId, 'user-1', [event('a', 'clicked', '2026-12-02T10:00:00Z')], 'client');
    const outcome = await recorder().record(
      tenantId,
      'user-2',
      [event('a', 'clicked', '2026-12-02T10:00:00Z')],
      'client',
    );
    expect(outcome.accepted).toHaveLength(1);
  });

  it('expires raw events by TTL after the configured days', async () => {
    const tenantId = newId();
    await createProductEventRecorder({ db, clock, rawEventTtlDays: 30 }).record(
      tenantId,
      'user-1',
      [event('ttl', 'clicked', '2026-12-02T10:00:00Z')],
      'client',
    );
    const { Item } = await db.client.send(
      new GetCommand({ TableName: db.tableName, Key: keys.productEvent(tenantId, 'user-1', 'ttl') }),
    );
    expect(Item?.ttl).toBe(NOW.getTime() / 1000 + 30 * 86_400);
  });

  it('counts a user once per day, ISO week and month however many events and batches', async () => {
    const tenantId = newId();
    await recorder().record(
      tenantId,
      'user-1',
      [event('a', 'x', '2026-12-01T09:00:00Z'), event('b', 'y', '2026-12-01T10:00:00Z')],
      'client',
    );
    await recorder().record(tenantId, 'user-1', [event('c', 'x', '2026-12-02T09:00:00Z')], 'client');
    await recorder().record(tenantId, 'user-2', [event('d', 'x', '2026-12-02T09:30:00Z')], 'client');

    expect(await countAt(keys.productActiveUsers(tenantId, 'day', '2026-12-01'))).toBe(1);
    expect(await countAt(keys.productActiveUsers(tenantId, 'day', '2026-12-02'))).toBe(2);
    expect(await countAt(keys.productActiveUsers(tenantId, 'week', '2026-W49'))).toBe(2);
    expect(await countAt(keys.productActiveUsers(tenantId, 'month', '2026-12'))).toBe(2);
  });

  it('counts a user active in two tenants once platform-wide', async () => {
    const [tenantA, tenantB] = [newId(), newId()];
    const user = `user-${newId()}`;
    const day = '2026-11-27';
    const before = (await countAt(keys.productActiveUsers(undefined, 'day', day))) ?? 0;

    await recorder().record(tenantA, user, [event('a', 'x', `${day}T09:00:00Z`)], 'client');
    await recorder().record(tenantB, user, [event('b', 'x', `${day}T10:00:00Z`)], 'client');

    expect(await countAt(keys.productActiveUsers(undefined, 'day', day))).toBe(before + 1);
    expect(await countAt(keys.productActiveUsers(tenantA, 'day', day))).toBe(1);
    expect(await countAt(keys.productActiveUsers(tenantB, 'day', day))).toBe(1);
  });

  it('fills retention cells by the week of first activity', async () => {
    const tenantId = newId();
    // user-1: first active in 2026-W48, back in W49; user-2: first active in W49.
    await recorder().record(tenantId, 'user-1', [event('a', 'x', '2026-11-26T09:00:00Z')], 'client');
    await recorder().record(tenantId, 'user-1', [event('b', 'x', '2026-12-01T09:00:00Z')], 'client');
    await recorder().record(tenantId, 'user-2', [event('c', 'x', '2026-12-02T09:00:00Z')], 'client');

    const retention = await service().tenantRetention(adminOf(tenantId), {
      from: '2026-11-23',
      to: '2026-12-02',
    });

    expect(retention.cohorts).toEqual([
      {
        cohortWeek: '2026-W48',
        users: 1,
        weeks: [
          { k: 0, week: '2026-W48', activeUsers: 1, rate: 1 },
          { k: 1, week: '2026-W49', activeUsers: 1, rate: 1 },
        ],
      },
      { cohortWeek: '2026-W49', users: 1, weeks: [{ k: 0, week: '2026-W49', activeUsers: 1, rate: 1 }] },
    ]);
  });
});

describe('product analytics service', () => {
  it('returns per day the events by name and the active users', async () => {
    const tenantId = newId();
    const analytics = service();
    await analytics.track(fakeTenantContext({ role: 'member', tenantId, userId: 'member-1' }), {
      events: [
        { id: '1', name: 'report_exported', occurredAt: '2026-12-01T09:00:00Z' },
        { id: '2', name: 'report_exported', occurredAt: '2026-12-01T10:00:00Z' },
        { id: '3', name: 'invoice_viewed' },
      ],
    });

    const usage = await analytics.tenantUsage(adminOf(tenantId), { from: '2026-11-30', to: '2026-12-02' });

    expect(usage.days).toEqual([
      { date: '2026-11-30', activeUsers: 0, events: {} },
      { date: '2026-12-01', activeUsers: 1, events: { report_exported: 2 } },
      { date: '2026-12-02', activeUsers: 1, events: { invoice_viewed: 1 } },
    ]);
    expect(usage.weeks).toEqual([{ week: '2026-W49', activeUsers: 1 }]);
    expect(usage.months).toEqual([
      { month: '2026-11', activeUsers: 0 },
      { month: '2026-12', activeUsers: 1 },
    ]);
  });

  it('answers a batch of which some events are invalid with the rejected indexes', async () => {
    const { result } = await service().track(fakeTenantContext({ role: 'member', tenantId: newId() }), {
      events: [{ id: '1', name: 'ok_event' }, { id: '2', name: 'Bad Name' }, { name: 'no_id' }],
    });
    expect(result).toEqual({
      accepted: 1,
      duplicates: 0,
      rejected: [
        { index: 1, errors: [{ field: 'name', message: expect.any(String) }] },
        { index: 2, errors: [{ field: 'id', message: expect.any(String) }] },
      ],
    });
  });

  it('refuses a batch over the tenant rate limit with a 429 and records nothing', async () => {
    const tenantId = newId();
    const analytics = service(3);
    await analytics.track(fakeTenantContext({ role: 'member', tenantId }), {
      events: [
        { id: '1', name: 'x' },
        { id: '2', name: 'x' },
      ],
    });

    const refused = analytics.track(fakeTenantContext({ role: 'member', tenantId }), {
      events: [
        { id: '3', name: 'x' },
        { id: '4', name: 'x' },
      ],
    });

    await expect(refused).rejects.toBeInstanceOf(RateLimitedError);
    expect(await countAt(keys.productEventCount(tenantId, '2026-12-02', 'x'))).toBe(2);
  });

  it('refuses the usage to a member with a 403', async () => {
    const read = service().tenantUsage(
      fakeTenantContext({ role: 'member', billing: { plan: 'team', status: 'active' } }),
      {},
    );
    await expect(read).rejects.toMatchObject({ status: 403 });
  });

  it('refuses the usage on the Free plan with a 402 naming the plan', async () => {
    const read = service().tenantUsage(fakeTenantContext({ role: 'owner' }), {});
    await expect(read).rejects.toMatchObject({ status: 402, message: expect.stringContaining('Team') });
  });

  it('lists platform-wide feature use, most used first, for platform admins', async () => {
    const day = '2026-11-28';
    await recorder().record(newId(), 'user-f1', [event('f1', 'feature_b', `${day}T09:00:00Z`)], 'client');
    await recorder().record(
      newId(),
      'user-f2',
      [event('f2', 'feature_a', `${day}T09:00:00Z`), event('f3', 'feature_a', `${day}T09:01:00Z`)],
      'client',
    );

    const features = await service().platformFeatures(
      { userId: 'operator', groups: ['platform-admin'], platformAdmin: true },
      { from: day, to: day },
    );

    expect(features.features).toEqual([
      { name: 'feature_a', events: 2 },
      { name: 'feature_b', events: 1 },
    ]);
    expect(features.days).toEqual([{ date: day, activeUsers: 2, events: { feature_a: 2, feature_b: 1 } }]);
  });

  it('refuses the platform metrics to anyone but platform admins', async () => {
    const read = service().platformRetention({ userId: 'u', groups: [], platformAdmin: false }, {});
    await expect(read).rejects.toMatchObject({ status: 403 });
  });
});
