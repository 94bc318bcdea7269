import * as z from 'zod';
import { lazyValue } from '../app/deferred.ts';

/**
 * The plan catalogue: what each plan costs and what it entitles a tenant to. Prices here are the
 * list prices shown to customers; the Stripe price ids that charge them are configuration per stage
 * (`STRIPE_PRICE_IDS`), never code.
 */
// The schemas below are `lazyValue`s marked `@__PURE__`, so that bundles which use none of them (most functions
// import this module for the catalogue alone) leave them out: see shared/http/common.schema.ts.
export const planIds = ['free', 'team', 'business'] as const;
export const planIdSchema = /* @__PURE__ */ lazyValue(() => z.enum(planIds));
export type PlanId = z.infer<ReturnType<typeof planIdSchema>>;

export const billingIntervalSchema = /* @__PURE__ */ lazyValue(() => z.enum(['month', 'year']));
export type BillingInterval = z.infer<ReturnType<typeof billingIntervalSchema>>;

/**
 * Every feature a plan can include: the catalogue is settled here once. `projects` and `audit-log`
 * are enforced today (the audit log is a 402 without it); `priority-support` sets a support
 * ticket's priority and response target (shared/support/support-policy.ts); `analytics`, `sso` and
 * `mfa-policy` are named for the work that will gate them and change nothing until their routes
 * exist.
 */
export const featureSchema = /* @__PURE__ */ lazyValue(() =>
  z.enum(['projects', 'audit-log', 'analytics', 'sso', 'mfa-policy', 'priority-support']),
);
export type Feature = z.infer<ReturnType<typeof featureSchema>>;

/** How error messages name a feature. */
export const featureNames: Readonly<Record<Feature, string>> = {
  projects: 'projects',
  'audit-log': 'the audit log',
  analytics: 'analytics',
  sso: 'single sign-on',
  'mfa-policy': 'the MFA policy',
  'priority-support': 'priority support',
};

export interface Entitlements {
  /** Active members the tenant may have. */
  readonly seats: number;
  /** Projects the tenant may have. */
  readonly projects: number;
  readonly features: readonly Feature[];
}

export interface Plan {
  readonly id: PlanId;
  readonly name: string;
  /** Minor units per interval; absent for the free plan, which has no Stripe subscription. */
  readonly prices?: Readonly<Record<BillingInterval, number>>;
  readonly currency: string;
  readonly entitlements: Entitlements;
}

export const plans: Readonly<Record<PlanId, Plan>> = {
  free: {
    id: 'free',
    name: 'Free',
    currency: 'usd',
    entitlements: { seats: 3, projects: 3, features: ['projects'] },
  },
  team: {
    id: 'team',
    name: 'Team',
    prices: { month: 2900, year: 29000 },
    currency: 'usd',
    entitlements: { seats: 10, projects: 25, features: ['projects', 'audit-log', 'analytics'] },
  },
  business: {
    id: 'business',
    name: 'Business',
    prices: { month: 9900, year: 99000 },
    currency: 'usd',
    entitlements: {
      seats: 50,
      projects: 250,
      features: ['projects', 'audit-log', 'analytics', 'sso', 'mfa-policy', 'priority-support'],
    },
  },
};

export type PaidPlanId = Exclude<PlanId, 'free'>;
export const paidPlanIdSchema = /* @__PURE__ */ lazyValue(() => z.enum(['team', 'business']));

/** Plans ordered from least to most: a change towards a later plan is an upgrade. */
export const planRank: Readonly<Record<PlanId, number>> = { free: 0, team: 1, business: 2 };

/** `STRIPE_PRICE_IDS`: `{"team":{"month":"price_…","year":"price_…"},"business":{…}}`. */
export type PriceIds = Readonly<Record<PaidPlanId, Readonly<Record<BillingInterval, string>>>>;

/**
 * Parses and checks the stage's price ids: exactly the paid plans, each with exactly both intervals,
 * every id a Stripe price id (`price_…`). Checked by hand rather than with a zod schema: the
 * billing functions parse it at cold start (billing.env.ts), where a zod parse is costly.
 */
export function parsePriceIds(json: string): PriceIds {
  const parsed: unknown = JSON.parse(json);
  const exactly = (value: unknown, keys: readonly string[], where: string): Record<string, unknown> => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new Error(`${where} must be an object`);
    }
    const found = Object.keys(value);
    const missing = keys.filter((k) => !found.includes(k)).map((k) => `missing ${k}`);
    const extra = found.filter((k) => !keys.includes(k)).map((k) => `unexpected ${k}`);
    if (missing.length + extra.length > 0) {
      throw new Error(
        `${where} must have exactly ${keys.join(' and ')} (${[...missing, ...extra].join(', ')})`,
      );
    }
    return value as Record<string, unknown>;
  };
  const intervals = ['month', 'year'] as const;
  const plansOf = exactly(parsed, ['team', 'business'], 'the map');
  for (const plan of ['team', 'business'] as const) {
    const prices = exactly(plansOf[plan], intervals, plan);
    for (const interval of intervals) {
      const id = prices[interval];
      if (typeof id !== 'string' || !id.startsWith('price_')) {
        throw new Error(`${plan}.${interval} must be a price id (price_…)`);
      }
    }
  }
  return parsed as PriceIds;
}

/** The plan and interval a Stripe price id charges for, or undefined for a price we do not sell. */
export function planForPrice(
  priceIds: PriceIds,
  priceId: string,
): { plan: PaidPlanId; interval: BillingInterval } | undefined {
  for (const plan of paidPlanIdSchema().options) {
    for (const interval of billingIntervalSchema().options) {
      if (priceIds[plan][interval] === priceId) return { plan, interval };
    }
  }
  return undefined;
}

/**
 * Invitation emails a tenant on each plan may send (new invitations and re-sends alike), enforced
 * by the rate limiter (shared/ratelimit) before anything is written: per tenant, per inviting user
 * (counted across all their tenants, held to the plan of the tenant they invite for), and per
 * recipient address within a tenant (so one address cannot be mailed over and over). Windows are
 * an hour. Like the entitlements, the effective plan's numbers apply.
 */
export interface InvitationSendLimits {
  readonly perTenantPerHour: number;
  readonly perUserPerHour: number;
  readonly perRecipientPerHour: number;
}

export const invitationSendLimits: Readonly<Record<PlanId, InvitationSendLimits>> = {
  free: { perTenantPerHour: 20, perUserPerHour: 20, perRecipientPerHour: 3 },
  team: { perTenantPerHour: 100, perUserPerHour: 50, perRecipientPerHour: 3 },
  business: { perTenantPerHour: 500, perUserPerHour: 200, perRecipientPerHour: 3 },
};

/**
 * API requests a tenant on each plan may make per minute, across all its members and all the API's
 * functions (every tenant-scoped route counts one), enforced where the tenant is resolved
 * (shared/tenancy/tenant-context.ts, counter in shared/ratelimit/api-rate-limit.ts). Like the
 * entitlements, the effective plan's number applies. An environment may replace them
 * (`API_RATE_LIMITS`, e.g. test stacks); these are the defaults.
 */
export const apiRequestsPerMinute: Readonly<Record<PlanId, number>> = {
  free: 120,
  team: 600,
  business: 3000,
};
