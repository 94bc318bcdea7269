import { describe, expect, it } from 'vitest';
import {
  API_GATEWAY_TIMEOUT_MS,
  STRIPE_FUNCTION_TIMEOUT_SECONDS,
  STRIPE_MAX_NETWORK_RETRIES,
  STRIPE_TIMEOUT_MS,
  worstCaseStripeCallMs,
  worstCaseStripeRequestMs,
} from '#shared/billing/stripe-budget.ts';
import { createStripeClient } from '#shared/billing/stripe-client.ts';

describe('the time budget of a request that calls Stripe', () => {
  it('counts every attempt timing out and the longest backoff before each retry', () => {
    expect(worstCaseStripeCallMs(4_000, 1)).toBe(8_500);
    expect(worstCaseStripeCallMs(8_000, 2)).toBe(8_000 * 3 + 500 + 1_000);
    expect(worstCaseStripeCallMs(1_000, 6)).toBe(7_000 + 500 + 1_000 + 2_000 + 4_000 + 5_000 + 5_000);
  });

  it('fits the longest sequence of calls in the function timeout', () => {
    expect(worstCaseStripeRequestMs()).toBe(27_500);
    expect(worstCaseStripeRequestMs()).toBeLessThanOrEqual(STRIPE_FUNCTION_TIMEOUT_SECONDS * 1000);
  });

  it('keeps the function timeout inside API Gateway’s', () => {
    expect(STRIPE_FUNCTION_TIMEOUT_SECONDS * 1000).toBeLessThan(API_GATEWAY_TIMEOUT_MS);
  });

  it('would not have fitted with the former client settings (8 s, 2 retries)', () => {
    expect(3 * worstCaseStripeCallMs(8_000, 2)).toBeGreaterThan(API_GATEWAY_TIMEOUT_MS);
  });

  it('is what the Stripe client is built with', async () => {
    const stripe = await createStripeClient({ secretKey: 'sk_test_123' });
    expect(stripe.getApiField('timeout')).toBe(STRIPE_TIMEOUT_MS);
    expect(stripe.getMaxNetworkRetries()).toBe(STRIPE_MAX_NETWORK_RETRIES);
  });
});
