import * as z from 'zod';
import { type PriceIds, parsePriceIds } from './plans.ts';
import { hasSecretKey, secretKeyMissing, stripeClientEnvShape } from './stripe-client.env.ts';

/**
 * Billing configuration, read once per container by the functions that talk to Stripe. Secrets
 * come either as plain values (local: stripe-mock's key and the dev webhook secret) or as the names
 * of SSM SecureString parameters (deployed: `/plinth/<stage>/stripe/...`), resolved at cold start.
 */
const schema = z
  .object({
    ...stripeClientEnvShape,
    STRIPE_WEBHOOK_SECRET: z.string().startsWith('whsec_').optional(),
    STRIPE_WEBHOOK_SECRET_PARAMETER: z.string().startsWith('/').optional(),
    /** `{"team":{"month":"price_…","year":"price_…"},"business":{…}}` for this stage. */
    STRIPE_PRICE_IDS: z.string().transform((json, ctx): PriceIds => {
      try {
        return parsePriceIds(json);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: `not a price id map: ${(error as Error).message}` });
        return z.NEVER;
      }
    }),
    /** Days of full access after a failed payment before writes are restricted. */
    BILLING_GRACE_DAYS: z.coerce.number().int().min(0).max(60).default(7),
    /** Where Checkout and the portal send customers back. */
    APP_URL: z.url().default('http://localhost:3000'),
    /**
     * Origins besides APP_URL's that checkout and portal redirect URLs may point to, comma-separated
     * (`https://www.acme.com,https://admin.acme.com`); CDK context `allowedRedirectOrigins`.
     */
    ALLOWED_REDIRECT_ORIGINS: z
      .string()
      .default('')
      .transform((list, ctx): string[] => {
        const origins = list
          .split(',')
          .map((entry) => entry.trim())
          .filter((entry) => entry !== '');
        for (const origin of origins) {
          if (!isOrigin(origin)) {
            ctx.addIssue({
              code: 'custom',
              message: `${JSON.stringify(origin)} is not an origin (scheme://host[:port])`,
            });
          }
        }
        return origins;
      }),
  })
  .refine(hasSecretKey, secretKeyMissing);

export type BillingEnv = z.infer<typeof schema>;

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
  const parsed = schema.safeParse(source);
  if (!parsed.success) {
    const names = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`Invalid billing environment: ${names}`, { cause: parsed.error });
  }
  return parsed.data;
}
