import Stripe from 'stripe';
import { BadRequestError } from '../../http/errors.ts';
import { WEBHOOK_API_VERSION } from './api-version.ts';
import { type StripeEvent, stripeEventSchema } from './stripe-objects.ts';
import { MalformedStripeEventError, UnexpectedApiVersionError } from './webhook.errors.ts';

/** Stripe's default: a signature older than five minutes is refused (replay protection). */
export const SIGNATURE_TOLERANCE_SECONDS = Stripe.webhooks.DEFAULT_TOLERANCE;

/** 400: the request was not signed by Stripe with our secret, or too long ago. Nothing is stored. */
export class WebhookSignatureError extends BadRequestError {
  constructor(detail: string, options?: { cause?: unknown }) {
    super(detail);
    this.name = 'WebhookSignatureError';
    if (options?.cause !== undefined) this.cause = options.cause;
  }
}

/**
 * Verifies the `Stripe-Signature` header over the raw body (the exact bytes Stripe sent) with the
 * endpoint's signing secret and the default tolerance, then parses the event envelope and checks
 * its API version. Throws {@link WebhookSignatureError} (400, nothing stored) for a missing, bad or
 * stale signature. Once the signature holds, Stripe sent the body, so a body that is not a Stripe
 * event ({@link MalformedStripeEventError}) or an event of another API version
 * ({@link UnexpectedApiVersionError}) is our bug: 500, so Stripe retries and the alarm fires.
 */
export function verifyStripeEvent(input: {
  readonly rawBody: Buffer;
  readonly signature: string | undefined;
  readonly secret: string;
  /** Epoch milliseconds to measure the signature's age against; default: now. */
  readonly receivedAt?: number;
}): StripeEvent {
  if (!input.signature) throw new WebhookSignatureError('The Stripe-Signature header is missing.');
  if (input.rawBody.length === 0) throw new BadRequestError('The request body is empty.');
  const helper = Stripe.webhooks.signature;
  if (!helper) throw new Error('stripe-node has no webhook signature helper');
  try {
    helper.verifyHeader(
      input.rawBody,
      input.signature,
      input.secret,
      SIGNATURE_TOLERANCE_SECONDS,
      undefined,
      input.receivedAt,
    );
  } catch (error) {
    throw new WebhookSignatureError(
      'The Stripe signature does not match the body, or it is older than the tolerance allows.',
      { cause: error },
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(input.rawBody.toString('utf8'));
  } catch (error) {
    throw new MalformedStripeEventError(
      'A correctly signed body is not valid JSON.',
      [{ field: 'body', message: 'malformed JSON' }],
      { cause: error },
    );
  }
  const parsed = stripeEventSchema().safeParse(json);
  if (!parsed.success) {
    throw new MalformedStripeEventError(
      'A correctly signed body is not a Stripe event.',
      parsed.error.issues.map((issue) => ({
        field: ['body', ...issue.path.map(String)].join('.'),
        message: issue.message,
      })),
    );
  }
  const event = parsed.data;
  if (event.api_version !== WEBHOOK_API_VERSION) {
    throw new UnexpectedApiVersionError(event.id, event.api_version, WEBHOOK_API_VERSION);
  }
  return event;
}
