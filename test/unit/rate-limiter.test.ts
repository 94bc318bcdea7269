import { describe, expect, it } from 'vitest';
import { RateLimitedError, rateLimitHeaders } from '#shared/ratelimit/rate-limit-headers.ts';
import {
  createRateLimiter,
  definePolicy,
  hashedSubject,
  type RateLimitDecision,
  windowAt,
} from '#shared/ratelimit/rate-limiter.ts';
import { createMemoryWindowCounter } from '../support/memory-rate-limiter.ts';

const START = new Date('2026-03-01T12:00:00.000Z');
const policy = definePolicy({ name: 'sends-per-tenant', limit: 3, windowSeconds: 60 });

/** A limiter on a clock the test moves, with counters in memory. */
function harness() {
  let now = START;
  const counter = createMemoryWindowCounter();
  const limiter = createRateLimiter({ counter, clock: () => now });
  return {
    limiter,
    counter,
    advanceSeconds: (seconds: number) => {
      now = new Date(now.getTime() + seconds * 1000);
    },
    now: () => now,
  };
}

const check = { policy, subject: 'tenant-a' };

describe('rate limiter: one fixed window', () => {
  it('allows up to the limit and counts the remaining units down', async () => {
    const { limiter } = harness();

    const decisions = [await limiter.check(check), await limiter.check(check), await limiter.check(check)];

    expect(decisions.map((d) => [d.allowed, d.remaining])).toEqual([
      [true, 2],
      [true, 1],
      [true, 0],
    ]);
  });

  it('refuses the request over the limit with nothing remaining', async () => {
    const { limiter } = harness();
    for (let i = 0; i < 3; i++) await limiter.check(check);

    const decision = await limiter.check(check);

    expect(decision).toMatchObject({ allowed: false, remaining: 0 });
  });

  it('says how many seconds are left until the window ends', async () => {
    const { limiter, now } = harness();
    const window = windowAt(policy, 'tenant-a', now());

    const decision = await limiter.check(check);

    expect(decision.resetSeconds).toBe(Math.ceil((window.windowEnd - now().getTime()) / 1000));
  });

  it('allows again once the window has passed', async () => {
    const { limiter, advanceSeconds } = harness();
    for (let i = 0; i < 4; i++) await limiter.check(check);
    const refused = await limiter.check(check);

    advanceSeconds(refused.resetSeconds);
    const decision = await limiter.check(check);

    expect(decision).toMatchObject({ allowed: true, remaining: 2 });
  });

  it('still refuses one second before the window ends', async () => {
    const { limiter, advanceSeconds } = harness();
    for (let i = 0; i < 3; i++) await limiter.check(check);
    const refused = await limiter.check(check);

    advanceSeconds(refused.resetSeconds - 1);

    expect(await limiter.check(check)).toMatchObject({ allowed: false, resetSeconds: 1 });
  });

  it('counts nothing for a refused request', async () => {
    const { limiter, counter } = harness();
    for (let i = 0; i < 3; i++) await limiter.check(check);

    await limiter.check(check);
    await limiter.check(check);

    expect([...counter.counts.values()]).toEqual([3]);
  });

  it('counts each subject on its own', async () => {
    const { limiter } = harness();
    for (let i = 0; i < 3; i++) await limiter.check(check);

    const other = await limiter.check({ policy, subject: 'tenant-b' });

    expect(other).toMatchObject({ allowed: true, remaining: 2 });
  });

  it('counts a request of several units as that many', async () => {
    const { limiter } = harness();
    await limiter.check({ ...check, cost: 2 });

    const decision = await limiter.check({ ...check, cost: 2 });

    expect(decision).toMatchObject({ allowed: false, remaining: 0 });
  });

  it('refuses a cost above the limit as a programming error', async () => {
    const { limiter } = harness();

    await expect(limiter.check({ ...check, cost: 4 })).rejects.toThrow(RangeError);
  });
});

