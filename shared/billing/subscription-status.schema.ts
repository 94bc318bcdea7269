import * as z from 'zod';
import { lazyValue } from '../app/deferred.ts';

/**
 * Stripe's subscription statuses, plus `none` for a tenant that never subscribed (free plan). A
 * module of its own, apart from billing.schema.ts, so that the subscription events and the Stripe
 * gateway use it without building billing's route schemas at a function's cold start.
 */
export const subscriptionStatusSchema = /* @__PURE__ */ lazyValue(() =>
  z.enum([
    'none',
    'incomplete',
    'incomplete_expired',
    'trialing',
    'active',
    'past_due',
    'unpaid',
    'canceled',
    'paused',
  ]),
);
export type SubscriptionStatus = z.infer<ReturnType<typeof subscriptionStatusSchema>>;
