import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { WEBHOOK_API_VERSION } from '#shared/billing/webhooks/api-version.ts';
import { verifyStripeEvent, WebhookSignatureError } from '#shared/billing/webhooks/verify-signature.ts';
import {
  MalformedStripeEventError,
  UnexpectedApiVersionError,
} from '#shared/billing/webhooks/webhook.errors.ts';
import { BadRequestError } from '#shared/http/errors.ts';
import { signedDelivery, stripeEvent, subscriptionObject } from '../support/stripe-events.ts';

const SECRET = 'whsec_unit_test_secret';
const NOW_MS = Date.parse('2026-03-01T12:00:00.000Z');
const NOW_S = NOW_MS / 1000;

const event = stripeEvent(
  'customer.subscription.updated',
  subscriptionObject({
    customer: 'cus_1',
    status: 'active',
    price: { id: 'price_plinth_team_month', unitAmount: 2900, interval: 'month' },
  }),
);

function verify(body: string, signature: string | undefined, receivedAt = NOW_MS) {
  return verifyStripeEvent({ rawBody: Buffer.from(body), signature, secret: SECRET, receivedAt });
}

describe('verifyStripeEvent', () => {
  it('returns the event of a body signed with the secret', () => {
    const { body, signature } = signedDelivery(event, SECRET, { timestamp: NOW_S });
    expect(verify(body, signature)).toMatchObject({ id: event.id, type: event.type, created: event.created });
  });

  it('refuses a request without a signature header', () => {
    const { body } = signedDelivery(event, SECRET, { timestamp: NOW_S });
    expect(() => verify(body, undefined)).toThrow(WebhookSignatureError);
  });

  it('refuses a signature made with another secret', () => {
    const { body, signature } = signedDelivery(event, 'whsec_someone_else', { timestamp: NOW_S });
    expect(() => verify(body, signature)).toThrow(WebhookSignatureError);
  });

  it('refuses a body changed after signing', () => {
    const { body, signature } = signedDelivery(event, SECRET, { timestamp: NOW_S });
    expect(() => verify(body.replace('"active"', '"canceled"'), signature)).toThrow(WebhookSignatureError);
  });

  it('refuses a signature older than five minutes', () => {
    const { body, signature } = signedDelivery(event, SECRET, { timestamp: NOW_S - 301 });
    expect(() => verify(body, signature)).toThrow(WebhookSignatureError);
  });

  it('accepts a signature within the five minutes', () => {
    const { body, signature } = signedDelivery(event, SECRET, { timestamp: NOW_S - 299 });
    expect(verify(body, signature).id).toBe(event.id);
  });

  it('refuses a garbled header', () => {
    const { body } = signedDelivery(event, SECRET, { timestamp: NOW_S });
    expect(() => verify(body, 'not-a-stripe-signature')).toThrow(WebhookSignatureError);
  });

  it('treats a correctly signed body that is not JSON as our bug (500), not a bad request', () => {
    const { body, signature } = signedDelivery('{"id": "evt_1", ', SECRET, { timestamp: NOW_S });
    const attempt = () => verify(body, signature);
    expect(attempt).toThrow(MalformedStripeEventError);
    expect(attempt).not.toThrow(BadRequestError);
  });

  it('treats a correctly signed JSON body that is not an event as our bug (500), naming the fields', () => {
    const { body, signature } = signedDelivery({ hello: 'world' }, SECRET, { timestamp: NOW_S });
    try {
      verify(body, signature);
      expect.unreachable('verify should throw');
    } catch (error) {
      expect(error).toBeInstanceOf(MalformedStripeEventError);
      expect((error as MalformedStripeEventError).status).toBe(500);
      expect((error as MalformedStripeEventError).issues.map((e) => e.field)).toContain('body.id');
    }
  });

  it('refuses a correctly signed event of another API version with a 500 naming both versions', () => {
    const older = { ...event, api_version: '2025-03-31.basil' };
    const { body, signature } = signedDelivery(older, SECRET, { timestamp: NOW_S });
    const attempt = () => verify(body, signature);
    expect(attempt).toThrow(UnexpectedApiVersionError);
    expect(attempt).toThrow(/2025-03-31\.basil.*2026-10-28\.endive/);
  });

  it('refuses a correctly signed event without an API version with a 500', () => {
    const { body, signature } = signedDelivery({ ...event, api_version: null }, SECRET, { timestamp: NOW_S });
    expect(() => verify(body, signature)).toThrow(UnexpectedApiVersionError);
  });

  it('refuses an empty body', () => {
    expect(() => verify('', 't=1,v1=abc')).toThrow(BadRequestError);
  });
});

describe('WEBHOOK_API_VERSION', () => {
  it('is the API version stripe-node pins, which the Stripe client also sends', () => {
    expect(WEBHOOK_API_VERSION).toBe(Stripe.API_VERSION);
    expect(WEBHOOK_API_VERSION).toBe('2026-10-28.endive');
  });
});
