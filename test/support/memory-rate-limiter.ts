import type { Clock } from '#shared/ids.ts';
import { createRateLimiter, type RateLimiter, type WindowCounter } from '#shared/ratelimit/rate-limiter.ts';

/**
 * Window counters in a Map, with the same contract as the DynamoDB counter (a refused increment
 * changes nothing), for unit tests of the limiter and of the services that use it.
 */
export function createMemoryWindowCounter(): WindowCounter & { readonly counts: Map<string, number> } {
  const counts = new Map<string, number>();
  return {
    counts,
    async increment(slot, cost, limit) {
      const key = `${slot.policy}|${slot.subject}|${slot.windowStart}`;
      const next = (counts.get(key) ?? 0) + cost;
      if (next > limit) return undefined;
      counts.set(key, next);
      return next;
    },
  };
}

/** A limiter whose counters live in memory, on the given clock (default: the system clock). */
export function memoryRateLimiter(clock: Clock = () => new Date()): RateLimiter {
  return createRateLimiter({ counter: createMemoryWindowCounter(), clock });
}
