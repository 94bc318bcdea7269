import { describe, expect, it } from 'vitest';
import { readEnv } from '#shared/config/env.ts';

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
