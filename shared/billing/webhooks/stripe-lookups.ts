import type Stripe from 'stripe';
import { couponSchema, subscriptionSchema } from './stripe-objects.ts';
import type { ResolvedDiscount } from './subscription-snapshot.ts';
import type { StripeLookups } from './webhook.deps.ts';

const idOf = (value: string | { id: string } | null | undefined): string | undefined =>
  typeof value === 'string' ? value : value?.id;

function resolvedDiscount(discount: string | Stripe.Discount): ResolvedDiscount | undefined {
  if (typeof discount === 'string') return undefined;
  const coupon = couponSchema().safeParse(discount.source.coupon);
  return coupon.success ? { id: discount.id, end: discount.end, coupon: coupon.data } : undefined;
}

/**
 * The Stripe reads the webhook makes when a payload only names what it needs (reads only, so no
 * idempotency keys). A failure propagates: the webhook answers 5xx and Stripe retries the event.
 */
export function createStripeLookups(stripe: Stripe): StripeLookups {
  return {
    async invoiceChargeIds(invoiceId) {
      const payments = await stripe.invoicePayments.list({
        invoice: invoiceId,
        status: 'paid',
        limit: 10,
        expand: ['data.payment.payment_intent'],
      });
      const ids = payments.data.map((payment) => {
        const intent = payment.payment.payment_intent;
        return (
          idOf(payment.payment.charge) ??
          (typeof intent === 'object' ? idOf(intent?.latest_charge) : undefined)
        );
      });
      return [...new Set(ids.filter((id): id is string => typeof id === 'string' && id.startsWith('ch_')))];
    },

    async subscriptionDiscounts(subscriptionId) {
      const subscription = await stripe.subscriptions.retrieve(subscriptionId, {
        expand: ['discounts.source.coupon', 'items.data.discounts.source.coupon'],
      });
      const all = [...subscription.discounts, ...subscription.items.data.flatMap((item) => item.discounts)];
      return all.map(resolvedDiscount).filter((d): d is ResolvedDiscount => d !== undefined);
    },

    async currentSubscription(subscriptionId) {
      const subscription = await stripe.subscriptions.retrieve(subscriptionId, {
        expand: ['discounts.source.coupon', 'items.data.discounts.source.coupon'],
      });
      const parsed = subscriptionSchema().safeParse(subscription);
      if (!parsed.success) {
        throw new Error(`Stripe answered subscription ${subscriptionId} in a shape Plinth does not read`, {
          cause: parsed.error,
        });
      }
      return parsed.data;
    },

    async chargeOwner(chargeId) {
      const charge = await stripe.charges.retrieve(chargeId);
      return { customerId: idOf(charge.customer) ?? null, metadata: charge.metadata ?? {} };
    },
  };
}
