import { describe, expect, it } from 'vitest';
import { readProductEnv } from '#shared/analytics/product/product.env.ts';
import { readAnnouncementMailEnv } from '#shared/announcements/announcement-mail.env.ts';
import { readBillingEnv } from '#shared/billing/billing.env.ts';
import { parsePriceIds } from '#shared/billing/plans.ts';
import { readEnv } from '#shared/config/env.ts';
import { readErasureWorkerEnv } from '#shared/erasure/erasure.env.ts';
import { readExportWorkerEnv } from '#shared/exports/exports.env.ts';
import { readSsoEnv } from '#shared/sso/sso.env.ts';

const required = { TABLE_NAME: 'plinth-test', USER_POOL_ID: 'us-east-1_abc' };

describe('readEnv', () => {
  it('takes the defaults for what is absent', () => {
    expect(readEnv({ ...required })).toEqual({
      TABLE_NAME: 'plinth-test',
      AWS_REGION: 'us-east-1',
      USER_POOL_ID: 'us-east-1_abc',
      EVENT_BUS_NAME: undefined,
      AWS_ENDPOINT_URL: undefined,
      APP_URL: 'http://localhost:3000',
      MAIL_FROM: 'no-reply@plinth.local',
      MAIL_CONFIGURATION_SET: undefined,
      TENANT_DATA_ROLE_ARN: undefined,
      INVITATION_TTL_DAYS: 7,
      API_RATE_LIMITS: undefined,
      SSO_CLIENT_ID: undefined,
    });
  });

  it('reads what is set', () => {
    const env = readEnv({
      ...required,
      AWS_REGION: 'eu-west-1',
      EVENT_BUS_NAME: 'plinth-bus',
      AWS_ENDPOINT_URL: 'http://127.0.0.1:5000',
      APP_URL: 'https://app.example.com',
      MAIL_FROM: 'billing@example.com',
      MAIL_CONFIGURATION_SET: 'plinth-mail',
      TENANT_DATA_ROLE_ARN: 'arn:aws:iam::123456789012:role/tenant-data',
      INVITATION_TTL_DAYS: '14',
      API_RATE_LIMITS: '{"free":{"perMinute":10}}',
      SSO_CLIENT_ID: 'sso-client',
    });

    expect(env).toMatchObject({
      AWS_REGION: 'eu-west-1',
      EVENT_BUS_NAME: 'plinth-bus',
      AWS_ENDPOINT_URL: 'http://127.0.0.1:5000',
      APP_URL: 'https://app.example.com',
      MAIL_FROM: 'billing@example.com',
      TENANT_DATA_ROLE_ARN: 'arn:aws:iam::123456789012:role/tenant-data',
      INVITATION_TTL_DAYS: 14,
      SSO_CLIENT_ID: 'sso-client',
    });
  });

  it('fails naming every missing or malformed variable at once', () => {
    expect(() =>
      readEnv({
        USER_POOL_ID: '',
        AWS_ENDPOINT_URL: 'not a url',
        MAIL_FROM: 'nobody',
        TENANT_DATA_ROLE_ARN: 'role/tenant-data',
        INVITATION_TTL_DAYS: '91',
        EVENT_BUS_NAME: '',
      }),
    ).toThrow(
      'Invalid environment: TABLE_NAME, USER_POOL_ID, EVENT_BUS_NAME, AWS_ENDPOINT_URL, MAIL_FROM, TENANT_DATA_ROLE_ARN, INVITATION_TTL_DAYS',
    );
  });

  it.each(['0', '7.5', 'seven', '', '1e1'])('refuses INVITATION_TTL_DAYS=%j', (days) => {
    expect(() => readEnv({ ...required, INVITATION_TTL_DAYS: days })).toThrow('INVITATION_TTL_DAYS');
  });
});

