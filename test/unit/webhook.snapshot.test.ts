import { describe, expect, it } from 'vitest';
import type { PriceIds } from '#shared/billing/plans.ts';
import { subscriptionSchema } from '#shared/billing/webhooks/stripe-objects.ts';
import {
  discountsToResolve,
  snapshotOf,
  UnknownPriceError,
} from '#shared/billing/webhooks/subscription-snapshot.ts';
import {
  BASE_TIME,
  couponObject,
  DAY,
  discountObject,
  type SubscriptionInput,
  subscriptionObject,
} from '../support/stripe-events.ts';

const priceIds: PriceIds = {
  team: { month: 'price_team_m', year: 'price_team_y' },
  business: { month: 'price_business_m', year: 'price_business_y' },
};
const teamMonth = { id: 'price_team_m', unitAmount: 2900, interval: 'month' as const };
const businessYear = { id: 'price_business_y', unitAmount: 99_000, interval: 'year' as const };

const parse = (input: Partial<SubscriptionInput> = {}) =>
  subscriptionSchema().parse(
    subscriptionObject({ customer: 'cus_1', status: 'active', price: teamMonth, ...input }),
  );

describe('snapshotOf', () => {
  it('reads plan, interval, status and customer from the item whose price this stage sells', () => {
    const snapshot = snapshotOf(parse({ price: businessYear }), { priceIds, at: BASE_TIME });
    expect(snapshot).toMatchObject({
      plan: 'business',
      interval: 'year',
      status: 'active',
      customerId: 'cus_1',
    });
    expect(snapshot.monthlyAmount).toEqual({ amount: 8250, currency: 'usd' });
  });

  it('takes the current period end from the subscription items', () => {
    const snapshot = snapshotOf(parse({ currentPeriodEnd: BASE_TIME + 30 * DAY }), {
      priceIds,
      at: BASE_TIME,
    });
    expect(snapshot.currentPeriodEnd).toBe(new Date((BASE_TIME + 30 * DAY) * 1000).toISOString());
  });

  it('multiplies by the quantity', () => {
    expect(snapshotOf(parse({ quantity: 3 }), { priceIds, at: BASE_TIME }).monthlyAmount.amount).toBe(8700);
  });

  it('reads the trial end and a cancellation at period end', () => {
    const snapshot = snapshotOf(
      parse({ status: 'trialing', trialEnd: BASE_TIME + 14 * DAY, cancelAtPeriodEnd: true }),
      {
        priceIds,
        at: BASE_TIME,
      },
    );
    expect(snapshot.trialEnd).toBe(new Date((BASE_TIME + 14 * DAY) * 1000).toISOString());
    expect(snapshot.cancelAtPeriodEnd).toBe(true);
  });

  it('fails loudly for a price this stage does not sell', () => {
    const subscription = parse({ price: { ...teamMonth, id: 'price_unknown' } });
    expect(() => snapshotOf(subscription, { priceIds, at: BASE_TIME })).toThrow(UnknownPriceError);
  });

  it('applies an expanded forever discount', () => {
    const discount = discountObject({ coupon: couponObject({ percentOff: 20 }) });
    const snapshot = snapshotOf(parse({ discounts: [discount] }), { priceIds, at: BASE_TIME });
    expect(snapshot.monthlyAmount.amount).toBe(2320);
  });

  it('leaves out a once coupon and a discount that has ended', () => {
    const once = discountObject({ coupon: couponObject({ percentOff: 50, duration: 'once' }) });
    const ended = discountObject({
      coupon: couponObject({ amountOff: 500, duration: 'repeating' }),
      end: BASE_TIME - 1,
    });
    const snapshot = snapshotOf(parse({ discounts: [once, ended] }), { priceIds, at: BASE_TIME });
    expect(snapshot.monthlyAmount.amount).toBe(2900);
  });

  it('lists discounts named only by id, and applies them once resolved', () => {
    const subscription = parse({ discounts: ['di_only_an_id'] });
    expect(discountsToResolve(subscription)).toEqual(['di_only_an_id']);
    const coupon = { id: 'c1', percent_off: null, amount_off: 900, currency: 'usd', duration: 'forever' };
    const resolved = new Map([['di_only_an_id', { id: 'di_only_an_id', end: null, coupon }]]);
    expect(
      snapshotOf(subscription, { priceIds, at: BASE_TIME, resolvedDiscounts: resolved }).monthlyAmount.amount,
    ).toBe(2000);
  });

  it('needs nothing resolved when every discount is expanded', () => {
    const discount = discountObject({ coupon: couponObject({ percentOff: 10 }) });
    expect(discountsToResolve(parse({ discounts: [discount] }))).toEqual([]);
  });

  it('sees a comp in a discount whose coupon carries the comp mark, with the amount without it', () => {
    const coupon = {
      ...couponObject({ percentOff: 100, duration: 'repeating' }),
      metadata: { plinthComp: 'true' },
    };
    const comp = discountObject({ coupon, end: BASE_TIME + 60 * DAY });
    const partial = discountObject({ coupon: couponObject({ percentOff: 10 }) });
    const snapshot = snapshotOf(parse({ discounts: [partial, comp] }), { priceIds, at: BASE_TIME });
    expect(snapshot.monthlyAmount.amount).toBe(0);
    expect(snapshot.comp).toEqual({
      couponId: coupon.id,
      discountId: comp.id,
      endsAt: new Date((BASE_TIME + 60 * DAY) * 1000).toISOString(),
      regularMonthlyAmount: { amount: 2610, currency: 'usd' },
    });
  });

  it('sees no comp once its discount has ended', () => {
    const coupon = {
      ...couponObject({ percentOff: 100, duration: 'repeating' }),
      metadata: { plinthComp: 'true' },
    };
    const comp = discountObject({ coupon, end: BASE_TIME - 1 });
    const snapshot = snapshotOf(parse({ discounts: [comp] }), { priceIds, at: BASE_TIME });
    expect(snapshot).toMatchObject({ comp: null, monthlyAmount: { amount: 2900 } });
  });
});
