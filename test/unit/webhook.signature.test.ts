import { describe, expect, it } from 'vitest';
import { verifyStripeEvent, WebhookSignatureError } from '#shared/billing/webhooks/verify-signature.ts';
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

  it('refuses a correctly signed body that is not JSON as malformed', () => {
    const { body, signature } = signedDelivery('{"id": "evt_1", ', SECRET, { timestamp: NOW_S });
    const attempt = () => verify(body, signature);
    expect(attempt).toThrow(BadRequestError);
    expect(attempt).not.toThrow(WebhookSignatureError);
  });

  it('refuses a correctly signed JSON body that is not an event, naming the fields', () => {
    const { body, signature } = signedDelivery({ hello: 'world' }, SECRET, { timestamp: NOW_S });
    try {
      verify(body, signature);
      expect.unreachable('verify should throw');
    } catch (error) {
      expect(error).toBeInstanceOf(BadRequestError);
      expect((error as BadRequestError).errors?.map((e) => e.field)).toContain('body.id');
    }
  });

  it('refuses an empty body', () => {
    expect(() => verify('', 't=1,v1=abc')).toThrow(BadRequestError);
  });
});
