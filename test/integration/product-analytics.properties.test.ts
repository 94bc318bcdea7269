import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { dayOf, isoWeekOf, monthOf } from '#shared/analytics/product/periods.ts';
import { createProductEventRecorder, type ProductEvent } from '#shared/analytics/product/recorder.ts';
import type { Db } from '#shared/db/client.ts';
import { keys } from '#shared/db/keys.ts';
import { newId } from '#shared/ids.ts';
import { createTestStack, type TestStack } from '../support/harness.ts';

/**
 * For any sequence of batches from several users, each sent once or retried, the aggregates equal
 * what a model computes from the distinct events: counts per (day, name), distinct users per day,
 * ISO week and month, and retention cells by the week of each user's first batch.
 */

let stack: TestStack;
let db: Db;
const NOW = new Date('2026-12-02T12:00:00.000Z');

beforeAll(async () => {
  stack = await createTestStack();
  Object.assign(process.env, stack.env);
  db = { client: stack.db, tableName: stack.tableName };
});

interface Batch {
  readonly userId: string;
  readonly events: ProductEvent[];
}

const batchArb = fc.record({
  user: fc.constantFrom('u1', 'u2', 'u3'),
  events: fc.array(
    fc.record({
      name: fc.constantFrom('x', 'y'),
      dayOffset: fc.integer({ min: 0, max: 6 }),
      hour: fc.integer({ min: 0, max: 11 }),
    }),
    { minLength: 1, maxLength: 4 },
  ),
  retried: fc.boolean(),
});

async function aggregates(tenantId: string) {
  const { Items = [] } = await db.client.send(
    new QueryCommand({
      TableName: db.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :pa)',
      ExpressionAttributeValues: { ':pk': keys.productAggregatesPk(tenantId), ':pa': 'PA_' },
      ConsistentRead: true,
    }),
  );
  const result: Record<string, number> = {};
  for (const item of Items) {
    if (typeof item.count === 'number') result[String(item.sk)] = item.count;
  }
  return result;
}

describe('product aggregates (property)', () => {
  it('equal the model of the distinct events, retries included', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(batchArb, { minLength: 1, maxLength: 4 }), async (specs) => {
        const tenantId = newId();
        const recorder = createProductEventRecorder({ db, clock: () => NOW, rawEventTtlDays: 90 });
        let sequence = 0;
        const batches: (Batch & { retried: boolean })[] = specs.map((spec) => ({
          userId: spec.user,
          retried: spec.retried,
          events: spec.events.map((e) => ({
            eventId: `e${++sequence}`,
            name: e.name,
            occurredAt: new Date(Date.UTC(2026, 10, 26 + e.dayOffset, e.hour)),
            properties: {},
          })),
        }));

        const expected: Record<string, number> = {};
        const add = (sk: string) => {
          expected[sk] = (expected[sk] ?? 0) + 1;
        };
        const active = new Set<string>();
        const cohorts = new Map<string, string>();
        for (const batch of batches) {
          await recorder.record(tenantId, batch.userId, batch.events, 'client');
          if (batch.retried) await recorder.record(tenantId, batch.userId, batch.events, 'client');

          for (const event of batch.events) add(`PA_DAY#${dayOf(event.occurredAt)}#EVENT#${event.name}`);
          const earliest = new Date(Math.min(...batch.events.map((e) => e.occurredAt.getTime())));
          if (!cohorts.has(batch.userId)) cohorts.set(batch.userId, isoWeekOf(earliest));
          const cohort = cohorts.get(batch.userId) as string;
          for (const event of batch.events) {
            const periods = [
              `PA_DAY#${dayOf(event.occurredAt)}#USERS`,
              `PA_WEEK#${isoWeekOf(event.occurredAt)}#USERS`,
              `PA_MONTH#${monthOf(event.occurredAt)}#USERS`,
            ];
            for (const period of periods) {
              if (active.has(`${batch.userId}|${period}`)) continue;
              active.add(`${batch.userId}|${period}`);
              add(period);
              const week = isoWeekOf(event.occurredAt);
              if (period.startsWith('PA_WEEK#') && week >= cohort) add(`PA_COHORT#${cohort}#${week}`);
            }
          }
        }

        expect(await aggregates(tenantId)).toEqual(expected);
      }),
      { numRuns: 5 },
    );
    // Each run writes a few dozen transactions to moto, which copies the table for each.
  }, 180_000);
});
