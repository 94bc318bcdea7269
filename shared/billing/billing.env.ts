import { anyValue, environmentReader, startsWith, url, wholeNumber } from '../config/env-rules.ts';
import { type PriceIds, parsePriceIds } from './plans.ts';
import { readStripeClientEnv, type StripeClientEnv } from './stripe-client.env.ts';

/**
 * Billing configuration, read once per container by the functions that talk to Stripe. Secrets
 * come either as plain values (local: stripe-mock's key and the dev webhook secret) or as the names
 * of SSM SecureString parameters (deployed: `/plinth/<stage>/stripe/...`), resolved at cold start.
 */
export interface BillingEnv extends StripeClientEnv {
  readonly STRIPE_WEBHOOK_SECRET: string | undefined;
  readonly STRIPE_WEBHOOK_SECRET_PARAMETER: string | undefined;
  /** `{"team":{"month":"price_…","year":"price_…"},"business":{…}}` for this stage. */
  readonly STRIPE_PRICE_IDS: PriceIds;
  /** Days of full access after a failed payment before writes are restricted (0 to 60). */
  readonly BILLING_GRACE_DAYS: number;
  /** Where Checkout and the portal send customers back. */
  readonly APP_URL: string;
  /**
   * Origins besides APP_URL's that checkout and portal redirect URLs may point to, comma-separated
   * (`https://www.acme.com,https://admin.acme.com`); CDK context `allowedRedirectOrigins`.
   */
  readonly ALLOWED_REDIRECT_ORIGINS: readonly string[];
}

/** Whether `value` is exactly an http(s) origin: scheme, host and port, no path, query or trailing slash. */
export function isOrigin(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === value;
  } catch {
    return false;
  }
}

/** Validates the billing environment; fails fast naming every bad variable. */
export function readBillingEnv(source: NodeJS.ProcessEnv = process.env): BillingEnv {
  const read = environmentReader(source, 'billing');
  const stripe = readStripeClientEnv(read);
  const priceIdsJson = read.required('STRIPE_PRICE_IDS', anyValue);
  let priceIds: PriceIds | undefined;
  try {
    priceIds = parsePriceIds(priceIdsJson);
  } catch (error) {
    if (source.STRIPE_PRICE_IDS !== undefined) {
      read.problem('STRIPE_PRICE_IDS', `not a price id map: ${(error as Error).message}`);
    }
  }
  const origins = (read.optional('ALLOWED_REDIRECT_ORIGINS', anyValue) ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  for (const origin of origins.filter((o) => !isOrigin(o))) {
    read.problem(
      'ALLOWED_REDIRECT_ORIGINS',
      `${JSON.stringify(origin)} is not an origin (scheme://host[:port])`,
    );
  }
  return read.done({
    ...stripe,
    STRIPE_WEBHOOK_SECRET: read.optional('STRIPE_WEBHOOK_SECRET', startsWith('whsec_')),
    STRIPE_WEBHOOK_SECRET_PARAMETER: read.optional('STRIPE_WEBHOOK_SECRET_PARAMETER', startsWith('/')),
    STRIPE_PRICE_IDS: priceIds as PriceIds,
    BILLING_GRACE_DAYS: Number(read.optional('BILLING_GRACE_DAYS', wholeNumber(0, 60)) ?? 7),
    APP_URL: read.optional('APP_URL', url) ?? 'http://localhost:3000',
    ALLOWED_REDIRECT_ORIGINS: origins,
  });
}
