/**
 * The time budget of a request that calls Stripe, so no timeout cuts a change in half: the API
 * function's timeout covers the worst case of its longest sequence of Stripe calls, every attempt
 * timing out and every retry waiting its longest backoff.
 *
 * - API Gateway (HTTP API) gives an integration at most 30 s, so the function gets 29 s.
 * - The longest sequences make 3 Stripe calls one after the other: a plan change (read the
 *   subscription; create or read its schedule, or release one; set the phases or change the price),
 *   a cancellation (read; release a pending change; set cancel at period end) and a checkout that
 *   replaces an open one (read the session; expire it; create the new one). The first checkout's
 *   customer creation happens only when no session was ever recorded, so never with those two.
 * - Each call: `STRIPE_MAX_NETWORK_RETRIES + 1` attempts of `STRIPE_TIMEOUT_MS`, with stripe-node's
 *   backoff between them (0.5 s doubling per retry, at most 5 s; its jitter only shortens it, and
 *   never below 0.5 s).
 *
 * 3 × (4 s + 0.5 s + 4 s) = 25.5 s, plus DynamoDB (membership read, one transaction) within 2 s:
 * 27.5 s < 29 s. Stripe answers in well under a second usually; a call cut at 4 s is retried once
 * with the same idempotency key, and a request that still fails answers 502 and can be retried as a
 * whole: its keys are derived from the request and the state it acts on, so the retry completes
 * the change instead of repeating it.
 */

/** Timeout of one attempt of a Stripe call. */
export const STRIPE_TIMEOUT_MS = 4_000;
/** Retries of a Stripe call after a network error, a 409 lock, a 429 or a 5xx (same idempotency key). */
export const STRIPE_MAX_NETWORK_RETRIES = 1;
/** The most Stripe calls a use case makes one after the other. */
export const MAX_SEQUENTIAL_STRIPE_CALLS = 3;
/** What a request's DynamoDB calls may take beside the Stripe calls. */
export const DYNAMODB_ALLOWANCE_MS = 2_000;
/** API Gateway HTTP API's integration timeout: a function answering later is cut off anyway. */
export const API_GATEWAY_TIMEOUT_MS = 30_000;
/** The timeout of the API functions that call Stripe (billing, admin). */
export const STRIPE_FUNCTION_TIMEOUT_SECONDS = 29;

/** stripe-node's defaults (`initialNetworkRetryDelay`, `maxNetworkRetryDelay`). */
const INITIAL_RETRY_DELAY_MS = 500;
const MAX_RETRY_DELAY_MS = 5_000;

/** The longest one Stripe call can take: every attempt timing out, every backoff at its longest. */
export function worstCaseStripeCallMs(
  timeoutMs: number = STRIPE_TIMEOUT_MS,
  retries: number = STRIPE_MAX_NETWORK_RETRIES,
): number {
  let total = timeoutMs * (retries + 1);
  for (let retry = 1; retry <= retries; retry++) {
    total += Math.max(
      INITIAL_RETRY_DELAY_MS,
      Math.min(INITIAL_RETRY_DELAY_MS * 2 ** (retry - 1), MAX_RETRY_DELAY_MS),
    );
  }
  return total;
}

/** The longest a request of an API function that calls Stripe can take. */
export function worstCaseStripeRequestMs(calls: number = MAX_SEQUENTIAL_STRIPE_CALLS): number {
  return calls * worstCaseStripeCallMs() + DYNAMODB_ALLOWANCE_MS;
}
