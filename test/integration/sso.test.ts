import {
  DescribeIdentityProviderCommand,
  DescribeUserPoolClientCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-cognito-identity-provider';
import {
  GetSecretValueCommand,
  ResourceNotFoundException as SecretNotFound,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { PreSignUpTriggerEvent, PreTokenGenerationTriggerEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDocumentClient } from '#shared/db/client.ts';
import { keys } from '#shared/db/keys.ts';
import { newId } from '#shared/ids.ts';
import { createCognitoFederationDirectory } from '#shared/sso/federation-directory.ts';
import { providerNameFor } from '#shared/sso/sso.records.ts';
import { createSsoRepository } from '#shared/sso/sso.repository.ts';
import {
  type FederationDirectory,
  joinOnFederatedSignIn,
  linkFederatedSignUp,
} from '#shared/sso/sso-triggers.ts';
import { localClientConfig } from '../../scripts/local/aws.ts';
import { mirrorSubscription } from '../support/billing-state.ts';
import {
  api,
  createTestStack,
  type LocalServer,
  signUpUser,
  startTestServer,
  type TestStack,
  type TestUser,
} from '../support/harness.ts';

/**
 * Enterprise SSO against the emulators: the tenant's identity provider created, replaced and
 * deleted in moto's user pool and attached to the SSO app client, the OIDC client secret in moto's
 * Secrets Manager (and never in an answer), domain claims (one tenant per domain) and simulated
 * verification; and the Cognito triggers run in process with trigger events shaped as Cognito sends
 * them, against the same table and pool (moto runs no triggers and has no AdminLinkProviderForUser,
 * so the link call is recorded rather than made).
 */

let stack: TestStack;
let server: LocalServer;
let secrets: SecretsManagerClient;

beforeAll(async () => {
  stack = await createTestStack();
  server = await startTestServer(stack);
  secrets = new SecretsManagerClient(localClientConfig(stack));
});
afterAll(async () => {
  secrets.destroy();
  await server.close();
});

const slug = () => `sso-${Math.random().toString(36).slice(2, 10)}`;
const domainName = () => `acme-${Math.random().toString(36).slice(2, 10)}.test`;
const oidc = {
  protocol: 'oidc',
  issuer: 'https://idp.acme.test',
  clientId: 'plinth-at-acme',
  clientSecret: 'shh-this-is-the-client-secret',
};
const saml = { protocol: 'saml', metadataUrl: 'https://idp.acme.test/saml/metadata' };

async function businessTenant(): Promise<{ owner: TestUser; tenantId: string }> {
  const owner = await signUpUser(stack);
  const created = await api(server, owner.accessToken).post('/v1/tenants', { name: 'Acme', slug: slug() });
  expect(created.status).toBe(201);
  await mirrorSubscription(stack, created.body.tenantId, { plan: 'business' });
  return { owner, tenantId: created.body.tenantId };
}

async function describeProvider(name: string) {
  const { IdentityProvider } = await stack.cognito.send(
    new DescribeIdentityProviderCommand({ UserPoolId: stack.userPoolId, ProviderName: name }),
  );
  return IdentityProvider;
}

async function ssoClientProviders(): Promise<string[]> {
  const { UserPoolClient } = await stack.cognito.send(
    new DescribeUserPoolClientCommand({ UserPoolId: stack.userPoolId, ClientId: stack.ssoClientId }),
  );
  return UserPoolClient?.SupportedIdentityProviders ?? [];
}

const secretName = (tenantId: string) => `plinth/${stack.stage}/sso/${tenantId}`;

describe('identity provider in the user pool', () => {
  it('creates the tenant’s OIDC provider and attaches it to the SSO client', async () => {
    const { owner, tenantId } = await businessTenant();
    const put = await api(server, owner.accessToken).put(`/v1/tenants/${tenantId}/sso`, oidc);
    expect(put.status).toBe(200);
    const provider = await describeProvider(providerNameFor(tenantId));
    expect(provider).toMatchObject({
      ProviderType: 'OIDC',
      ProviderDetails: expect.objectContaining({
        client_id: 'plinth-at-acme',
        oidc_issuer: 'https://idp.acme.test',
      }),
    });
    expect(await ssoClientProviders()).toContain(providerNameFor(tenantId));
  });

  it('keeps the client secret in Secrets Manager and never answers it', async () => {
    const { owner, tenantId } = await businessTenant();
    const client = api(server, owner.accessToken);
    const put = await client.put(`/v1/tenants/${tenantId}/sso`, oidc);
    const got = await client.get(`/v1/tenants/${tenantId}/sso`);
    const stored = await secrets.send(new GetSecretValueCommand({ SecretId: secretName(tenantId) }));
    expect(stored.SecretString).toBe(oidc.clientSecret);
    expect(JSON.stringify(put.body)).not.toContain(oidc.clientSecret);
    expect(JSON.stringify(got.body)).not.toContain(oidc.clientSecret);
    expect(got.body).toMatchObject({
      protocol: 'oidc',
      clientId: 'plinth-at-acme',
      clientSecretStored: true,
    });
  });

  it('replaces an OIDC provider by a SAML one under the same name, and drops the secret', async () => {
    const { owner, tenantId } = await businessTenant();
    const client = api(server, owner.accessToken);
    await client.put(`/v1/tenants/${tenantId}/sso`, oidc);
    const put = await client.put(`/v1/tenants/${tenantId}/sso`, saml);
    expect(put.status).toBe(200);
    expect(await describeProvider(providerNameFor(tenantId))).toMatchObject({
      ProviderType: 'SAML',
      ProviderDetails: expect.objectContaining({ MetadataURL: saml.metadataUrl }),
    });
    await expect(
      secrets.send(new GetSecretValueCommand({ SecretId: secretName(tenantId) })),
    ).rejects.toBeInstanceOf(SecretNotFound);
  });

  it('updates the provider in place when the protocol stays', async () => {
    const { owner, tenantId } = await businessTenant();
    const client = api(server, owner.accessToken);
    await client.put(`/v1/tenants/${tenantId}/sso`, saml);
    await client.put(`/v1/tenants/${tenantId}/sso`, {
      ...saml,
      metadataUrl: 'https://idp.acme.test/v2/metadata',
    });
    expect((await describeProvider(providerNameFor(tenantId)))?.ProviderDetails?.MetadataURL).toBe(
      'https://idp.acme.test/v2/metadata',
    );
  });

  it('deletes the provider, its attachment and its secret with the tenant’s SSO', async () => {
    const { owner, tenantId } = await businessTenant();
    const client = api(server, owner.accessToken);
    await client.put(`/v1/tenants/${tenantId}/sso`, oidc);
    const removed = await client.delete(`/v1/tenants/${tenantId}/sso`);
    expect(removed.status).toBe(204);
    await expect(describeProvider(providerNameFor(tenantId))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
    expect(await ssoClientProviders()).not.toContain(providerNameFor(tenantId));
    await expect(
      secrets.send(new GetSecretValueCommand({ SecretId: secretName(tenantId) })),
    ).rejects.toBeInstanceOf(SecretNotFound);
    expect((await client.get(`/v1/tenants/${tenantId}/sso`)).status).toBe(404);
  });

  it('keeps every tenant’s provider attached when two tenants configure SSO', async () => {
    const [a, b] = await Promise.all([businessTenant(), businessTenant()]);
    await Promise.all([
      api(server, a.owner.accessToken).put(`/v1/tenants/${a.tenantId}/sso`, saml),
      api(server, b.owner.accessToken).put(`/v1/tenants/${b.tenantId}/sso`, saml),
    ]);
    expect(await ssoClientProviders()).toEqual(
      expect.arrayContaining([providerNameFor(a.tenantId), providerNameFor(b.tenantId)]),
    );
  });
});

describe('domain claims', () => {
  it('gives a domain to one tenant only', async () => {
    const [a, b] = await Promise.all([businessTenant(), businessTenant()]);
    const domain = domainName();
    await api(server, a.owner.accessToken).put(`/v1/tenants/${a.tenantId}/sso`, saml);
    await api(server, b.owner.accessToken).put(`/v1/tenants/${b.tenantId}/sso`, saml);
    const first = await api(server, a.owner.accessToken).post(`/v1/tenants/${a.tenantId}/sso/domains`, {
      domain,
    });
    const second = await api(server, b.owner.accessToken).post(`/v1/tenants/${b.tenantId}/sso/domains`, {
      domain,
    });
    expect(first.status).toBe(201);
    expect(second.status).toBe(409);
    const claim = await stack.db.send(
      new GetCommand({ TableName: stack.tableName, Key: keys.ssoDomainClaim(domain), ConsistentRead: true }),
    );
    expect(claim.Item?.tenantId).toBe(a.tenantId);
  });

  it('answers the TXT record to publish for a claim', async () => {
    const { owner, tenantId } = await businessTenant();
    const domain = domainName();
    await api(server, owner.accessToken).put(`/v1/tenants/${tenantId}/sso`, saml);
    const claimed = await api(server, owner.accessToken).post(`/v1/tenants/${tenantId}/sso/domains`, {
      domain,
    });
    expect(claimed.body).toMatchObject({
      domain,
      status: 'pending',
      txtRecord: { name: `_plinth-sso.${domain}`, value: expect.stringMatching(/^plinth-sso-verification=/) },
    });
  });

  it('releases a tenant’s domains when its SSO is removed, so another tenant can claim them', async () => {
    const [a, b] = await Promise.all([businessTenant(), businessTenant()]);
    const domain = domainName();
    await api(server, a.owner.accessToken).put(`/v1/tenants/${a.tenantId}/sso`, saml);
    await api(server, a.owner.accessToken).post(`/v1/tenants/${a.tenantId}/sso/domains`, { domain });
    await api(server, a.owner.accessToken).delete(`/v1/tenants/${a.tenantId}/sso`);
    await api(server, b.owner.accessToken).put(`/v1/tenants/${b.tenantId}/sso`, saml);
    const claimed = await api(server, b.owner.accessToken).post(`/v1/tenants/${b.tenantId}/sso/domains`, {
      domain,
    });
    expect(claimed.status).toBe(201);
  });

  it('verifies a claim by simulation locally, and says so', async () => {
    const { owner, tenantId } = await businessTenant();
    const domain = domainName();
    const client = api(server, owner.accessToken);
    await client.put(`/v1/tenants/${tenantId}/sso`, saml);
    await client.post(`/v1/tenants/${tenantId}/sso/domains`, { domain });
    const verified = await client.post(`/v1/tenants/${tenantId}/sso/domains/${domain}/verification`);
    expect(verified.status).toBe(200);
    expect(verified.body).toMatchObject({
      domain,
      status: 'verified',
      verification: 'simulated',
      detail: expect.stringMatching(/^Simulated: /),
    });
  });

  it('audits the configuration, the claim and the verification', async () => {
    const { owner, tenantId } = await businessTenant();
    const domain = domainName();
    const client = api(server, owner.accessToken);
    await client.put(`/v1/tenants/${tenantId}/sso`, oidc);
    await client.post(`/v1/tenants/${tenantId}/sso/domains`, { domain });
    await client.post(`/v1/tenants/${tenantId}/sso/domains/${domain}/verification`);
    const log = await client.get(`/v1/tenants/${tenantId}/audit-log`);
    const actions = (log.body.items as { action: string }[]).map((entry) => entry.action);
    expect(actions).toEqual(
      expect.arrayContaining(['sso.configured', 'sso.domain-claimed', 'sso.domain-verified']),
    );
    expect(JSON.stringify(log.body)).not.toContain(oidc.clientSecret);
  });
});

/** A tenant with SSO configured and `domain` verified; `settings` go into the PUT. */
async function ssoTenant(settings: Record<string, unknown> = {}) {
  const { owner, tenantId } = await businessTenant();
  const domain = domainName();
  const client = api(server, owner.accessToken);
  expect((await client.put(`/v1/tenants/${tenantId}/sso`, { ...saml, ...settings })).status).toBe(200);
  await client.post(`/v1/tenants/${tenantId}/sso/domains`, { domain });
  await client.post(`/v1/tenants/${tenantId}/sso/domains/${domain}/verification`);
  return { owner, tenantId, domain, provider: providerNameFor(tenantId) };
}

describe('Cognito triggers, in process', () => {
  const db = () => ({
    client: createDocumentClient({ region: stack.region, endpoint: stack.endpoint }),
    tableName: stack.tableName,
  });
  const repo = () => createSsoRepository(db(), { clock: () => new Date(), newId: () => newId() });

  /** The pool's lookups, with the link (which moto lacks) recorded instead of made. */
  function recordingDirectory() {
    const links: { userPoolId: string; username: string; providerName: string; providerUserId: string }[] =
      [];
    const real = createCognitoFederationDirectory(stack.cognito);
    const directory: FederationDirectory = {
      findPasswordUser: (pool, email) => real.findPasswordUser(pool, email),
      link: async (userPoolId, username, source) => {
        links.push({ userPoolId, username, ...source });
      },
    };
    return { directory, links };
  }

  /** PreSignUp as Cognito sends it for a first sign-in through an external provider. */
  const preSignUp = (provider: string, providerUserId: string, email: string): PreSignUpTriggerEvent => ({
    version: '1',
    region: stack.region,
    userPoolId: stack.userPoolId,
    userName: `${provider}_${providerUserId}`,
    callerContext: { awsSdkVersion: 'aws-sdk-unknown-unknown', clientId: stack.ssoClientId },
    triggerSource: 'PreSignUp_ExternalProvider',
    request: { userAttributes: { email, 'cognito:email_alias': '', 'cognito:phone_number_alias': '' } },
    response: { autoConfirmUser: false, autoVerifyEmail: false, autoVerifyPhone: false },
  });

  /** PreTokenGeneration as Cognito sends it after a federated sign-in through the hosted UI. */
  const preToken = (
    provider: string,
    user: { sub: string; email: string },
    triggerSource: PreTokenGenerationTriggerEvent['triggerSource'] = 'TokenGeneration_HostedAuth',
  ): PreTokenGenerationTriggerEvent =>
    ({
      version: '1',
      region: stack.region,
      userPoolId: stack.userPoolId,
      userName: `${provider}_nameid-${user.sub.slice(0, 8)}`,
      callerContext: { awsSdkVersion: 'aws-sdk-unknown-unknown', clientId: stack.ssoClientId },
      triggerSource,
      request: {
        userAttributes: {
          sub: user.sub,
          'cognito:user_status': 'EXTERNAL_PROVIDER',
          email_verified: 'false',
          email: user.email,
          identities: JSON.stringify([
            {
              userId: `nameid-${user.sub.slice(0, 8)}`,
              providerName: provider,
              providerType: 'SAML',
              issuer: 'https://idp.acme.test/saml/metadata',
              primary: 'true',
              dateCreated: String(Date.now()),
            },
          ]),
        },
        groupConfiguration: { groupsToOverride: [], iamRolesToOverride: [], preferredRole: undefined },
      },
      response: { claimsOverrideDetails: {} },
    }) as PreTokenGenerationTriggerEvent;

  const memberOf = async (tenantId: string, userId: string) =>
    (
      await stack.db.send(
        new GetCommand({
          TableName: stack.tableName,
          Key: keys.member(tenantId, userId),
          ConsistentRead: true,
        }),
      )
    ).Item;
  const tenantItem = async (tenantId: string) =>
    (
      await stack.db.send(
        new GetCommand({ TableName: stack.tableName, Key: keys.tenant(tenantId), ConsistentRead: true }),
      )
    ).Item;

  it('links a federated sign-up to the password user with the same email', async () => {
    const { domain, provider } = await ssoTenant();
    const person = await signUpUser(stack, `ada@${domain}`);
    const { directory, links } = recordingDirectory();
    const event = preSignUp(provider, 'ada-at-idp', person.email);
    expect(await linkFederatedSignUp(event, { repo: repo(), directory })).toBe(event);
    expect(links).toEqual([
      {
        userPoolId: stack.userPoolId,
        username: expect.any(String),
        providerName: provider,
        providerUserId: 'ada-at-idp',
      },
    ]);
    // The pool's own user of that email: its username is the one ListUsers returns for it.
    expect(await directory.findPasswordUser(stack.userPoolId, person.email)).toBe(links[0]?.username);
  });

  it('lets a federated sign-up without a password account through unlinked', async () => {
    const { domain, provider } = await ssoTenant();
    const { directory, links } = recordingDirectory();
    const event = preSignUp(provider, 'new-at-idp', `new-${newId()}@${domain}`);
    expect(await linkFederatedSignUp(event, { repo: repo(), directory })).toBe(event);
    expect(links).toEqual([]);
  });

  it('refuses a federated sign-up whose email is outside the provider tenant’s verified domains', async () => {
    const first = await ssoTenant();
    const second = await ssoTenant();
    const victim = await signUpUser(stack, `grace@${second.domain}`);
    const { directory, links } = recordingDirectory();
    // The first tenant's IdP asserting an address of the second tenant's domain.
    await expect(
      linkFederatedSignUp(preSignUp(first.provider, 'grace', victim.email), { repo: repo(), directory }),
    ).rejects.toThrow(/not a verified single sign-on domain/);
    expect(links).toEqual([]);
  });

  it('leaves a password sign-up alone', async () => {
    const { directory, links } = recordingDirectory();
    const event: PreSignUpTriggerEvent = {
      ...preSignUp('unused', 'x', 'someone@example.com'),
      userName: '5a1b6c2d-0000-4000-8000-000000000001',
      triggerSource: 'PreSignUp_SignUp',
    };
    expect(await linkFederatedSignUp(event, { repo: repo(), directory })).toBe(event);
    expect(links).toEqual([]);
  });

  it('adds a first federated sign-in to the tenant with its default SSO role, a seat and an audit entry', async () => {
    const { owner, tenantId, domain, provider } = await ssoTenant({ defaultRole: 'manager' });
    const person = await signUpUser(stack, `jit-${newId().slice(-6)}@${domain}`);
    const before = (await tenantItem(tenantId))?.memberCount;
    await joinOnFederatedSignIn(preToken(provider, { sub: person.userId, email: person.email }), {
      repo: repo(),
      clock: () => new Date(),
      requestId: 'lambda-request-1',
    });
    expect(await memberOf(tenantId, person.userId)).toMatchObject({
      role: 'manager',
      status: 'active',
      email: person.email,
    });
    expect((await tenantItem(tenantId))?.memberCount).toBe((before ?? 0) + 1);
    const log = await api(server, owner.accessToken).get(
      `/v1/tenants/${tenantId}/audit-log?action=member.joined-via-sso`,
    );
    expect(log.body.items).toEqual([
      expect.objectContaining({
        action: 'member.joined-via-sso',
        target: { type: 'member', id: person.userId },
      }),
    ]);
  });

  it('adds the user once however often they sign in', async () => {
    const { tenantId, domain, provider } = await ssoTenant();
    const person = await signUpUser(stack, `again-${newId().slice(-6)}@${domain}`);
    const deps = { repo: repo(), clock: () => new Date(), requestId: 'r' };
    await joinOnFederatedSignIn(preToken(provider, { sub: person.userId, email: person.email }), deps);
    const once = (await tenantItem(tenantId))?.memberCount;
    await joinOnFederatedSignIn(preToken(provider, { sub: person.userId, email: person.email }), deps);
    expect((await tenantItem(tenantId))?.memberCount).toBe(once);
  });

  it('refuses the sign-in when the tenant has no seat left, and adds nobody', async () => {
    const { tenantId, domain, provider } = await ssoTenant();
    await stack.db.send(
      new UpdateCommand({
        TableName: stack.tableName,
        Key: keys.tenant(tenantId),
        UpdateExpression: 'SET reservedSeats = :full',
        ExpressionAttributeValues: { ':full': 50 },
      }),
    );
    const person = await signUpUser(stack, `full-${newId().slice(-6)}@${domain}`);
    await expect(
      joinOnFederatedSignIn(preToken(provider, { sub: person.userId, email: person.email }), {
        repo: repo(),
        clock: () => new Date(),
        requestId: 'r',
      }),
    ).rejects.toThrow(/no seat left/);
    expect(await memberOf(tenantId, person.userId)).toBeUndefined();
  });

  it('adds nobody on a token refresh', async () => {
    const { tenantId, domain, provider } = await ssoTenant();
    const person = await signUpUser(stack, `refresh-${newId().slice(-6)}@${domain}`);
    await joinOnFederatedSignIn(
      preToken(provider, { sub: person.userId, email: person.email }, 'TokenGeneration_RefreshTokens'),
      { repo: repo(), clock: () => new Date(), requestId: 'r' },
    );
    expect(await memberOf(tenantId, person.userId)).toBeUndefined();
  });
});
