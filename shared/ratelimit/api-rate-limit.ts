import * as z from 'zod';
import { lazyValue } from '../app/deferred.ts';
import { apiRequestsPerMinute, type PlanId, planIds } from '../billing/plans.ts';
import { definePolicy, type RateLimitCheck, type RateLimitPolicy } from './rate-limiter.ts';

/**
 * The API's request limit per tenant: one policy per plan, all counted in the same window counter
 * per tenant (`api-requests` policy name, so a plan change mid-window keeps the count and applies
 * the new plan's limit to it).
 */
export interface ApiRateLimits {
  /** Length of a window in seconds (60 unless an environment says otherwise). */
  readonly windowSeconds: number;
  /** The policy each effective plan is held to. */
  readonly policies: Readonly<Record<PlanId, RateLimitPolicy>>;
}

/** The policy name in the table key and in the `RateLimit-Policy` header. */
export const API_RATE_LIMIT_POLICY = 'api-requests';

/**
 * `API_RATE_LIMITS`: JSON replacing some or all of the catalogue's numbers for one environment,
 * `{"windowSeconds":60,"free":120,"team":600,"business":3000}` (every key optional). Built only when
 * the variable is set (every API function's cold start reads it; most environments leave it unset).
 */
const overridesSchema = /* @__PURE__ */ lazyValue(() =>
  z.strictObject({
    windowSeconds: z.number().int().min(1).max(3600).optional(),
    free: z.number().int().min(1).optional(),
    team: z.number().int().min(1).optional(),
    business: z.number().int().min(1).optional(),
  }),
);
type Overrides = z.infer<ReturnType<typeof overridesSchema>>;

/** The catalogue's limits (shared/billing/plans.ts `apiRequestsPerMinute`), per minute. */
export const catalogueApiRateLimits: ApiRateLimits = apiRateLimitsOf({});

function apiRateLimitsOf(overrides: Overrides): ApiRateLimits {
  const windowSeconds = overrides.windowSeconds ?? 60;
  const policies = {} as Record<PlanId, RateLimitPolicy>;
  for (const plan of planIds) {
    policies[plan] = definePolicy({
      name: API_RATE_LIMIT_POLICY,
      // Without a window override the catalogue's per-minute number is scaled to the window.
      limit: overrides[plan] ?? Math.max(1, Math.round((apiRequestsPerMinute[plan] * windowSeconds) / 60)),
      windowSeconds,
    });
  }
  return { windowSeconds, policies };
}

/**
 * Reads `API_RATE_LIMITS` (absent or empty: the catalogue). Throws naming the problem, so a typo
 * fails at cold start rather than leaving an environment unlimited.
 */
export function parseApiRateLimits(value: string | undefined): ApiRateLimits {
  if (value === undefined || value.trim() === '') return catalogueApiRateLimits;
  let json: unknown;
  try {
    json = JSON.parse(value);
  } catch (error) {
    throw new Error('API_RATE_LIMITS is not JSON.', { cause: error });
  }
  const parsed = overridesSchema().safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new Error(`API_RATE_LIMITS: ${problems.join('; ')}`);
  }
  return apiRateLimitsOf(parsed.data);
}

/** The check one tenant-scoped request makes: one unit of its tenant's effective plan's policy. */
export function apiRequestCheck(limits: ApiRateLimits, plan: PlanId, tenantId: string): RateLimitCheck {
  const policy = limits.policies[plan];
  return {
    policy,
    subject: tenantId,
    refusal: `This tenant has made ${policy.limit} API requests in ${policy.windowSeconds} seconds, the limit of its plan.`,
  };
}
