import { readFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { readPlinthContext } from '../../lib/plinth.ts';
import { stripeConfigFor } from '../../lib/stripe-config.ts';
import { buildPlinth, testStripePriceIds } from './plinth-app.ts';

const cdkJson = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as {
  context: Record<string, unknown>;
};

const prodPriceIds = testStripePriceIds.prod;

describe('Stripe configuration from CDK context', () => {
  it('gives dev the placeholder price ids of cdk.json, so a clean clone synthesizes', () => {
    const context = readPlinthContext(new App({ context: cdkJson.context }));

    expect(JSON.parse(stripeConfigFor('dev', context).priceIdsJson)).toEqual(
      (cdkJson.context.stripePriceIds as Record<string, unknown>).dev,
    );
  });

  it('fails synth for a stage without price ids, naming the stage and where to set them', () => {
    expect(() =>
      buildPlinth({ stage: 'prod', context: { stripePriceIds: { dev: testStripePriceIds.dev } } }),
    ).toThrow(
      /No Stripe price ids for stage "prod": add them to cdk\.json under context\.stripePriceIds\.prod/,
    );
  });

  it('fails synth for a price id map that lacks an interval', () => {
    const incomplete = { ...prodPriceIds, business: { month: 'price_prod_business_month' } };

    expect(() => buildPlinth({ stage: 'prod', context: { stripePriceIds: { prod: incomplete } } })).toThrow(
      /Invalid Stripe price ids for stage "prod"/,
    );
  });

  it('accepts the map as a JSON string, as `-c stripePriceIds=…` passes it', () => {
    const context = readPlinthContext(
      new App({ context: { stage: 'prod', stripePriceIds: JSON.stringify({ prod: prodPriceIds }) } }),
    );

    expect(JSON.parse(stripeConfigFor('prod', context).priceIdsJson)).toEqual(prodPriceIds);
  });

  it('names the stage’s SecureString parameters and takes the grace period from context, 7 days by default', () => {
    const defaults = readPlinthContext(new App({ context: { stripePriceIds: { prod: prodPriceIds } } }));
    const custom = readPlinthContext(
      new App({ context: { stripePriceIds: { prod: prodPriceIds }, billingGraceDays: '10' } }),
    );

    expect(stripeConfigFor('prod', defaults)).toMatchObject({
      secretKeyParameter: '/plinth/prod/stripe/secret-key',
      webhookSecretParameter: '/plinth/prod/stripe/webhook-secret',
      graceDays: 7,
    });
    expect(stripeConfigFor('prod', custom).graceDays).toBe(10);
  });
});
