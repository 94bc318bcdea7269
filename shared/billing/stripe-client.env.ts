import { type EnvironmentReader, startsWith, url } from '../config/env-rules.ts';

/**
 * What the Stripe client needs of the environment, and no more: the secret key as a plain value
 * (local: stripe-mock's key) or as the name of an SSM SecureString (deployed), and, only locally,
 * stripe-mock's address. billing.env.ts builds the billing functions' environment on these fields,
 * and the Stripe client (stripe-client.ts) takes only these.
 */
export interface StripeClientEnv {
  readonly STRIPE_SECRET_KEY?: string | undefined;
  readonly STRIPE_SECRET_KEY_PARAMETER?: string | undefined;
  /** Only locally: stripe-mock's address, e.g. `http://127.0.0.1:12111`. */
  readonly STRIPE_API_URL?: string | undefined;
}

/**
 * Reads the Stripe client's settings with `read` (shared/config/env-rules.ts), into the
 * environment that holds them (billing's, the erasure workers'): one of the two ways to give the
 * secret key must be set.
 */
export function readStripeClientEnv(read: EnvironmentReader): StripeClientEnv {
  const env = {
    STRIPE_SECRET_KEY: read.optional('STRIPE_SECRET_KEY', startsWith('sk_')),
    STRIPE_SECRET_KEY_PARAMETER: read.optional('STRIPE_SECRET_KEY_PARAMETER', startsWith('/')),
    STRIPE_API_URL: read.optional('STRIPE_API_URL', url),
  };
  if (!env.STRIPE_SECRET_KEY && !env.STRIPE_SECRET_KEY_PARAMETER) {
    read.problem('STRIPE_SECRET_KEY', 'set STRIPE_SECRET_KEY or STRIPE_SECRET_KEY_PARAMETER');
  }
  return env;
}
