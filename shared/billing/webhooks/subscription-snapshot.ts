import type { Money, SubscriptionStatus } from '../billing.schema.ts';
import { type BillingInterval, type PaidPlanId, type PriceIds, planForPrice, planRank } from '../plans.ts';
import { type DiscountTerms, monthlyAmountOf, type PricedItem } from './amount.ts';
import type { StripeCoupon, StripeDiscount, StripePrice, StripeSubscription } from './stripe-objects.ts';

/** What the product mirrors of a Stripe subscription at one moment. */
export interface SubscriptionSnapshot {
  readonly subscriptionId: string;
  readonly customerId: string;
  readonly status: Exclude<SubscriptionStatus, 'none'>;
  readonly plan: PaidPlanId;
  readonly interval: BillingInterval;
  readonly currentPeriodEnd: string | null;
  readonly cancelAtPeriodEnd: boolean;
  readonly trialEnd: string | null;
  readonly monthlyAmount: Money;
  /**
   * An operator's comp running at the snapshot's time (a discount whose coupon carries
   * `plinthComp: 'true'`), with what the subscription charges a month without it.
   */
  readonly comp?: SnapshotComp | null;
}

/** A running comp as a subscription snapshot sees it. */
export interface SnapshotComp {
  readonly couponId: string;
  readonly discountId: string;
  /** When Stripe ends the discount (ISO), if it says. */
  readonly endsAt: string | null;
  /** The monthly amount without the comp: the MRR the subscription returns to when it ends. */
  readonly regularMonthlyAmount: Money;
}

/** Whether a coupon is one of Plinth's comps (shared/admin/billing/admin-billing.service.ts creates them). */
export const isCompCoupon = (coupon: { readonly metadata?: Readonly<Record<string, string>> }): boolean =>
  coupon.metadata?.plinthComp === 'true';

/** A discount with its coupon, as fetched from Stripe when the payload only named it. */
export interface ResolvedDiscount {
  readonly id: string;
  readonly end: number | null;
  readonly coupon: Omit<StripeCoupon, 'metadata'> & { readonly metadata?: StripeCoupon['metadata'] };
}

/** 500: the subscription charges a price this stage does not sell (check `STRIPE_PRICE_IDS`). */
export class UnknownPriceError extends Error {
  constructor(subscriptionId: string, priceIds: readonly string[]) {
    super(
      `Subscription ${subscriptionId} charges no known price (${priceIds.join(', ')}); check STRIPE_PRICE_IDS.`,
    );
    this.name = 'UnknownPriceError';
  }
}

export const isoFromEpoch = (seconds: number): string => new Date(seconds * 1000).toISOString();

function inlineDiscount(discount: StripeDiscount): ResolvedDiscount | undefined {
  if (typeof discount === 'string') return undefined;
  const coupon = discount.source?.coupon;
  if (!coupon || typeof coupon === 'string') return undefined;
  return { id: discount.id, end: discount.end ?? null, coupon };
}

const discountId = (discount: StripeDiscount): string =>
  typeof discount === 'string' ? discount : discount.id;

/**
 * The discounts of a subscription (its own and its items') whose coupon the payload does not
 * carry: webhooks name discounts by id, so their terms must be fetched to compute the amount.
 */
export function discountsToResolve(subscription: StripeSubscription): string[] {
  const all = [
    ...(subscription.discounts ?? []),
    ...subscription.items.data.flatMap((item) => item.discounts ?? []),
  ];
  return [...new Set(all.filter((d) => !inlineDiscount(d)).map(discountId))];
}

/**
 * The discounts that lower the recurring amount at `at`: `forever` and `repeating` coupons until
 * their end. A `once` coupon lowers one invoice, not the recurring amount.
 */
function activeDiscounts(
  discounts: readonly StripeDiscount[] | null | undefined,
  resolved: ReadonlyMap<string, ResolvedDiscount>,
  at: number,
): ResolvedDiscount[] {
  const active: ResolvedDiscount[] = [];
  for (const discount of discounts ?? []) {
    const known = inlineDiscount(discount) ?? resolved.get(discountId(discount));
    if (!known) continue;
    if (known.coupon.duration === 'once') continue;
    if (known.end != null && known.end <= at) continue;
    active.push(known);
  }
  return active;
}

