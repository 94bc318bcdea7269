import type Stripe from 'stripe';

/**
 * The Stripe API version the webhook's schemas (stripe-objects.ts) are written for: the one
 * stripe-node 23.1.0 pins (`Stripe.API_VERSION`). Create the webhook endpoint with this version
 * (README, Stripe step 4): Stripe shapes every event with the endpoint's version, and an event of
 * another version is refused with a 500 until the code or the endpoint is changed. Typed as
 * stripe-node's latest version, so upgrading stripe-node fails the typecheck here until the
 * schemas are checked against the new version.
 */
export const WEBHOOK_API_VERSION: Stripe.LatestApiVersion = '2026-10-28.endive';