describe('rate limiter: windows', () => {
  it('puts every instant in a window of the policy length that contains it', () => {
    for (const at of ['2026-03-01T12:00:00.000Z', '2026-03-01T12:00:59.999Z', '2026-07-09T03:14:15.926Z']) {
      const now = new Date(at);

      const window = windowAt(policy, 'tenant-a', now);

      expect(window.windowEnd - window.windowStart).toBe(60_000);
      expect(window.windowStart).toBeLessThanOrEqual(now.getTime());
      expect(window.windowEnd).toBeGreaterThan(now.getTime());
      expect(window.windowStart % 1000).toBe(0);
    }
  });

  it('spreads the window starts of different subjects over the window length', () => {
    const hourly = definePolicy({ name: 'hourly', limit: 1, windowSeconds: 3600 });
    const starts = new Set(
      Array.from({ length: 20 }, (_, i) => windowAt(hourly, `tenant-${i}`, START).windowStart),
    );

    expect(starts.size).toBeGreaterThan(10);
  });
});

describe('rate limiter: enforce', () => {
  const narrow = definePolicy({ name: 'per-user', limit: 1, windowSeconds: 60 });
  const wide = definePolicy({ name: 'per-tenant', limit: 5, windowSeconds: 60 });
  const checks = [
    { policy: narrow, subject: 'user-1', refusal: 'You sent too many.' },
    { policy: wide, subject: 'tenant-a' },
  ];

  it('returns every decision when all checks pass', async () => {
    const { limiter } = harness();

    const decisions = await limiter.enforce(checks);

    expect(decisions.map((d) => [d.policy.name, d.remaining])).toEqual([
      ['per-user', 0],
      ['per-tenant', 4],
    ]);
  });

  it('throws a 429 with the refusal and the wait at the first refusal', async () => {
    const { limiter } = harness();
    await limiter.enforce(checks);

    const attempt = limiter.enforce(checks);

    await expect(attempt).rejects.toBeInstanceOf(RateLimitedError);
    await expect(attempt).rejects.toMatchObject({
      status: 429,
      message: expect.stringMatching(/^You sent too many\. Try again in \d+ seconds?\.$/),
    });
  });

  it('sends Retry-After and the RateLimit fields of the checks made with the 429', async () => {
    const { limiter } = harness();
    await limiter.enforce(checks);

    const error = await limiter.enforce(checks).catch((e: unknown) => e);

    const refused = (error as RateLimitedError).decisions[0] as RateLimitDecision;
    expect((error as RateLimitedError).headers).toEqual({
      'retry-after': String(refused.resetSeconds),
      'ratelimit-policy': '"per-user";q=1;w=60',
      ratelimit: `"per-user";r=0;t=${refused.resetSeconds}`,
    });
  });

  it('does not count the checks after a refusal', async () => {
    const { limiter } = harness();
    await limiter.enforce(checks);
    await limiter.enforce(checks).catch(() => undefined);

    const tenant = await limiter.check({ policy: wide, subject: 'tenant-a' });

    expect(tenant.remaining).toBe(3);
  });
});

describe('rate limit headers', () => {
  it('lists every policy with its quota and window, and what is left of each', () => {
    const decisions: RateLimitDecision[] = [
      {
        allowed: true,
        policy: definePolicy({ name: 'a', limit: 3, windowSeconds: 60 }),
        remaining: 2,
        resetSeconds: 9,
      },
      {
        allowed: true,
        policy: definePolicy({ name: 'b', limit: 20, windowSeconds: 3600 }),
        remaining: 19,
        resetSeconds: 1800,
      },
    ];

    expect(rateLimitHeaders(decisions)).toEqual({
      'ratelimit-policy': '"a";q=3;w=60, "b";q=20;w=3600',
      ratelimit: '"a";r=2;t=9, "b";r=19;t=1800',
    });
  });

  it('sends no headers when nothing was checked', () => {
    expect(rateLimitHeaders([])).toEqual({});
  });
});

describe('rate limit policies and subjects', () => {
  it('refuses a policy name that is not lower-case letters, digits and hyphens', () => {
    expect(() => definePolicy({ name: 'Per#Tenant', limit: 1, windowSeconds: 60 })).toThrow(/policy name/);
  });

  it('refuses a limit below 1', () => {
    expect(() => definePolicy({ name: 'none', limit: 0, windowSeconds: 60 })).toThrow(/limit/);
  });

  it('keeps an email address out of the subject it hashes to', () => {
    const subject = hashedSubject('ada@example.com');

    expect(subject).not.toContain('ada');
    expect(subject).toBe(hashedSubject('ada@example.com'));
  });
});
