import { describe, expect, it } from 'vitest';
import {
  chargeSchema,
  checkoutSessionSchema,
  disputeSchema,
  invoiceSchema,
  refundSchema,
  stripeEventSchema,
  subscriptionSchema,
} from '#shared/billing/webhooks/stripe-objects.ts';
import {
  chargeObject,
  checkoutSessionObject,
  disputeObject,
  invoiceObject,
  refundObject,
  stripeEvent,
  subscriptionObject,
} from '../support/stripe-events.ts';
import { type FixtureResource, stripeFixture, stripeMockSpecVersion } from '../support/stripe-fixtures.ts';

const price = { id: 'price_team_month', unitAmount: 2900, interval: 'month' as const };

/** Each test payload builder, the fixture it starts from, and the schema the webhook reads it with. */
const builders: readonly [FixtureResource, () => Record<string, unknown>, { parse(v: unknown): unknown }][] =
  [
    [
      'subscription',
      () => subscriptionObject({ customer: 'cus_1', status: 'active', price }),
      subscriptionSchema(),
    ],
    [
      'invoice',
      () => invoiceObject({ customer: 'cus_1', subscription: 'sub_1', status: 'paid', subtotal: 2900 }),
      invoiceSchema(),
    ],
    [
      'charge',
      () => chargeObject({ id: 'ch_1', customer: 'cus_1', amount: 2900, amountRefunded: 0 }),
      chargeSchema(),
    ],
    [
      'refund',
      () => refundObject({ charge: 'ch_1', customer: 'cus_1', amount: 100, status: 'succeeded' }),
      refundSchema(),
    ],
    ['dispute', () => disputeObject({ charge: 'ch_1', amount: 2900 }), disputeSchema()],
    [
      'checkout.session',
      () => checkoutSessionObject({ customer: 'cus_1', subscription: 'sub_1', tenantId: 't' }),
      checkoutSessionSchema(),
    ],
  ];

describe('webhook test payloads from stripe-mock fixtures', () => {
  it('reads the fixtures of the pinned stripe-mock, whose spec is 2026-08-26.dahlia', () => {
    expect(stripeMockSpecVersion()).toBe('2026-08-26.dahlia');
  });

  it.each(builders)("a %s payload has every field of Stripe's fixture", (resource, build) => {
    const fixtureKeys = Object.keys(stripeFixture(resource)).filter(
      // Since 2022-11-15 a charge's refunds come only when expanded; webhooks leave them out.
      (key) => !(resource === 'charge' && key === 'refunds'),
    );
    const built = JSON.parse(JSON.stringify(build())) as Record<string, unknown>;
    expect(Object.keys(built)).toEqual(expect.arrayContaining(fixtureKeys));
  });

  it.each(builders)(
    'a %s payload parses with the schema the webhook reads it with',
    (_resource, build, schema) => {
      expect(() => schema.parse(build())).not.toThrow();
    },
  );

  it.each(builders)(
    "Stripe's own %s fixture parses with the webhook's schema",
    (resource, _build, schema) => {
      const fixture = stripeFixture(resource);
      // One placeholder is not an id: the invoice fixture's parent names its subscription "subscription".
      if (resource === 'invoice') {
        (
          fixture.parent as { subscription_details: { subscription: string } }
        ).subscription_details.subscription = 'sub_1';
      }
      expect(() => schema.parse(fixture)).not.toThrow();
    },
  );

  it("wraps payloads in Stripe's event fixture with the webhook's API version", () => {
    const event = stripeEvent('customer.subscription.created', { id: 'sub_1' });
    expect(Object.keys(event)).toEqual(expect.arrayContaining(Object.keys(stripeFixture('event'))));
    expect(stripeEventSchema().parse(event).api_version).toBe('2026-10-28.endive');
  });
});
