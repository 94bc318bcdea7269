import * as z from 'zod';
import { lazyValue } from '../app/deferred.ts';

/** Stripe's subscription statuses (API version 2025-03-31.basil), as its objects carry them. */
export const stripeSubscriptionStatuses = [
  'incomplete',
  'incomplete_expired',
  'trialing',
  'active',
  'past_due',
  'unpaid',
  'canceled',
  'paused',
] as const;

/**
 * Stripe's subscription statuses, plus `none` for a tenant that never subscribed (free plan). A
 * module of its own, apart from billing.schema.ts, so that the subscription events and the Stripe
 * gateway use it without building billing's route schemas at a function's cold start.
 */
export const subscriptionStatusSchema = /* @__PURE__ */ lazyValue(() =>
  z.enum(['none', ...stripeSubscriptionStatuses]),
);
export type SubscriptionStatus = z.infer<ReturnType<typeof subscriptionStatusSchema>>;
