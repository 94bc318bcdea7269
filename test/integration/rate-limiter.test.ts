import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '#shared/db/client.ts';
import { keys } from '#shared/db/keys.ts';
import { RateLimitedError } from '#shared/ratelimit/rate-limit-headers.ts';
import { definePolicy, windowAt } from '#shared/ratelimit/rate-limiter.ts';
import { createTableRateLimiter } from '#shared/ratelimit/window-counter.ts';
import { createTestStack, type TestStack } from '../support/harness.ts';

let stack: TestStack;
let db: Db;

beforeAll(async () => {
  stack = await createTestStack();
  // The stack's document client takes the emulator's credentials from the environment.
  Object.assign(process.env, stack.env);
  db = { client: stack.db, tableName: stack.tableName };
});

const policy = definePolicy({ name: 'burst-test', limit: 3, windowSeconds: 60 });
let subjects = 0;
/** A subject no other test counts against. */
const freshSubject = () => `subject-${Date.now().toString(36)}-${++subjects}`;

/** A limiter on the table with a clock the test moves. */
function limiterAt(start: string) {
  let now = new Date(start);
  return {
    limiter: createTableRateLimiter(db, () => now),
    advanceSeconds: (seconds: number) => {
      now = new Date(now.getTime() + seconds * 1000);
    },
    now: () => now,
  };
}

async function windowItem(subject: string, now: Date) {
  const slot = windowAt(policy, subject, now);
  const { Item } = await db.client.send(
    new GetCommand({
      TableName: db.tableName,
      Key: keys.rateLimitWindow(policy.name, subject, slot.windowStart),
      ConsistentRead: true,
    }),
  );
  return { item: Item, slot };
}

describe('rate limiter on DynamoDB', () => {
  it('refuses a burst past the limit with the seconds until the window resets', async () => {
    const { limiter } = limiterAt('2026-03-01T12:00:00.000Z');
    const subject = freshSubject();

    const decisions = [];
    for (let i = 0; i < 5; i++) decisions.push(await limiter.check({ policy, subject }));

    expect(decisions.map((d) => d.allowed)).toEqual([true, true, true, false, false]);
    expect(decisions[3]?.resetSeconds).toBeGreaterThanOrEqual(1);
    expect(decisions[3]?.resetSeconds).toBeLessThanOrEqual(60);
  });

  it('allows again once the window has passed on the injected clock', async () => {
    const { limiter, advanceSeconds } = limiterAt('2026-03-01T12:00:00.000Z');
    const subject = freshSubject();
    for (let i = 0; i < 3; i++) await limiter.check({ policy, subject });
    const refused = await limiter.check({ policy, subject });

    advanceSeconds(refused.resetSeconds);
    const decision = await limiter.check({ policy, subject });

    expect(decision).toMatchObject({ allowed: true, remaining: 2 });
  });

  it('leaves the counter at the limit when it refuses', async () => {
    const { limiter, now } = limiterAt('2026-03-01T12:00:00.000Z');
    const subject = freshSubject();
    for (let i = 0; i < 6; i++) await limiter.check({ policy, subject });

    const { item } = await windowItem(subject, now());

    expect(item?.hits).toBe(3);
  });

  it("stores one item per window that expires by the table's TTL after its window", async () => {
    const { limiter, now } = limiterAt('2026-03-01T12:00:00.000Z');
    const subject = freshSubject();
    await limiter.check({ policy, subject });

    const { item, slot } = await windowItem(subject, now());

    expect(item).toMatchObject({ type: 'rate-limit-window', hits: 1 });
    expect(item?.ttl).toBeGreaterThan(slot.windowEnd / 1000);
  });

  it('throws a 429 with Retry-After from enforce once a limit is reached', async () => {
    const { limiter } = limiterAt('2026-03-01T12:00:00.000Z');
    const subject = freshSubject();
    for (let i = 0; i < 3; i++) await limiter.enforce([{ policy, subject }]);

    const error = await limiter.enforce([{ policy, subject }]).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(RateLimitedError);
    expect((error as RateLimitedError).headers['retry-after']).toMatch(/^\d+$/);
  });
});