/** The terms of the discounts that lower the recurring amount at `at`, except `excluded` (a comp's). */
function termsOf(
  discounts: readonly StripeDiscount[] | null | undefined,
  resolved: ReadonlyMap<string, ResolvedDiscount>,
  at: number,
  excluded?: string,
): DiscountTerms[] {
  const terms: DiscountTerms[] = [];
  for (const known of activeDiscounts(discounts, resolved, at)) {
    if (known.id === excluded) continue;
    terms.push({
      percentOff: known.coupon.percent_off,
      amountOff: known.coupon.amount_off,
      currency: known.coupon.currency,
    });
  }
  return terms;
}

function unitAmountOf(price: StripePrice): number {
  if (price.unit_amount != null) return price.unit_amount;
  const decimal = price.unit_amount_decimal == null ? Number.NaN : Number(price.unit_amount_decimal);
  // Tiered or custom prices have no unit amount; Plinth sells per-unit prices only.
  return Number.isFinite(decimal) ? decimal : 0;
}

function quantityOf(price: StripePrice, quantity: number): number {
  const transform = price.transform_quantity;
  if (!transform) return quantity;
  const divided = quantity / transform.divide_by;
  return transform.round === 'up' ? Math.ceil(divided) : Math.floor(divided);
}

/**
 * Reads a subscription payload into the mirrored snapshot: plan and interval from the item whose
 * price this stage sells (the highest plan if several), the latest item period end, and the
 * monthly-normalised amount at the event's time `at` (epoch seconds).
 */
export function snapshotOf(
  subscription: StripeSubscription,
  options: {
    readonly priceIds: PriceIds;
    readonly resolvedDiscounts?: ReadonlyMap<string, ResolvedDiscount>;
    readonly at: number;
  },
): SubscriptionSnapshot {
  const resolved = options.resolvedDiscounts ?? new Map<string, ResolvedDiscount>();
  const items = subscription.items.data;
  const sold = items
    .map((item) => planForPrice(options.priceIds, item.price.id))
    .filter((match) => match !== undefined)
    .sort((a, b) => planRank[b.plan] - planRank[a.plan]);
  const chosen = sold[0];
  if (!chosen) {
    throw new UnknownPriceError(
      subscription.id,
      items.map((item) => item.price.id),
    );
  }

  const compDiscount = [
    ...activeDiscounts(subscription.discounts, resolved, options.at),
    ...items.flatMap((item) => activeDiscounts(item.discounts, resolved, options.at)),
  ].find((discount) => isCompCoupon(discount.coupon));
  const amountWithout = (excluded: string | undefined) =>
    monthlyAmountOf({
      currency: subscription.currency,
      items: items.flatMap((item): PricedItem[] => {
        const recurring = item.price.recurring;
        if (!recurring) return [];
        return [
          {
            unitAmount: unitAmountOf(item.price),
            quantity: quantityOf(item.price, item.quantity ?? 1),
            interval: recurring.interval,
            intervalCount: recurring.interval_count,
            discounts: termsOf(item.discounts, resolved, options.at, excluded),
          },
        ];
      }),
      discounts: termsOf(subscription.discounts, resolved, options.at, excluded),
    });
  const amount = amountWithout(undefined);
  const comp: SnapshotComp | null = compDiscount
    ? {
        couponId: compDiscount.coupon.id,
        discountId: compDiscount.id,
        endsAt: compDiscount.end == null ? null : isoFromEpoch(compDiscount.end),
        regularMonthlyAmount: { amount: amountWithout(compDiscount.id), currency: subscription.currency },
      }
    : null;

  const periodEnds = items.map((item) => item.current_period_end);
  return {
    subscriptionId: subscription.id,
    customerId: subscription.customer,
    status: subscription.status,
    plan: chosen.plan,
    interval: chosen.interval,
    currentPeriodEnd: periodEnds.length > 0 ? isoFromEpoch(Math.max(...periodEnds)) : null,
    cancelAtPeriodEnd: subscription.cancel_at_period_end || subscription.cancel_at != null,
    trialEnd: subscription.trial_end == null ? null : isoFromEpoch(subscription.trial_end),
    monthlyAmount: { amount, currency: subscription.currency },
    comp,
  };
}
