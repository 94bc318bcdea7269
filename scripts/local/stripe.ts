import { randomBytes } from 'node:crypto';
import type { PriceIds } from '../../shared/billing/plans.ts';

/**
 * Stripe settings of the local stack and the tests. stripe-mock accepts any key that looks like a
 * test key and any id that looks like a price, and keeps no state, so these are fixed values; a
 * deployed stage reads its own from configuration (see README, "Stripe configuration").
 */

/** The secret key the handlers use against stripe-mock. */
export const LOCAL_STRIPE_SECRET_KEY = 'sk_test_123';

/** `STRIPE_PRICE_IDS` of the local stack and the tests: one fixed map, imported from here only. */
export const localPriceIds: PriceIds = {
  team: { month: 'price_plinth_team_month', year: 'price_plinth_team_year' },
  business: { month: 'price_plinth_business_month', year: 'price_plinth_business_year' },
};

/** Days of full access after a failed payment, locally and in tests (the deployed default too). */
export const LOCAL_BILLING_GRACE_DAYS = 7;

/** A fresh webhook signing secret (`whsec_…`): one per local stack or test stack. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(24).toString('base64url')}`;
}

export interface LocalStripe {
  /** stripe-mock's address, e.g. `http://127.0.0.1:12111`. */
  readonly apiUrl: string;
  /** The secret the webhook endpoint verifies signatures with (`whsec_…`). */
  readonly webhookSecret: string;
}

/** The billing variables the handlers read (shared/billing/billing.env.ts) for a local stack. */
export function stripeEnvironment(stripe: LocalStripe): Record<string, string> {
  return {
    STRIPE_API_URL: stripe.apiUrl,
    STRIPE_SECRET_KEY: LOCAL_STRIPE_SECRET_KEY,
    STRIPE_WEBHOOK_SECRET: stripe.webhookSecret,
    STRIPE_PRICE_IDS: JSON.stringify(localPriceIds),
    BILLING_GRACE_DAYS: String(LOCAL_BILLING_GRACE_DAYS),
  };
}
