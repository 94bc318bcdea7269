import type { UserPoolClientType } from '@aws-sdk/client-cognito-identity-provider';
import { describe, expect, it } from 'vitest';
import { callerFromClaims } from '#shared/auth/caller.ts';
import { createDnsVerifier, simulatedVerifier } from '#shared/sso/domain-verification.ts';
import { clientUpdateInput } from '#shared/sso/identity-providers.ts';
import {
  domainOfEmail,
  isVerifiedDomainOf,
  providerNameFor,
  tenantOfProvider,
} from '#shared/sso/sso.records.ts';
import { putSsoBody } from '#shared/sso/sso.schema.ts';
import { federatedUserOf, providersOf } from '#shared/sso/sso-triggers.ts';

const TENANT = '01jd6x0000abcdefghjkmnpqrs';

describe('SSO provider names', () => {
  it('names a tenant’s provider within Cognito’s 32 characters and without an underscore', () => {
    const name = providerNameFor(TENANT);
    expect(name.length).toBeLessThanOrEqual(32);
    expect(name).not.toContain('_');
  });

  it('reads the tenant back from its provider name', () => {
    expect(tenantOfProvider(providerNameFor(TENANT))).toBe(TENANT);
  });

  it('owns no provider it did not name', () => {
    expect(tenantOfProvider('Google')).toBeUndefined();
    expect(tenantOfProvider('sso-not-a-tenant-id')).toBeUndefined();
  });

  it('splits a federated user name at the first underscore (provider names have none)', () => {
    expect(federatedUserOf(`sso-${TENANT}_abc_def`)).toEqual({
      providerName: `sso-${TENANT}`,
      providerUserId: 'abc_def',
    });
    expect(federatedUserOf('3f1c0a4e-uuid-of-a-password-user')).toBeUndefined();
  });

  it('reads the providers of the identities attribute', () => {
    const identities = JSON.stringify([
      { userId: 'x', providerName: `sso-${TENANT}`, providerType: 'SAML', primary: 'true' },
    ]);
    expect(providersOf(identities)).toEqual([`sso-${TENANT}`]);
    expect(providersOf('not json')).toEqual([]);
    expect(providersOf(undefined)).toEqual([]);
  });
});

describe('SSO domains', () => {
  it('takes an email’s domain lower-cased', () => {
    expect(domainOfEmail('Ada@Example.COM')).toBe('example.com');
  });

  it('counts only verified domains as covered by SSO', () => {
    const domains = {
      'acme.test': { status: 'verified' as const, token: 't', claimedAt: '2026-01-01T00:00:00.000Z' },
      'pending.test': { status: 'pending' as const, token: 't', claimedAt: '2026-01-01T00:00:00.000Z' },
    };
    expect(isVerifiedDomainOf({ domains }, 'a@acme.test')).toBe(true);
    expect(isVerifiedDomainOf({ domains }, 'a@pending.test')).toBe(false);
    expect(isVerifiedDomainOf({ domains }, 'a@other.test')).toBe(false);
  });
});

describe('PUT sso body', () => {
  it('refuses an http metadata URL', () => {
    const result = putSsoBody().safeParse({ protocol: 'saml', metadataUrl: 'http://idp.acme.test/metadata' });
    expect(result.success).toBe(false);
  });

  it('refuses owner as the default SSO role', () => {
    const result = putSsoBody().safeParse({
      protocol: 'saml',
      metadataUrl: 'https://idp.acme.test/metadata',
      defaultRole: 'owner',
    });
    expect(result.success).toBe(false);
  });

  it('needs a client secret for OIDC', () => {
    const result = putSsoBody().safeParse({
      protocol: 'oidc',
      issuer: 'https://idp.acme.test',
      clientId: 'c',
    });
    expect(result.success).toBe(false);
  });
});

describe('domain verification', () => {
  const record = '_plinth-sso.acme.test';
  const value = 'plinth-sso-verification=abc';

  it('finds the expected value among the TXT records, joining a record’s strings', async () => {
    const dns = createDnsVerifier(async () => [['v=spf1 -all'], ['plinth-sso-verification=', 'abc']]);
    expect((await dns.check(record, value)).found).toBe(true);
  });

  it('reports a missing record as not found rather than a fault', async () => {
    const dns = createDnsVerifier(async () => {
      throw Object.assign(new Error('queryTxt ENOTFOUND'), { code: 'ENOTFOUND' });
    });
    expect(await dns.check(record, value)).toEqual({
      found: false,
      detail: `DNS has no TXT record at ${record} yet.`,
    });
  });

  it('rethrows a DNS fault', async () => {
    const dns = createDnsVerifier(async () => {
      throw Object.assign(new Error('queryTxt ETIMEOUT'), { code: 'ETIMEOUT' });
    });
    await expect(dns.check(record, value)).rejects.toThrow('ETIMEOUT');
  });

  it('refuses a domain whose TXT records hold another value', async () => {
    const dns = createDnsVerifier(async () => [['plinth-sso-verification=other']]);
    expect((await dns.check(record, value)).found).toBe(false);
  });

  it('says so when verification is simulated', async () => {
    const result = await simulatedVerifier.check(record, value);
    expect(simulatedVerifier.method).toBe('simulated');
    expect(result).toEqual({ found: true, detail: expect.stringMatching(/^Simulated: .*not checked/) });
  });
});

describe('SSO client update', () => {
  it('repeats every setting of the described client, since UpdateUserPoolClient resets the ones left out', () => {
    const client: UserPoolClientType = {
      ClientId: 'sso-client',
      ClientName: 'plinth-web-sso',
      ExplicitAuthFlows: ['ALLOW_REFRESH_TOKEN_AUTH'],
      AllowedOAuthFlows: ['code'],
      AllowedOAuthScopes: ['openid', 'email', 'profile'],
      AllowedOAuthFlowsUserPoolClient: true,
      CallbackURLs: ['https://app.acme.test/sso/callback'],
      LogoutURLs: ['https://app.acme.test'],
      AccessTokenValidity: 60,
      TokenValidityUnits: { AccessToken: 'minutes' },
      EnableTokenRevocation: true,
      PreventUserExistenceErrors: 'ENABLED',
      SupportedIdentityProviders: ['sso-old'],
    };
    expect(clientUpdateInput('pool', client, ['sso-a', 'sso-b'])).toMatchObject({
      UserPoolId: 'pool',
      ClientId: 'sso-client',
      ExplicitAuthFlows: ['ALLOW_REFRESH_TOKEN_AUTH'],
      AllowedOAuthFlows: ['code'],
      AllowedOAuthScopes: ['openid', 'email', 'profile'],
      AllowedOAuthFlowsUserPoolClient: true,
      CallbackURLs: ['https://app.acme.test/sso/callback'],
      LogoutURLs: ['https://app.acme.test'],
      AccessTokenValidity: 60,
      TokenValidityUnits: { AccessToken: 'minutes' },
      EnableTokenRevocation: true,
      PreventUserExistenceErrors: 'ENABLED',
      SupportedIdentityProviders: ['sso-a', 'sso-b'],
    });
  });
});

describe('callerFromClaims: the token’s app client', () => {
  it('carries the app client the token was issued to, which require-SSO checks', () => {
    expect(callerFromClaims({ sub: 'u1', token_use: 'access', client_id: 'sso-client' }).clientId).toBe(
      'sso-client',
    );
  });
});
