import { type ProcessResult, processStripeEvent } from './router.ts';
import { verifyStripeEvent } from './verify-signature.ts';
import type { WebhookDeps } from './webhook.deps.ts';

/** One delivery as the Function URL received it. */
export interface WebhookDelivery {
  /** The body's exact bytes: the signature covers them, so nothing may re-encode them first. */
  readonly rawBody: Buffer;
  /** The `Stripe-Signature` header. */
  readonly signature: string | undefined;
}

export interface WebhookReceipt extends ProcessResult {
  readonly eventId: string;
  readonly eventType: string;
}

/**
 * The Stripe webhook use case: verify the delivery (400 and nothing stored when it is not
 * Stripe's, too old or not an event), then apply the event once (see {@link processStripeEvent}).
 * `secret` is the endpoint's signing secret, resolved once at cold start.
 */
export function createStripeWebhook(deps: WebhookDeps & { readonly secret: string }) {
  return {
    async receive(delivery: WebhookDelivery): Promise<WebhookReceipt> {
      const event = verifyStripeEvent({
        rawBody: delivery.rawBody,
        signature: delivery.signature,
        secret: deps.secret,
        receivedAt: deps.clock().getTime(),
      });
      const result = await processStripeEvent(event, deps);
      return { ...result, eventId: event.id, eventType: event.type };
    },
  };
}

export type StripeWebhook = ReturnType<typeof createStripeWebhook>;
