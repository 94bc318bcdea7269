import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SubscriptionStatus } from '#shared/billing/billing.schema.ts';
import type { PlanId } from '#shared/billing/plans.ts';
import {
  applyDiscounts,
  type DiscountTerms,
  monthlyAmountOf,
  recurringAmountOf,
} from '#shared/billing/webhooks/amount.ts';

const monthly = (unitAmount: number, quantity = 1) => ({
  unitAmount,
  quantity,
  interval: 'month' as const,
  intervalCount: 1,
});
const yearly = (unitAmount: number, quantity = 1) => ({
  unitAmount,
  quantity,
  interval: 'year' as const,
  intervalCount: 1,
});

const discountArb: fc.Arbitrary<DiscountTerms> = fc.oneof(
  fc.record({ percentOff: fc.double({ min: 0, max: 100, noNaN: true }) }),
  fc.record({ amountOff: fc.integer({ min: 0, max: 10_000_000 }), currency: fc.constant('usd') }),
);

describe('monthlyAmountOf', () => {
  it('is unit amount times quantity for a monthly price', () => {
    expect(monthlyAmountOf({ currency: 'usd', items: [monthly(2900, 4)] })).toBe(11_600);
  });

  it('divides a yearly price by twelve', () => {
    expect(monthlyAmountOf({ currency: 'usd', items: [yearly(29_000)] })).toBe(2417);
  });

  it('respects interval_count (every 3 months, every 2 years)', () => {
    expect(monthlyAmountOf({ currency: 'usd', items: [{ ...monthly(9000), intervalCount: 3 }] })).toBe(3000);
    expect(monthlyAmountOf({ currency: 'usd', items: [{ ...yearly(48_000), intervalCount: 2 }] })).toBe(2000);
  });

  it('normalises weekly and daily prices to a month', () => {
    expect(monthlyAmountOf({ currency: 'usd', items: [{ ...monthly(1200), interval: 'week' }] })).toBe(5200);
    expect(monthlyAmountOf({ currency: 'usd', items: [{ ...monthly(120), interval: 'day' }] })).toBe(3650);
  });

  it('sums several items', () => {
    expect(monthlyAmountOf({ currency: 'usd', items: [monthly(2900, 2), monthly(500, 3)] })).toBe(7300);
  });

  it('applies a percent-off subscription discount', () => {
    expect(
      monthlyAmountOf({ currency: 'usd', items: [monthly(10_000)], discounts: [{ percentOff: 25 }] }),
    ).toBe(7500);
  });

  it('takes an amount-off discount off each billing period before normalising', () => {
    const amount = monthlyAmountOf({
      currency: 'usd',
      items: [yearly(29_000)],
      discounts: [{ amountOff: 5000, currency: 'usd' }],
    });
    expect(amount).toBe(2000);
  });

  it('ignores an amount-off discount in another currency', () => {
    const amount = monthlyAmountOf({
      currency: 'usd',
      items: [monthly(2900)],
      discounts: [{ amountOff: 1000, currency: 'eur' }],
    });
    expect(amount).toBe(2900);
  });

  it('applies item discounts before subscription discounts', () => {
    const amount = monthlyAmountOf({
      currency: 'usd',
      items: [{ ...monthly(10_000), discounts: [{ amountOff: 2000, currency: 'usd' }] }],
      discounts: [{ percentOff: 50 }],
    });
    expect(amount).toBe(4000);
  });

  it('is zero for a subscription without items', () => {
    expect(monthlyAmountOf({ currency: 'usd', items: [] })).toBe(0);
  });

  it('keeps an annual price within rounding of twelve monthly equivalents (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 100_000_000 }),
        fc.integer({ min: 1, max: 500 }),
        (annual, quantity) => {
          const amount = monthlyAmountOf({ currency: 'usd', items: [yearly(annual, quantity)] });
          expect(Math.abs(amount * 12 - annual * quantity)).toBeLessThanOrEqual(6);
        },
      ),
    );
  });

  it('never goes below zero, whatever the discounts (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.integer({ min: 0, max: 100 }),
        fc.constantFrom('month' as const, 'year' as const, 'week' as const, 'day' as const),
        fc.array(discountArb, { maxLength: 4 }),
        fc.array(discountArb, { maxLength: 4 }),
        (unitAmount, quantity, interval, itemDiscounts, discounts) => {
          const amount = monthlyAmountOf({
            currency: 'usd',
            items: [{ unitAmount, quantity, interval, intervalCount: 1, discounts: itemDiscounts }],
            discounts,
          });
          expect(amount).toBeGreaterThanOrEqual(0);
          expect(Number.isInteger(amount)).toBe(true);
        },
      ),
    );
  });

  it('never raises the amount with a discount (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.integer({ min: 1, max: 50 }),
        fc.array(discountArb, { minLength: 1, maxLength: 4 }),
        (unitAmount, quantity, discounts) => {
          const full = monthlyAmountOf({ currency: 'usd', items: [monthly(unitAmount, quantity)] });
          const discounted = monthlyAmountOf({
            currency: 'usd',
            items: [monthly(unitAmount, quantity)],
            discounts,
          });
          expect(discounted).toBeLessThanOrEqual(full);
        },
      ),
    );
  });
});

describe('applyDiscounts', () => {
  it('stops at zero when an amount off exceeds the amount', () => {
    expect(applyDiscounts(1000, [{ amountOff: 5000 }], 'usd')).toBe(0);
  });

  it('takes everything with a 100 % coupon', () => {
    expect(applyDiscounts(1000, [{ percentOff: 100 }], 'usd')).toBe(0);
  });
});

describe('recurringAmountOf (MRR by status)', () => {
  const state = (status: SubscriptionStatus, plan: PlanId = 'team') => ({
    status,
    plan,
    monthlyAmount: { amount: 2900, currency: 'usd' },
  });

  it.each(['active', 'past_due'] as const)('counts a %s subscription at its monthly amount', (status) => {
    expect(recurringAmountOf(state(status))).toEqual({ amount: 2900, currency: 'usd' });
  });

  it.each(['trialing', 'incomplete', 'incomplete_expired', 'unpaid', 'paused', 'canceled', 'none'] as const)(
    'counts a %s subscription as zero, in its currency',
    (status) => {
      expect(recurringAmountOf(state(status))).toEqual({ amount: 0, currency: 'usd' });
    },
  );

  it('counts the free plan as zero whatever its status', () => {
    expect(recurringAmountOf(state('active', 'free')).amount).toBe(0);
  });
});
