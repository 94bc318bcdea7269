import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { providerNameFor } from '#shared/sso/sso.records.ts';
import { signIn } from '../../scripts/local/cognito.ts';
import { mirrorSubscription } from '../support/billing-state.ts';
import {
  addMembership,
  api,
  createTestStack,
  type LocalServer,
  signUpUser,
  startTestServer,
  type TestStack,
  type TestUser,
} from '../support/harness.ts';

/**
 * Enterprise SSO through the local server: an owner configures the tenant's provider and domains,
 * the plan and role gates, home-realm discovery (public), and a tenant that requires SSO refusing
 * password sign-ins of its domains' emails. The hosted UI and real federation exist only in AWS:
 * a token of the SSO client stands in for a federated sign-in's (moto signs a user in through that
 * client with a password, which Cognito would not allow; the API only sees the token's client).
 */

let stack: TestStack;
let server: LocalServer;

beforeAll(async () => {
  stack = await createTestStack();
  server = await startTestServer(stack);
});
afterAll(() => server.close());

const slug = () => `sso-${Math.random().toString(36).slice(2, 10)}`;
const domainName = () => `corp-${Math.random().toString(36).slice(2, 10)}.test`;
const saml = { protocol: 'saml', metadataUrl: 'https://idp.corp.test/saml/metadata' };

async function tenantOf(owner: TestUser, plan: 'free' | 'team' | 'business'): Promise<string> {
  const created = await api(server, owner.accessToken).post('/v1/tenants', { name: 'Corp', slug: slug() });
  expect(created.status).toBe(201);
  if (plan !== 'free') await mirrorSubscription(stack, created.body.tenantId, { plan });
  return created.body.tenantId;
}

/** A Business tenant with SSO and a verified domain. */
async function ssoTenant(settings: Record<string, unknown> = {}) {
  const owner = await signUpUser(stack);
  const tenantId = await tenantOf(owner, 'business');
  const domain = domainName();
  const client = api(server, owner.accessToken);
  expect((await client.put(`/v1/tenants/${tenantId}/sso`, { ...saml, ...settings })).status).toBe(200);
  expect((await client.post(`/v1/tenants/${tenantId}/sso/domains`, { domain })).status).toBe(201);
  expect((await client.post(`/v1/tenants/${tenantId}/sso/domains/${domain}/verification`)).status).toBe(200);
  return { owner, tenantId, domain };
}

describe('configuring SSO', () => {
  it('answers 402 naming the plan that includes SSO to a tenant without it', async () => {
    const owner = await signUpUser(stack);
    const tenantId = await tenantOf(owner, 'team');
    const response = await api(server, owner.accessToken).put(`/v1/tenants/${tenantId}/sso`, saml);
    expect(response.status).toBe(402);
    expect(response.body.detail).toBe(
      'The Team plan does not include single sign-on; upgrade to Business to use it.',
    );
  });

  it('lets only owners configure it', async () => {
    const owner = await signUpUser(stack);
    const tenantId = await tenantOf(owner, 'business');
    const admin = await signUpUser(stack);
    await addMembership(stack, tenantId, admin, 'admin');
    const response = await api(server, admin.accessToken).put(`/v1/tenants/${tenantId}/sso`, saml);
    expect(response.status).toBe(403);
    expect((await api(server, owner.accessToken).get(`/v1/tenants/${tenantId}/sso`)).status).toBe(404);
  });

  it('shows the owner the provider, its settings and domains', async () => {
    const { owner, tenantId, domain } = await ssoTenant({ defaultRole: 'manager' });
    const response = await api(server, owner.accessToken).get(`/v1/tenants/${tenantId}/sso`);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      tenantId,
      protocol: 'saml',
      providerName: providerNameFor(tenantId),
      metadataUrl: saml.metadataUrl,
      clientSecretStored: false,
      defaultRole: 'manager',
      requireSso: false,
      domains: [{ domain, status: 'verified', verification: 'simulated' }],
    });
  });

  it('answers 400 with the field for a body of neither protocol', async () => {
    const owner = await signUpUser(stack);
    const tenantId = await tenantOf(owner, 'business');
    const response = await api(server, owner.accessToken).put(`/v1/tenants/${tenantId}/sso`, {
      protocol: 'ldap',
    });
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([expect.objectContaining({ field: 'body.protocol' })]);
  });
});

