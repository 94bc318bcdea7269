import { describe, expect, it } from 'vitest';
import { classifyChange } from '#shared/billing/billing.service.ts';
import type { BillingInterval, PlanId } from '#shared/billing/plans.ts';
import { idempotencyKey } from '#shared/billing/stripe-gateway.ts';

type Case = [PlanId, BillingInterval, PlanId, BillingInterval, string, string];

describe('plan change rules', () => {
  it.each<Case>([
    ['team', 'month', 'business', 'month', 'upgrade', 'now'],
    ['team', 'year', 'business', 'year', 'upgrade', 'now'],
    ['team', 'year', 'business', 'month', 'upgrade', 'now'],
    ['team', 'month', 'business', 'year', 'upgrade', 'now'],
    ['business', 'month', 'team', 'month', 'downgrade', 'period-end'],
    ['business', 'year', 'team', 'year', 'downgrade', 'period-end'],
    ['business', 'month', 'team', 'year', 'downgrade', 'period-end'],
    ['team', 'month', 'team', 'year', 'interval-change', 'now'],
    ['team', 'year', 'team', 'month', 'interval-change', 'period-end'],
    ['business', 'month', 'business', 'month', 'no-change', 'now'],
  ])('%s/%s → %s/%s is a %s effective %s', (fromPlan, fromInterval, toPlan, toInterval, kind, effective) => {
    // Act
    const change = classifyChange(
      { plan: fromPlan, interval: fromInterval },
      { plan: toPlan, interval: toInterval },
    );
    // Assess
    expect(change).toEqual({ kind, effective });
  });
});

describe('idempotency keys', () => {
  it('derives the same key from the same operation and inputs', () => {
    expect(idempotencyKey('refund', 't1', 'ch_1', 500)).toBe(idempotencyKey('refund', 't1', 'ch_1', 500));
  });

  it('derives different keys when any significant input differs', () => {
    const keys = new Set([
      idempotencyKey('refund', 't1', 'ch_1', 500),
      idempotencyKey('refund', 't2', 'ch_1', 500),
      idempotencyKey('refund', 't1', 'ch_2', 500),
      idempotencyKey('refund', 't1', 'ch_1', 501),
      idempotencyKey('checkout', 't1', 'ch_1', 500),
    ]);
    expect(keys.size).toBe(5);
  });

  it('does not confuse inputs that concatenate alike', () => {
    expect(idempotencyKey('op', 'ab', 'c')).not.toBe(idempotencyKey('op', 'a', 'bc'));
  });

  it('carries no input in clear and stays within Stripe’s 255 characters', () => {
    const key = idempotencyKey('checkout', 'tenant-secret-id', 'https://example.com/'.repeat(50));
    expect(key).not.toContain('tenant-secret-id');
    expect(key.length).toBeLessThanOrEqual(255);
  });
});
