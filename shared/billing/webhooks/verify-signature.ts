import Stripe from 'stripe';
import { BadRequestError } from '../../http/errors.ts';
import { type StripeEvent, stripeEventSchema } from './stripe-objects.ts';

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
 * endpoint's signing secret and the default tolerance, then parses the event envelope. Throws
 * {@link WebhookSignatureError} (400) for a missing, bad or stale signature and a
 * {@link BadRequestError} (400) for a body that is not a Stripe event.
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
  } catch {
    throw new BadRequestError('The request body is not valid JSON.', [
      { field: 'body', message: 'malformed JSON' },
    ]);
  }
  const parsed = stripeEventSchema.safeParse(json);
  if (!parsed.success) {
    throw new BadRequestError(
      'The request body is not a Stripe event.',
      parsed.error.issues.map((issue) => ({
        field: ['body', ...issue.path.map(String)].join('.'),
        message: issue.message,
      })),
    );
  }
  return parsed.data;
}
