import * as z from 'zod';
import { type BillingEnv, readBillingEnv } from '../billing.env.ts';

const schema = z.object({
  TABLE_NAME: z.string().min(1),
  AWS_REGION: z.string().min(1).default('us-east-1'),
  /** Set only locally: every AWS client talks to this endpoint (moto server). */
  AWS_ENDPOINT_URL: z.url().optional(),
});

export type WebhookEnv = z.infer<typeof schema> & { readonly billing: BillingEnv };

/**
 * The webhook function's environment, read once per container; fails fast naming every bad
 * variable. It needs the table, the billing settings (price ids, grace days, the Stripe key for
 * the few reads it makes) and a signing secret: `STRIPE_WEBHOOK_SECRET` locally, or
 * `STRIPE_WEBHOOK_SECRET_PARAMETER` (an SSM SecureString) deployed.
 */
export function readWebhookEnv(source: NodeJS.ProcessEnv = process.env): WebhookEnv {
  const parsed = schema.safeParse(source);
  if (!parsed.success) {
    const names = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`Invalid webhook environment: ${names}`, { cause: parsed.error });
  }
  const billing = readBillingEnv(source);
  if (!billing.STRIPE_WEBHOOK_SECRET && !billing.STRIPE_WEBHOOK_SECRET_PARAMETER) {
    throw new Error(
      'Invalid webhook environment: set STRIPE_WEBHOOK_SECRET or STRIPE_WEBHOOK_SECRET_PARAMETER',
    );
  }
  return { ...parsed.data, billing };
}
