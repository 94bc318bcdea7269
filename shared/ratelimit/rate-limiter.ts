import { createHash } from 'node:crypto';
import type { Clock } from '../ids.ts';
import { RateLimitedError } from './rate-limit-headers.ts';

/**
 * The project's one rate limiter: a fixed window per limited thing, counted with exactly one
 * conditional write per check (see {@link WindowCounter}; DynamoDB in `window-counter.ts`).
 *
 * How it counts: time is cut into windows of `windowSeconds`; a check adds its `cost` to the
 * window's counter on condition that the counter stays within `limit`. A refused check adds
 * nothing, so hammering a limit does not push it further away; the next window starts from zero.
 * Windows start at an offset derived from the policy and subject, so not every subject's window
 * resets at the same second. As with any fixed window, up to twice `limit` can pass in a short
 * span around a window boundary; pick `limit` with that in mind.
 *
 * Use it from a use case (`enforce`) before anything is written, so a refused request changes
 * nothing; turn the decisions into response headers with `rateLimitHeaders`.
 */

/** What is limited, how much, per how long. */
export interface RateLimitPolicy {
  /**
   * Names the policy in keys and in the `RateLimit-Policy` header: lower-case letters, digits and
   * hyphens (e.g. `invitations-per-tenant`).
   */
  readonly name: string;
  /** Units allowed per window (at least 1). */
  readonly limit: number;
  /** Length of a window in seconds (at least 1). */
  readonly windowSeconds: number;
}

/** One limit to check: the policy, the thing it is counted for and what this request costs. */
export interface RateLimitCheck {
  readonly policy: RateLimitPolicy;
  /**
   * What is limited, e.g. a tenant id, a user id, a hashed email address. Never secret: it is
   * part of a table key. Use {@link hashedSubject} for personal data such as an email address.
   */
  readonly subject: string;
  /** Units this request uses (default 1; a batch of 10 tracking events may cost 10). */
  readonly cost?: number;
  /** The 429's message when this check refuses; a generic one naming the policy otherwise. */
  readonly refusal?: string;
}

/** The outcome of one check, with what the `RateLimit` and `Retry-After` headers need. */
export interface RateLimitDecision {
  readonly allowed: boolean;
  readonly policy: RateLimitPolicy;
  /** Units left in the current window after this check (0 when refused). */
  readonly remaining: number;
  /** Whole seconds until the current window ends and the quota is whole again (at least 1). */
  readonly resetSeconds: number;
}

/** One window of one subject, as the counter stores it. */
export interface WindowSlot {
  readonly policy: string;
  readonly subject: string;
  /** Epoch milliseconds at which the window starts. */
  readonly windowStart: number;
  /** Epoch milliseconds at which the window ends (the stored item may expire after this). */
  readonly windowEnd: number;
}

/** Where window counters live; one conditional increment per call. */
export interface WindowCounter {
  /**
   * Adds `cost` to the slot's counter if the counter stays at most `limit`, and returns the new
   * count; returns `undefined` (and changes nothing) when it would exceed `limit`.
   */
  increment(slot: WindowSlot, cost: number, limit: number): Promise<number | undefined>;
}

export interface RateLimiter {
  /** Counts one check: one conditional write. Throws a `RangeError` for a cost above the limit. */
  check(check: RateLimitCheck): Promise<RateLimitDecision>;
  /**
   * Counts the checks in order and stops at the first refusal, throwing {@link RateLimitedError}
   * (429, with `Retry-After` and the RateLimit headers of every check made). Put the narrowest
   * limit first: a refused check consumes nothing, but the checks before it stay counted.
   * Returns the decisions when all pass, for the success response's headers.
   */
  enforce(checks: readonly RateLimitCheck[]): Promise<RateLimitDecision[]>;
}

const NAME_PATTERN = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/** A subject for personal data (an email address): the table then holds a digest, not the address. */
export function hashedSubject(value: string): string {
  return createHash('sha256').update(value).digest('base64url').slice(0, 22);
}

/** Checks a policy's shape once, where it is defined, so a typo fails at cold start, not per request. */
export function definePolicy(policy: RateLimitPolicy): RateLimitPolicy {
  if (!NAME_PATTERN.test(policy.name)) {
    throw new Error(`Rate limit policy name "${policy.name}": use lower-case letters, digits and hyphens.`);
  }
  if (!Number.isInteger(policy.limit) || policy.limit < 1) {
    throw new Error(`Rate limit policy ${policy.name}: limit must be a positive integer.`);
  }
  if (!Number.isInteger(policy.windowSeconds) || policy.windowSeconds < 1) {
    throw new Error(`Rate limit policy ${policy.name}: windowSeconds must be a positive integer.`);
  }
  return policy;
}

/** Whole seconds (0 to windowSeconds - 1) by which this subject's windows are shifted. */
function offsetSeconds(policy: RateLimitPolicy, subject: string): number {
  const digest = createHash('sha256').update(`${policy.name}\n${subject}`).digest();
  return digest.readUInt32BE(0) % policy.windowSeconds;
}

/** The window of `subject` under `policy` that contains `now`. */
export function windowAt(policy: RateLimitPolicy, subject: string, now: Date): WindowSlot {
  const size = policy.windowSeconds * 1000;
  const offset = offsetSeconds(policy, subject) * 1000;
  const windowStart = Math.floor((now.getTime() - offset) / size) * size + offset;
  return { policy: policy.name, subject, windowStart, windowEnd: windowStart + size };
}

/** Whole seconds from `now` to the end of the window, at least 1 (a `Retry-After` of 0 invites a spin). */
export function secondsUntil(windowEnd: number, now: Date): number {
  return Math.max(1, Math.ceil((windowEnd - now.getTime()) / 1000));
}

/** The limiter over a counter store and a clock (inject a fake clock in tests). */
export function createRateLimiter(deps: { counter: WindowCounter; clock: Clock }): RateLimiter {
  const { counter, clock } = deps;

  async function check({ policy, subject, cost = 1 }: RateLimitCheck): Promise<RateLimitDecision> {
    if (!Number.isInteger(cost) || cost < 1 || cost > policy.limit) {
      throw new RangeError(
        `Rate limit ${policy.name}: cost ${cost} must be a whole number from 1 to the limit (${policy.limit}).`,
      );
    }
    const now = clock();
    const slot = windowAt(policy, subject, now);
    const count = await counter.increment(slot, cost, policy.limit);
    const resetSeconds = secondsUntil(slot.windowEnd, now);
    return count === undefined
      ? { allowed: false, policy, remaining: 0, resetSeconds }
      : { allowed: true, policy, remaining: policy.limit - count, resetSeconds };
  }

  return {
    check,
    async enforce(checks) {
      const decisions: RateLimitDecision[] = [];
      for (const item of checks) {
        const decision = await check(item);
        decisions.push(decision);
        if (!decision.allowed) {
          const { policy } = decision;
          throw new RateLimitedError(
            item.refusal ??
              `Rate limit ${policy.name} reached: ${policy.limit} per ${policy.windowSeconds} seconds.`,
            decisions,
          );
        }
      }
      return decisions;
    },
  };
}