describe("the features' environment readers", () => {
  it('SSO: defaults the domain check to dns and names every bad setting', () => {
    const sso = {
      SSO_CLIENT_ID: 'sso-client',
      SSO_HOSTED_UI_URL: 'https://plinth.auth.us-east-1.amazoncognito.com',
      SSO_CALLBACK_URL: 'https://app.example.com/sso/callback',
      SSO_SECRET_PREFIX: 'plinth/prod/sso/',
    };
    expect(readSsoEnv(sso).SSO_DOMAIN_VERIFICATION).toBe('dns');
    expect(() =>
      readSsoEnv({ ...sso, SSO_CALLBACK_URL: 'callback', SSO_DOMAIN_VERIFICATION: 'http' }),
    ).toThrow('Invalid SSO environment: SSO_CALLBACK_URL, SSO_DOMAIN_VERIFICATION');
  });

  it('export worker: reads the chunk budget as a number and refuses a page size above 1,000', () => {
    const worker = { TABLE_NAME: 't', EXPORTS_BUCKET_NAME: 'b', EVENT_BUS_NAME: 'bus' };
    expect(readExportWorkerEnv({ ...worker, EXPORT_CHUNK_BUDGET_MS: '0' })).toMatchObject({
      EXPORT_CHUNK_BUDGET_MS: 0,
      EXPORT_PAGE_SIZE: 500,
      EXPORT_RETENTION_DAYS: 7,
    });
    expect(readExportWorkerEnv(worker).EXPORT_CHUNK_BUDGET_MS).toBeUndefined();
    expect(() => readExportWorkerEnv({ ...worker, EXPORT_PAGE_SIZE: '1001' })).toThrow(
      'Invalid export worker environment: EXPORT_PAGE_SIZE',
    );
  });

  it('announcement mail: the consumer needs the user pool, the sweep does not', () => {
    const mail = { TABLE_NAME: 't', EVENT_BUS_NAME: 'bus' };
    expect(readAnnouncementMailEnv(mail).ANNOUNCEMENT_MAIL_PAGE_SIZE).toBe(50);
    expect(() => readAnnouncementMailEnv(mail, { userPool: true })).toThrow('USER_POOL_ID');
  });

  it('product analytics: keeps raw events 8 to 3650 days, 90 by default', () => {
    expect(readProductEnv({}).PRODUCT_EVENT_TTL_DAYS).toBe(90);
    expect(() => readProductEnv({ PRODUCT_EVENT_TTL_DAYS: '7' })).toThrow('PRODUCT_EVENT_TTL_DAYS');
  });
});

describe('the billing and erasure environments', () => {
  const priceIds = JSON.stringify({
    team: { month: 'price_tm', year: 'price_ty' },
    business: { month: 'price_bm', year: 'price_by' },
  });

  it('billing: parses the price ids and the redirect origins, with the defaults', () => {
    const env = readBillingEnv({
      STRIPE_SECRET_KEY: 'sk_test_1',
      STRIPE_PRICE_IDS: priceIds,
      ALLOWED_REDIRECT_ORIGINS: 'https://www.acme.test, https://admin.acme.test',
    });
    expect(env.STRIPE_PRICE_IDS.business.year).toBe('price_by');
    expect(env.ALLOWED_REDIRECT_ORIGINS).toEqual(['https://www.acme.test', 'https://admin.acme.test']);
    expect(env).toMatchObject({ BILLING_GRACE_DAYS: 7, APP_URL: 'http://localhost:3000' });
  });

  it('billing: says what is wrong with a price id map or an origin, and names every bad variable', () => {
    const missingInterval = JSON.stringify({
      team: { month: 'price_tm' },
      business: { month: 'x', year: 'y' },
    });
    expect(() =>
      readBillingEnv({
        STRIPE_PRICE_IDS: missingInterval,
        ALLOWED_REDIRECT_ORIGINS: 'https://www.acme.test/billing',
        BILLING_GRACE_DAYS: '61',
      }),
    ).toThrow(
      'Invalid billing environment: STRIPE_SECRET_KEY: set STRIPE_SECRET_KEY or STRIPE_SECRET_KEY_PARAMETER, ' +
        'STRIPE_PRICE_IDS: not a price id map: team must have exactly month and year (missing year), ' +
        'ALLOWED_REDIRECT_ORIGINS: "https://www.acme.test/billing" is not an origin (scheme://host[:port]), BILLING_GRACE_DAYS',
    );
    expect(() => readBillingEnv({ STRIPE_SECRET_KEY: 'sk_test_1' })).toThrow(
      'Invalid billing environment: STRIPE_PRICE_IDS',
    );
  });

  it.each([
    ['not JSON', '{'],
    ['an extra plan', JSON.stringify({ team: {}, business: {}, enterprise: {} })],
    [
      'an id that is not a price',
      JSON.stringify({
        team: { month: 'prod_1', year: 'price_2' },
        business: { month: 'price_3', year: 'price_4' },
      }),
    ],
  ])('parsePriceIds refuses %s', (_, json) => {
    expect(() => parsePriceIds(json)).toThrow();
  });

  it('erasure workers: need the table, the pool, the SSO prefix and a Stripe key; read the numbers', () => {
    const env = readErasureWorkerEnv({
      TABLE_NAME: 't',
      USER_POOL_ID: 'p',
      SSO_SECRET_PREFIX: 'plinth/dev/sso/',
      STRIPE_SECRET_KEY_PARAMETER: '/plinth/dev/stripe/secret-key',
      WAREHOUSE_SETTLE_SECONDS: '0',
    });
    expect(env).toMatchObject({
      WAREHOUSE_SETTLE_SECONDS: 0,
      TENANT_PURGE_GRACE_DAYS: 30,
      AWS_REGION: 'us-east-1',
    });
    expect(() => readErasureWorkerEnv({ ERASURE_PSEUDONYM_KEY: 'short' })).toThrow(
      'Invalid erasure environment: TABLE_NAME, USER_POOL_ID, ERASURE_PSEUDONYM_KEY, SSO_SECRET_PREFIX, STRIPE_SECRET_KEY: set STRIPE_SECRET_KEY or STRIPE_SECRET_KEY_PARAMETER',
    );
  });
});
