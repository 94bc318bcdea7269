import { describe, expect, it } from 'vitest';
import { readBillingEnv } from '#shared/billing/billing.env.ts';
import {
  lazyStripeClient,
  resolveSecret,
  STRIPE_API_VERSION,
  stripeClientFromEnv,
} from '#shared/billing/stripe-client.ts';

/** An SSM stand-in: the parameters it holds, and the names it was asked for. */
function parameters(stored: Record<string, string>) {
  const asked: string[] = [];
  const read = async (name: string) => {
    asked.push(name);
    return stored[name];
  };
  return { read, asked };
}

describe('stripe client configuration', () => {
  it('reads the secret from the SSM parameter when one is named', async () => {
    const ssm = parameters({ '/plinth/prod/stripe/secret-key': 'sk_live_from_ssm' });
    const secret = await resolveSecret(
      { parameter: '/plinth/prod/stripe/secret-key', value: 'sk_test_plain' },
      'Stripe secret key',
      ssm.read,
    );
    expect(secret).toBe('sk_live_from_ssm');
  });

  it('uses the plain value when no parameter is named, without calling SSM', async () => {
    const ssm = parameters({});
    expect(await resolveSecret({ value: 'sk_test_123' }, 'Stripe secret key', ssm.read)).toBe('sk_test_123');
    expect(ssm.asked).toEqual([]);
  });

  it('fails at cold start when the named parameter is missing', async () => {
    const ssm = parameters({});
    await expect(
      resolveSecret({ parameter: '/plinth/dev/stripe/secret-key' }, 'Stripe secret key', ssm.read),
    ).rejects.toThrow('/plinth/dev/stripe/secret-key');
  });

  it('fails at cold start when no secret is configured', async () => {
    await expect(resolveSecret({}, 'Stripe secret key')).rejects.toThrow('No Stripe secret key configured.');
  });

  it('pins the API version stripe-node is typed for', async () => {
    const stripe = await stripeClientFromEnv({ STRIPE_SECRET_KEY: 'sk_test_123' });
    expect(stripe.getApiField('version')).toBe(STRIPE_API_VERSION);
  });

  it('points the client at stripe-mock when an API URL is given', async () => {
    const stripe = await stripeClientFromEnv({
      STRIPE_SECRET_KEY: 'sk_test_123',
      STRIPE_API_URL: 'http://127.0.0.1:12111',
    });
    expect([stripe.getApiField('host'), stripe.getApiField('port'), stripe.getApiField('protocol')]).toEqual([
      '127.0.0.1',
      '12111',
      'http',
    ]);
  });

  it('reads the secret key only when the lazy client is first used, then keeps the client', async () => {
    const ssm = parameters({ '/plinth/dev/stripe/secret-key': 'sk_test_from_ssm' });
    const client = lazyStripeClient(
      { STRIPE_SECRET_KEY_PARAMETER: '/plinth/dev/stripe/secret-key' },
      ssm.read,
    );
    expect(ssm.asked).toEqual([]);

    const first = await client();
    const second = await client();

    expect(ssm.asked).toEqual(['/plinth/dev/stripe/secret-key']);
    expect(second).toBe(first);
  });

  it('reads the secret key again after a failed read instead of keeping the failure', async () => {
    const stored: Record<string, string> = {};
    const ssm = parameters(stored);
    const client = lazyStripeClient(
      { STRIPE_SECRET_KEY_PARAMETER: '/plinth/dev/stripe/secret-key' },
      ssm.read,
    );
    await expect(client()).rejects.toThrow('/plinth/dev/stripe/secret-key');

    stored['/plinth/dev/stripe/secret-key'] = 'sk_test_later';

    expect((await client()).getApiField('version')).toBe(STRIPE_API_VERSION);
    expect(ssm.asked).toHaveLength(2);
  });
});

describe("the Stripe client's environment", () => {
  const priceIds = JSON.stringify({
    team: { month: 'price_a', year: 'price_b' },
    business: { month: 'price_c', year: 'price_d' },
  });
  const billingEnvWith = (stripe: Record<string, string>) =>
    readBillingEnv({ STRIPE_PRICE_IDS: priceIds, ...stripe });

  it('accepts a plain secret key and stripe-mock’s address', () => {
    expect(
      billingEnvWith({ STRIPE_SECRET_KEY: 'sk_test_123', STRIPE_API_URL: 'http://127.0.0.1:12111' }),
    ).toMatchObject({ STRIPE_SECRET_KEY: 'sk_test_123', STRIPE_API_URL: 'http://127.0.0.1:12111' });
  });

  it('accepts the name of an SSM parameter instead of the key', () => {
    const env = billingEnvWith({ STRIPE_SECRET_KEY_PARAMETER: '/plinth/prod/stripe/secret-key' });
    expect(env).toMatchObject({ STRIPE_SECRET_KEY_PARAMETER: '/plinth/prod/stripe/secret-key' });
    expect(env.STRIPE_SECRET_KEY).toBeUndefined();
  });

  it('fails on a key that is not a Stripe secret key', () => {
    expect(() => billingEnvWith({ STRIPE_SECRET_KEY: 'pk_test_123' })).toThrow('STRIPE_SECRET_KEY');
  });

  it('is checked the same way inside the billing environment', () => {
    expect(() =>
      readBillingEnv({
        STRIPE_PRICE_IDS: JSON.stringify({
          team: { month: 'price_a', year: 'price_b' },
          business: { month: 'price_c', year: 'price_d' },
        }),
      }),
    ).toThrow('STRIPE_SECRET_KEY: set STRIPE_SECRET_KEY or STRIPE_SECRET_KEY_PARAMETER');
  });
});
