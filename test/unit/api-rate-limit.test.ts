import { describe, expect, it } from 'vitest';
import { apiRequestsPerMinute } from '#shared/billing/plans.ts';
import {
  API_RATE_LIMIT_POLICY,
  apiRequestCheck,
  catalogueApiRateLimits,
  parseApiRateLimits,
} from '#shared/ratelimit/api-rate-limit.ts';

describe('API rate limits per plan', () => {
  it('holds each plan to the catalogue number per minute when the environment sets none', () => {
    const limits = parseApiRateLimits(undefined);

    expect(limits.windowSeconds).toBe(60);
    expect(limits.policies.free.limit).toBe(apiRequestsPerMinute.free);
    expect(limits.policies.team.limit).toBe(apiRequestsPerMinute.team);
    expect(limits.policies.business.limit).toBe(apiRequestsPerMinute.business);
  });

  it('gives the larger plans the larger limits', () => {
    expect(apiRequestsPerMinute.free).toBeLessThan(apiRequestsPerMinute.team);
    expect(apiRequestsPerMinute.team).toBeLessThan(apiRequestsPerMinute.business);
  });

  it("takes an environment's numbers and window, keeping the catalogue's for plans it leaves out", () => {
    const limits = parseApiRateLimits('{"windowSeconds":60,"free":5}');

    expect(limits.policies.free).toEqual({ name: API_RATE_LIMIT_POLICY, limit: 5, windowSeconds: 60 });
    expect(limits.policies.team.limit).toBe(apiRequestsPerMinute.team);
  });

  it("scales the catalogue's per-minute numbers to a shorter window", () => {
    const limits = parseApiRateLimits('{"windowSeconds":30}');

    expect(limits.policies.business.limit).toBe(apiRequestsPerMinute.business / 2);
  });

  it('fails naming the key for a limit that is not a positive whole number', () => {
    expect(() => parseApiRateLimits('{"team":0}')).toThrow(/API_RATE_LIMITS: team:/);
  });

  it('fails for an unknown plan and for text that is not JSON', () => {
    expect(() => parseApiRateLimits('{"enterprise":10}')).toThrow(/API_RATE_LIMITS/);
    expect(() => parseApiRateLimits('free=10')).toThrow(/not JSON/);
  });

  it("counts a request once against its tenant under the plan's policy", () => {
    const check = apiRequestCheck(catalogueApiRateLimits, 'team', 'tenant-1');

    expect(check.subject).toBe('tenant-1');
    expect(check.cost ?? 1).toBe(1);
    expect(check.policy).toBe(catalogueApiRateLimits.policies.team);
  });
});
