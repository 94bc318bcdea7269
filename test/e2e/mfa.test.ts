import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signIn, totpCode } from '../../scripts/local/cognito.ts';
import { mirrorSubscription } from '../support/billing-state.ts';
import {
  api,
  createTestStack,
  type LocalServer,
  signUpUser,
  startTestServer,
  type TestStack,
  type TestUser,
  uniqueEmail,
} from '../support/harness.ts';

/**
 * MFA over HTTP with the emulator's tokens: an owner of a Business tenant enrols an authenticator
 * app and requires MFA; a colleague who joined by invitation is refused until they enrol through the
 * same routes, signs in again answering the TOTP challenge, and gets in; their own tenant never
 * noticed. Then the attribute rule: a manager deletes their own project but not the owner's.
 */

let stack: TestStack;
let server: LocalServer;

beforeAll(async () => {
  stack = await createTestStack();
  server = await startTestServer(stack);
});
afterAll(() => server.close());

async function enrol(user: TestUser): Promise<string> {
  const client = api(server, user.accessToken);
  const started = await client.post('/v1/me/mfa/totp');
  expect(started.status).toBe(200);
  expect(started.body.otpauthUri).toMatch(/^otpauth:\/\/totp\/Plinth:/);
  const verified = await client.post('/v1/me/mfa/totp/verification', { code: totpCode(started.body.secret) });
  expect(verified.body).toEqual({ mfaEnabled: true });
  return started.body.secret;
}

/** An owner's tenant with a colleague who joined by invitation in `role`. */
async function teamOf(role: 'member' | 'manager', slug: string) {
  const owner = await signUpUser(stack);
  const asOwner = api(server, owner.accessToken);
  const tenant = await asOwner.post('/v1/tenants', { name: 'Secure Ltd', slug });
  const base = `/v1/tenants/${tenant.body.tenantId}`;
  const email = uniqueEmail('colleague');
  const invitation = await asOwner.post(`${base}/invitations`, { email, role });
  const colleague = await signUpUser(stack, email);
  const accepted = await api(server, colleague.accessToken).post(
    `/v1/invitations/${invitation.body.invitationId}/accept`,
  );
  expect(accepted.status).toBe(200);
  return { owner, colleague, tenantId: tenant.body.tenantId as string, base };
}

describe('a Business tenant that requires MFA', () => {
  it('keeps a colleague out until they enrol, and only in that tenant', async () => {
    const { owner, colleague, tenantId, base } = await teamOf('member', 'secure-ltd');
    const asOwner = api(server, owner.accessToken);

    // Not on Business yet: the requirement is a plan feature.
    expect((await asOwner.patch(base, { requireMfa: true })).status).toBe(402);
    await mirrorSubscription(stack, tenantId, { plan: 'business' });
    // Not without MFA of their own: it would shut the owner out.
    expect((await asOwner.patch(base, { requireMfa: true })).status).toBe(409);
    await enrol(owner);
    const required = await asOwner.patch(base, { requireMfa: true });
    expect(required.status).toBe(200);
    expect(required.body.requireMfa).toBe(true);

    // The owner sees who lacks MFA.
    const members = await asOwner.get(`${base}/members`);
    expect(members.body.items).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ userId: owner.userId, mfaEnabled: true }),
        expect.objectContaining({ userId: colleague.userId, mfaEnabled: false }),
      ]),
    );

    // The colleague is refused with directions, can still read why, and their own tenant is untouched.
    const asColleague = api(server, colleague.accessToken);
    const refused = await asColleague.get(`${base}/projects`);
    expect(refused.status).toBe(403);
    expect(refused.headers.get('content-type')).toMatch(/problem\+json/);
    expect(refused.body.detail).toContain('POST /v1/me/mfa/totp');
    expect((await asColleague.get(base)).body.requireMfa).toBe(true);
    const own = await asColleague.post('/v1/tenants', { name: 'Side Project', slug: 'side-project' });
    expect((await asColleague.get(`/v1/tenants/${own.body.tenantId}/projects`)).status).toBe(200);
    expect((await asColleague.get('/v1/me')).body.mfaEnabled).toBe(false);

    // They enrol through the routes; the pool now asks them for a code at sign-in.
    const secret = await enrol(colleague);
    const tokens = await signIn(stack.cognito, stack, {
      email: colleague.email,
      password: colleague.password,
      totpSecret: secret,
    });
    const signedIn = api(server, tokens.accessToken);
    expect((await signedIn.get('/v1/me')).body.mfaEnabled).toBe(true);
    expect((await signedIn.get(`${base}/projects`)).status).toBe(200);

    // Turning MFA off is refused while the tenant requires it.
    expect((await signedIn.delete('/v1/me/mfa')).status).toBe(409);
  });
});

describe('attribute rules over HTTP', () => {
  it('lets a manager delete the project they created, and not the owner’s', async () => {
    const { owner, colleague, base } = await teamOf('manager', 'abac-ltd');
    const theirs = await api(server, colleague.accessToken).post(`${base}/projects`, {
      name: 'Mine',
      slug: 'mine',
    });
    const owners = await api(server, owner.accessToken).post(`${base}/projects`, {
      name: 'Owned',
      slug: 'owned',
    });
    const asManager = api(server, colleague.accessToken);

    expect((await asManager.delete(`${base}/projects/${theirs.body.projectId}`)).status).toBe(204);
    expect((await asManager.delete(`${base}/projects/${owners.body.projectId}`)).status).toBe(403);
    expect(
      (await api(server, owner.accessToken).get(`${base}/projects/${owners.body.projectId}`)).status,
    ).toBe(200);
  });
});