describe('home-realm discovery', () => {
  it('sends an email of a verified domain to the hosted UI with the tenant’s provider', async () => {
    const { tenantId, domain } = await ssoTenant();
    const response = await api(server).get(`/v1/auth/sso?email=${encodeURIComponent(`Ada@${domain}`)}`);
    expect(response.status).toBe(200);
    const url = new URL(response.body.authorizeUrl);
    expect(`${url.origin}${url.pathname}`).toBe(`${stack.env.SSO_HOSTED_UI_URL}/oauth2/authorize`);
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      identity_provider: providerNameFor(tenantId),
      client_id: stack.ssoClientId,
      response_type: 'code',
      redirect_uri: stack.env.SSO_CALLBACK_URL,
    });
    expect(response.body.identityProvider).toBe(providerNameFor(tenantId));
  });

  it('answers 404 for a domain no tenant verified, saying nothing else', async () => {
    const response = await api(server).get(`/v1/auth/sso?email=someone%40${domainName()}`);
    expect(response.status).toBe(404);
    expect(Object.keys(response.body).sort()).toEqual(['detail', 'instance', 'status', 'title', 'type']);
  });

  it('answers 404 for a domain claimed but not yet verified', async () => {
    const owner = await signUpUser(stack);
    const tenantId = await tenantOf(owner, 'business');
    const domain = domainName();
    await api(server, owner.accessToken).put(`/v1/tenants/${tenantId}/sso`, saml);
    await api(server, owner.accessToken).post(`/v1/tenants/${tenantId}/sso/domains`, { domain });
    expect((await api(server).get(`/v1/auth/sso?email=a%40${domain}`)).status).toBe(404);
  });
});

describe('requiring SSO', () => {
  it('refuses a password sign-in of an email in the tenant’s verified domains, saying to use SSO', async () => {
    const { tenantId, domain } = await ssoTenant({ requireSso: true });
    const person = await signUpUser(stack, `grace-${slug()}@${domain}`);
    await addMembership(stack, tenantId, person, 'member');
    const response = await api(server, person.accessToken).get(`/v1/tenants/${tenantId}`);
    expect(response.status).toBe(403);
    expect(response.body.detail).toMatch(
      /requires single sign-on for corp-.*\.test addresses.*GET \/v1\/auth\/sso/,
    );
  });

  it('accepts the same person’s token of the SSO client', async () => {
    const { tenantId, domain } = await ssoTenant({ requireSso: true });
    const person = await signUpUser(stack, `alan-${slug()}@${domain}`);
    await addMembership(stack, tenantId, person, 'member');
    const tokens = await signIn(
      stack.cognito,
      { userPoolId: stack.userPoolId, clientId: stack.ssoClientId },
      { email: person.email, password: person.password },
    );
    expect((await api(server, tokens.accessToken).get(`/v1/tenants/${tenantId}`)).status).toBe(200);
  });

  it('lets members outside the verified domains sign in with a password', async () => {
    const { owner, tenantId } = await ssoTenant({ requireSso: true });
    expect((await api(server, owner.accessToken).get(`/v1/tenants/${tenantId}`)).status).toBe(200);
  });

  it('answers 409 to an owner of a verified domain requiring SSO from a password session', async () => {
    const { owner, tenantId, domain } = await ssoTenant();
    const insider = await signUpUser(stack, `owner-${slug()}@${domain}`);
    await addMembership(stack, tenantId, insider, 'owner');
    const response = await api(server, insider.accessToken).put(`/v1/tenants/${tenantId}/sso`, {
      ...saml,
      requireSso: true,
    });
    expect(response.status).toBe(409);
    const config = await api(server, owner.accessToken).get(`/v1/tenants/${tenantId}/sso`);
    expect(config.body.requireSso).toBe(false);
  });

  it('binds only the tenant that requires it', async () => {
    const { tenantId, domain } = await ssoTenant({ requireSso: true });
    const person = await signUpUser(stack, `mixed-${slug()}@${domain}`);
    await addMembership(stack, tenantId, person, 'member');
    const own = await tenantOf(person, 'free');
    expect((await api(server, person.accessToken).get(`/v1/tenants/${own}`)).status).toBe(200);
  });
});
