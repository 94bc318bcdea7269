import { createHash } from 'node:crypto';

/**
 * An idempotency key derived from what makes a request the same request: the operation and its
 * significant inputs (tenant, ids, prices, proration date, request id where each request should
 * count once). Hashed, so no business data reaches Stripe's logs through it, and short enough for
 * Stripe's 255-character limit.
 */
export function idempotencyKey(
  operation: string,
  ...parts: readonly (string | number | undefined)[]
): string {
  const digest = createHash('sha256')
    .update(JSON.stringify([operation, ...parts.map((p) => p ?? null)]))
    .digest('base64url');
  return `plinth-${operation}-${digest}`;
}
