import * as z from 'zod';

/**
 * What the Stripe client needs of the environment, and no more: the secret key as a plain value
 * (local: stripe-mock's key) or as the name of an SSM SecureString (deployed), and, only locally,
 * stripe-mock's address. billing.env.ts builds the billing functions' environment on these fields,
 * and the Stripe client (stripe-client.ts) takes only these.
 */
export const stripeClientEnvShape = {
  STRIPE_SECRET_KEY: z.string().startsWith('sk_').optional(),
  STRIPE_SECRET_KEY_PARAMETER: z.string().startsWith('/').optional(),
  /** Only locally: stripe-mock's address, e.g. `http://127.0.0.1:12111`. */
  STRIPE_API_URL: z.url().optional(),
};

/** The check both environments make: one of the two ways to give the secret key is set. */
export function hasSecretKey(env: {
  readonly STRIPE_SECRET_KEY?: string | undefined;
  readonly STRIPE_SECRET_KEY_PARAMETER?: string | undefined;
}): boolean {
  return Boolean(env.STRIPE_SECRET_KEY || env.STRIPE_SECRET_KEY_PARAMETER);
}

/** How a failed {@link hasSecretKey} is reported. */
export const secretKeyMissing = {
  message: 'set STRIPE_SECRET_KEY or STRIPE_SECRET_KEY_PARAMETER',
  path: ['STRIPE_SECRET_KEY'],
};

/** The Stripe client's settings, as billing's environment (billing.env.ts) holds them. */
export type StripeClientEnv = z.infer<z.ZodObject<typeof stripeClientEnvShape>>;
