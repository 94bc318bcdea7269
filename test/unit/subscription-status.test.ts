import { describe, expect, it } from 'vitest';
import { subscriptionStatusSchema } from '#shared/billing/billing.schema.ts';
import { effectivePlan } from '#shared/billing/entitlements.ts';
import {
  countsForMrr,
  grantsPaidPlan,
  isLiveStatus,
  LIVE_STATUSES,
  MRR_STATUSES,
  PAID_PLAN_STATUSES,
} from '#shared/billing/subscription-status.ts';
import { recurringAmountOf } from '#shared/billing/webhooks/amount.ts';
import { isLive as isLiveForLifecycle } from '#shared/billing/webhooks/transitions.ts';

describe('live subscription statuses', () => {
  it('are trialing, active, past_due and unpaid', () => {
    expect([...LIVE_STATUSES].sort()).toEqual(['active', 'past_due', 'trialing', 'unpaid']);
  });

  it.each(['none', 'incomplete', 'incomplete_expired', 'canceled', 'paused'] as const)(
    'do not include %s',
    (status) => {
      expect(isLiveStatus(status)).toBe(false);
    },
  );

  it('name only statuses Stripe has', () => {
    for (const status of LIVE_STATUSES) expect(subscriptionStatusSchema().options).toContain(status);
  });
});

describe('statuses that grant the paid plan', () => {
  it('are the live ones except unpaid, which has fallen to the free plan', () => {
    expect([...PAID_PLAN_STATUSES].sort()).toEqual(['active', 'past_due', 'trialing']);
    expect([...PAID_PLAN_STATUSES].every((status) => LIVE_STATUSES.has(status))).toBe(true);
  });

  it('decide the effective plan', () => {
    for (const status of subscriptionStatusSchema().options) {
      expect(effectivePlan({ plan: 'team', status })).toBe(grantsPaidPlan(status) ? 'team' : 'free');
    }
  });

  it('decide the lifecycle events of the webhook', () => {
    for (const status of subscriptionStatusSchema().options) {
      expect(isLiveForLifecycle(status)).toBe(grantsPaidPlan(status));
    }
  });
});

describe('statuses that count for MRR', () => {
  it('are active and past_due only: a trial has paid nothing yet', () => {
    expect([...MRR_STATUSES].sort()).toEqual(['active', 'past_due']);
    expect([...MRR_STATUSES].every((status) => PAID_PLAN_STATUSES.has(status))).toBe(true);
  });

  it('decide whether the recurring amount of a paid plan counts', () => {
    for (const status of subscriptionStatusSchema().options) {
      const amount = recurringAmountOf({
        plan: 'team',
        status,
        monthlyAmount: { amount: 2900, currency: 'usd' },
      });
      expect(amount.amount > 0).toBe(countsForMrr(status));
    }
  });
});
