import { beforeAll, describe, expect, it } from 'vitest';
import { createStripeClient } from '#shared/billing/stripe-client.ts';
import { createStripeGateway, type StripeGateway } from '#shared/billing/stripe-gateway.ts';
import { createTestStack } from '../support/harness.ts';

/**
 * The gateway's billing-adjustment calls against stripe-mock, which checks every path and parameter
 * against Stripe's OpenAPI spec (and answers fixed objects): proof that the requests are ones
 * Stripe accepts. What they send exactly is asserted in test/unit/billing.gateway.test.ts.
 */

let gateway: StripeGateway;

beforeAll(async () => {
  const stack = await createTestStack();
  gateway = createStripeGateway(
    await createStripeClient({ secretKey: 'sk_test_123', apiUrl: stack.stripeMockEndpoint }),
  );
});

describe('billing adjustments at stripe-mock', () => {
  it('creates a customer balance credit', async () => {
    const credit = await gateway.createBalanceCredit(
      {
        customerId: 'cus_admin1',
        amount: 1500,
        currency: 'usd',
        description: 'Outage',
        metadata: { tenantId: 't1' },
      },
      'plinth-admin-credit-it1',
    );
    expect(credit).toMatchObject({ transactionId: expect.stringMatching(/^cbtxn_/), currency: 'usd' });
  });

  it('creates a comp coupon and applies it to the subscription', async () => {
    const comp = await gateway.compSubscription(
      {
        subscriptionId: 'sub_admin1',
        months: 3,
        name: 'Comp: Team until 2026-06-01',
        metadata: { plinthComp: 'true' },
      },
      'plinth-admin-comp-it1',
    );
    expect(comp.couponId).toEqual(expect.any(String));
  });

  it('applies a comp that moves the subscription to another price', async () => {
    await expect(
      gateway.compSubscription(
        {
          subscriptionId: 'sub_admin1',
          months: 1,
          name: 'Comp: Business',
          priceId: 'price_business_month',
          itemId: 'si_admin1',
          metadata: { plinthComp: 'true' },
        },
        'plinth-admin-comp-it2',
      ),
    ).resolves.toMatchObject({ couponId: expect.any(String) });
  });

  it('cancels a subscription now', async () => {
    await expect(gateway.cancelSubscriptionNow('sub_admin1', 'plinth-admin-cancel-it1')).resolves.toEqual({
      status: expect.any(String),
    });
  });
});
