import { type PriceIds, parsePriceIds } from '../shared/billing/plans.ts';
import type { StageName } from './stage.ts';

/**
 * A stage's Stripe settings as the functions get them. The two secrets are SSM SecureString
 * parameters that an operator creates once per stage (CDK never holds their values): the functions
 * get the parameter names and may read only those two. Price ids are CDK context, checked at synth.
 */
export interface StripeConfig {
  /** `/plinth/<stage>/stripe/secret-key`: the Stripe secret (or restricted) API key. */
  readonly secretKeyParameter: string;
  /** `/plinth/<stage>/stripe/webhook-secret`: the webhook endpoint's signing secret (`whsec_…`). */
  readonly webhookSecretParameter: string;
  /** `STRIPE_PRICE_IDS`: the stage's price id map as JSON, already validated. */
  readonly priceIdsJson: string;
  /** `BILLING_GRACE_DAYS`: days of full access after a failed payment. */
  readonly graceDays: number;
}

/** The names of the stage's two Stripe SecureString parameters. */
export function stripeParameterNames(stage: StageName) {
  return {
    secretKeyParameter: `/plinth/${stage}/stripe/secret-key`,
    webhookSecretParameter: `/plinth/${stage}/stripe/webhook-secret`,
  } as const;
}

/**
 * Builds the stage's Stripe settings from the CDK context: `stripePriceIds` maps each stage to its
 * price id map (an object in cdk.json, or a JSON string with `-c stripePriceIds='{…}'`). Throws a
 * message naming the stage and the fix when the stage has none or the map is incomplete.
 */
export function stripeConfigFor(
  stage: StageName,
  context: { readonly stripePriceIds: Readonly<Record<string, unknown>>; readonly billingGraceDays: number },
): StripeConfig {
  const forStage = context.stripePriceIds[stage];
  if (forStage === undefined) {
    throw new Error(
      `No Stripe price ids for stage "${stage}": add them to cdk.json under context.stripePriceIds.${stage} ` +
        `or pass -c stripePriceIds='{"${stage}":{"team":{"month":"price_…","year":"price_…"},"business":{…}}}'.`,
    );
  }
  let priceIds: PriceIds;
  try {
    priceIds = parsePriceIds(JSON.stringify(forStage));
  } catch (error) {
    throw new Error(
      `Invalid Stripe price ids for stage "${stage}" (context stripePriceIds.${stage}): every paid plan needs "month" and "year" price ids (price_…).`,
      { cause: error },
    );
  }
  return {
    ...stripeParameterNames(stage),
    priceIdsJson: JSON.stringify(priceIds),
    graceDays: context.billingGraceDays,
  };
}
