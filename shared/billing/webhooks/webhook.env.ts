import { environmentReader, readAwsClientSettings } from '../../config/env-rules.ts';
import { type BillingEnv, readBillingEnv } from '../billing.env.ts';

export interface WebhookEnv {
  readonly TABLE_NAME: string;
  readonly AWS_REGION: string;
  /** Set only locally: every AWS client talks to this endpoint (moto server). */
  readonly AWS_ENDPOINT_URL: string | undefined;
  readonly billing: BillingEnv;
}

/**
 * The webhook function's environment, read once per container; fails fast naming every bad
 * variable. It needs the table, the billing settings (price ids, grace days, the Stripe key for
 * the few reads it makes) and a signing secret: `STRIPE_WEBHOOK_SECRET` locally, or
 * `STRIPE_WEBHOOK_SECRET_PARAMETER` (an SSM SecureString) deployed.
 */
export function readWebhookEnv(source: NodeJS.ProcessEnv = process.env): WebhookEnv {
  const read = environmentReader(source, 'webhook');
  const table = read.done({
    TABLE_NAME: read.required('TABLE_NAME'),
    ...readAwsClientSettings(read),
  });
  const billing = readBillingEnv(source);
  if (!billing.STRIPE_WEBHOOK_SECRET && !billing.STRIPE_WEBHOOK_SECRET_PARAMETER) {
    throw new Error(
      'Invalid webhook environment: set STRIPE_WEBHOOK_SECRET or STRIPE_WEBHOOK_SECRET_PARAMETER',
    );
  }
  return { ...table, billing };
}
