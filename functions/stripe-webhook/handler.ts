import type { Context, LambdaFunctionURLEvent, LambdaFunctionURLResult } from 'aws-lambda';
import { deferred, once } from '#shared/app/deferred.ts';
import { lazyStripeClient, resolveSecret } from '#shared/billing/stripe-client.ts';
import { type StripeLookups, webhookMetricNames } from '#shared/billing/webhooks/webhook.deps.ts';
import { readWebhookEnv } from '#shared/billing/webhooks/webhook.env.ts';
import { EventNotYetApplicableError } from '#shared/billing/webhooks/webhook.errors.ts';
import { createDocumentClient } from '#shared/db/client.ts';
import { BadRequestError, HttpError } from '#shared/http/errors.ts';
import { toProblemResponse } from '#shared/http/problem.ts';
import { newId, systemClock } from '#shared/ids.ts';
import { logger } from '#shared/observability/logger.ts';
import { MetricUnit, metrics } from '#shared/observability/metrics.ts';

/**
 * The Stripe webhook on a Lambda Function URL (auth NONE: Stripe signs its requests). Cold start
 * reads the environment and builds the table client only. The webhook use case (with stripe-node,
 * whose helper checks every signature) and the signing secret (a plain env value locally, SSM
 * deployed) are loaded on the first delivery; the Stripe client for the few reads some events need,
 * and its secret key, on the first such read. Stripe waits seconds for an answer, so the first
 * delivery of a container paying for them costs nothing that matters, while init stays small.
 */
const env = readWebhookEnv();
const db = {
  client: createDocumentClient({ region: env.AWS_REGION, endpoint: env.AWS_ENDPOINT_URL }),
  tableName: env.TABLE_NAME,
};
const stripeClient = lazyStripeClient(env.billing);
const stripe = deferred<StripeLookups>(async () => {
  const { createStripeLookups } = await import('#shared/billing/webhooks/stripe-lookups.ts');
  return createStripeLookups(await stripeClient());
});
const webhook = once(async () => {
  const [{ createStripeWebhook }, secret] = await Promise.all([
    import('#shared/billing/webhooks/webhook.service.ts'),
    resolveSecret(
      { value: env.billing.STRIPE_WEBHOOK_SECRET, parameter: env.billing.STRIPE_WEBHOOK_SECRET_PARAMETER },
      'Stripe webhook signing secret',
    ),
  ]);
  return createStripeWebhook({
    db,
    priceIds: env.billing.STRIPE_PRICE_IDS,
    graceDays: env.billing.BILLING_GRACE_DAYS,
    clock: systemClock,
    newId: () => newId(),
    stripe,
    log: logger,
    metrics: { addMetric: (name, _unit, value) => metrics.addMetric(name, MetricUnit.Count, value) },
    secret,
  });
});

function header(event: LambdaFunctionURLEvent, name: string): string | undefined {
  const headers = event.headers ?? {};
  return headers[name] ?? Object.entries(headers).find(([key]) => key.toLowerCase() === name)?.[1];
}

/**
 * 200 once the event is applied, was already applied, is of a type Plinth ignores, or concerns
 * nothing Plinth knows; 400 (nothing stored) for a missing, bad or stale signature; 500 for any
 * other failure, a correctly signed event that does not parse or has another API version included,
 * so Stripe retries the delivery; 503 for a refund or charge event whose invoice has not arrived
 * yet (Stripe retries it; nothing stored). Failures are counted in EMF metrics (`StripeEventsFailed`, and
 * `StripeEventsDeferred` for a refund waiting for its invoice), flushed at the end of each call.
 */
export async function handler(
  event: LambdaFunctionURLEvent,
  context?: Context,
): Promise<LambdaFunctionURLResult> {
  if (context) logger.addContext(context);
  const requestId = event.requestContext?.requestId;
  logger.appendKeys({ requestId });
  try {
    const rawBody = Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8');
    const receipt = await (await webhook()).receive({
      rawBody,
      signature: header(event, 'stripe-signature'),
    });
    // A skipped event concerns nothing Plinth knows (a customer or charge of another product).
    if (receipt.outcome === 'skipped') logger.warn('stripe event skipped', { ...receipt });
    else logger.info('stripe event', { ...receipt });
    return {
      statusCode: 200,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ received: true, outcome: receipt.outcome }),
    };
  } catch (error) {
    if (error instanceof BadRequestError) {
      logger.warn('stripe webhook refused', { detail: error.message });
      return toProblemResponse(error, requestId);
    }
    if (error instanceof EventNotYetApplicableError) {
      logger.warn('stripe event not applicable yet; Stripe will retry it', { detail: error.message });
      metrics.addMetric(webhookMetricNames.deferred, MetricUnit.Count, 1);
      return toProblemResponse(new HttpError(503, 'Service Unavailable', error.message), requestId);
    }
    logger.error('stripe event failed; Stripe will retry it', { error });
    metrics.addMetric(webhookMetricNames.failed, MetricUnit.Count, 1);
    // Whatever it was (a 409 after too many concurrent changes included), Stripe must retry: 500.
    return toProblemResponse(new Error('stripe event failed'), requestId);
  } finally {
    logger.removeKeys(['requestId']);
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  }
}
