/**
 * The monthly-normalised recurring amount of a subscription, in minor units: what it is worth per
 * month for MRR. Per item `unit_amount × quantity` for its billing period, item discounts applied,
 * then the subscription's discounts on the sum, never below zero, then scaled to one month
 * (a year is 12 months, `interval_count` respected) and rounded once, at the end. Tax is not part of
 * a price's unit amount (exclusive tax), so it is excluded by construction.
 */

import type { BillingState, Money } from '../billing.schema.ts';
import { countsForMrr } from '../subscription-status.ts';

export type RecurringInterval = 'day' | 'week' | 'month' | 'year';

/** What a coupon takes off: a percentage, or a fixed amount per billing period in its currency. */
export interface DiscountTerms {
  readonly percentOff?: number | null | undefined;
  readonly amountOff?: number | null | undefined;
  /** Currency of `amountOff`; an amount in another currency does not apply. */
  readonly currency?: string | null | undefined;
}

export interface PricedItem {
  /** Minor units per unit and period; fractional for `unit_amount_decimal` prices. */
  readonly unitAmount: number;
  readonly quantity: number;
  readonly interval: RecurringInterval;
  readonly intervalCount: number;
  readonly discounts?: readonly DiscountTerms[];
}

/** Months in one interval: a week is 12/52 of a month, a day 12/365. */
const MONTHS_PER_INTERVAL: Readonly<Record<RecurringInterval, number>> = {
  day: 12 / 365,
  week: 12 / 52,
  month: 1,
  year: 12,
};

/** Applies discounts in order to an amount for one billing period; never below zero. */
export function applyDiscounts(
  amount: number,
  discounts: readonly DiscountTerms[],
  currency: string,
): number {
  let result = Math.max(0, amount);
  for (const discount of discounts) {
    if (discount.percentOff != null) {
      result *= 1 - Math.min(100, Math.max(0, discount.percentOff)) / 100;
    } else if (discount.amountOff != null && (discount.currency == null || discount.currency === currency)) {
      result -= Math.max(0, discount.amountOff);
    }
    result = Math.max(0, result);
  }
  return result;
}

function monthsOf(item: Pick<PricedItem, 'interval' | 'intervalCount'>): number {
  return MONTHS_PER_INTERVAL[item.interval] * Math.max(1, item.intervalCount);
}

/**
 * The monthly-normalised amount of a subscription's items (minor units, an integer ≥ 0).
 * Subscription-level discounts apply to the items' total for one billing period (Stripe requires
 * all items of a subscription to share an interval; the first item's is used to normalise).
 */
export function monthlyAmountOf(input: {
  readonly currency: string;
  readonly items: readonly PricedItem[];
  readonly discounts?: readonly DiscountTerms[];
}): number {
  const [first] = input.items;
  if (!first) return 0;
  let periodTotal = 0;
  for (const item of input.items) {
    const gross = Math.max(0, item.unitAmount) * Math.max(0, item.quantity);
    const net = applyDiscounts(gross, item.discounts ?? [], input.currency);
    // Items on another period than the first (not allowed by Stripe) are converted to its period.
    periodTotal += (net * monthsOf(first)) / monthsOf(item);
  }
  const discounted = applyDiscounts(periodTotal, input.discounts ?? [], input.currency);
  return Math.max(0, Math.round(discounted / monthsOf(first)));
}

/**
 * The MRR a billing state contributes (what the subscription events carry as `amount` and
 * `previousAmount`): its monthly-normalised amount while its status counts for MRR and its plan is
 * a paid one, zero otherwise, in the state's currency. `amount - previousAmount` is the MRR movement.
 */
export function recurringAmountOf(state: Pick<BillingState, 'status' | 'plan' | 'monthlyAmount'>): Money {
  const counts = countsForMrr(state.status) && state.plan !== 'free';
  return counts ? state.monthlyAmount : { amount: 0, currency: state.monthlyAmount.currency };
}
