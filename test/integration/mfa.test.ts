import { AdminGetUserCommand } from '@aws-sdk/client-cognito-identity-provider';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keys } from '#shared/db/keys.ts';
import type { Role } from '#shared/tenancy/permissions.ts';
import { totpCode } from '../../scripts/local/cognito.ts';
import { mirrorSubscription } from '../support/billing-state.ts';
import {
  addMembership,
  api,
  createTestStack,
  type LocalServer,
  signUpOperator,
  signUpUser,
  startTestServer,
  type TestStack,
  type TestUser,
} from '../support/harness.ts';

/**
 * MFA against the emulator's user pool: enrolment through Plinth's routes (Cognito's associate,
 * verify and preference calls made with the user's own token), the status on the profile and in
 * GET /v1/me, a tenant's requirement and the members list. moto does not check TOTP codes unless
 * told to, so a wrong code's 400 is proven in test/unit/mfa.test.ts; here the codes are right ones.
 */

let stack: TestStack;
let server: LocalServer;

beforeAll(async () => {
  stack = await createTestStack();
  server = await startTestServer(stack);
});
afterAll(() => server.close());

const slug = () => `mfa-${Math.random().toString(36).slice(2, 10)}`;

/** Enrols an authenticator app through Plinth's routes; returns the secret the app would keep. */
async function enrol(user: TestUser): Promise<string> {
  const client = api(server, user.accessToken);
  const started = await client.post('/v1/me/mfa/totp');
  expect(started.status).toBe(200);
  const verified = await client.post('/v1/me/mfa/totp/verification', { code: totpCode(started.body.secret) });
  expect(verified.status).toBe(200);
  return started.body.secret;
}

async function profileItem(userId: string) {
  const { Item } = await stack.db.send(
    new GetCommand({ TableName: stack.tableName, Key: keys.userProfile(userId), ConsistentRead: true }),
  );
  return Item;
}

async function poolMfa(user: TestUser) {
  const result = await stack.cognito.send(
    new AdminGetUserCommand({ UserPoolId: stack.userPoolId, Username: user.email }),
  );
  return result.UserMFASettingList ?? [];
}

/** A tenant owned by a new user, on `plan` (Business by default: it has the MFA policy). */
async function tenantOf(owner: TestUser, plan: 'team' | 'business' | 'free' = 'business'): Promise<string> {
  const created = await api(server, owner.accessToken).post('/v1/tenants', { name: 'MFA Co', slug: slug() });
  expect(created.status).toBe(201);
  if (plan !== 'free') await mirrorSubscription(stack, created.body.tenantId, { plan });
  return created.body.tenantId;
}

/** Adds a user to the tenant with a role, straight in the table (invitations have their own tests). */
async function addMember(tenantId: string, role: Role): Promise<TestUser> {
  const user = await signUpUser(stack);
  await addMembership(stack, tenantId, user, role);
  return user;
}

/** A Business tenant whose owner has MFA on and requires it. */
async function requiringTenant(): Promise<{ owner: TestUser; tenantId: string }> {
  const owner = await signUpUser(stack);
  const tenantId = await tenantOf(owner);
  await enrol(owner);
  const response = await api(server, owner.accessToken).patch(`/v1/tenants/${tenantId}`, {
    requireMfa: true,
  });
  expect(response.status).toBe(200);
  return { owner, tenantId };
}

describe('enrolling an authenticator app', () => {
  it('answers a secret and an otpauth URI naming the user, and MFA is not on yet', async () => {
    const user = await signUpUser(stack);

    const response = await api(server, user.accessToken).post('/v1/me/mfa/totp');

    expect(response.status).toBe(200);
    // moto hands every user the same fixed secret; Cognito a fresh base32 one.
    expect(response.body.secret).toEqual(expect.any(String));
    expect(response.body.otpauthUri).toBe(
      `otpauth://totp/Plinth:${encodeURIComponent(user.email)}?secret=${response.body.secret}&issuer=Plinth&algorithm=SHA1&digits=6&period=30`,
    );
    expect((await api(server, user.accessToken).get('/v1/me')).body.mfaEnabled).toBe(false);
    expect(await poolMfa(user)).toEqual([]);
  });

  it('turns TOTP on in the pool and on the profile once a code is verified', async () => {
    const user = await signUpUser(stack);
    const client = api(server, user.accessToken);
    const { secret } = (await client.post('/v1/me/mfa/totp')).body;

    const response = await client.post('/v1/me/mfa/totp/verification', { code: totpCode(secret) });

    expect(response.status).toBe(200);
    expect(response.body).toEqual({ mfaEnabled: true });
    expect(await poolMfa(user)).toEqual(['SOFTWARE_TOKEN_MFA']);
    expect(await profileItem(user.userId)).toMatchObject({
      mfaEnabled: true,
      mfaUpdatedAt: expect.any(String),
    });
  });

  it('shows mfaEnabled at GET /v1/me after enrolment', async () => {
    const user = await signUpUser(stack);
    await enrol(user);

    const me = await api(server, user.accessToken).get('/v1/me');

    expect(me.body).toMatchObject({ userId: user.userId, mfaEnabled: true });
  });

  it('refuses a code that is not six digits with a 400 on body.code, changing nothing', async () => {
    const user = await signUpUser(stack);
    const client = api(server, user.accessToken);
    await client.post('/v1/me/mfa/totp');

    const response = await client.post('/v1/me/mfa/totp/verification', { code: '12ab' });

    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([{ field: 'body.code', message: expect.any(String) }]);
    expect(await poolMfa(user)).toEqual([]);
    expect((await profileItem(user.userId))?.mfaEnabled).toBeUndefined();
  });

  it('asks the user to sign in with a code afterwards', async () => {
    const user = await signUpUser(stack);
    await enrol(user);

    await expect(
      (async () => {
        const { signIn } = await import('../../scripts/local/cognito.ts');
        return signIn(stack.cognito, stack, { email: user.email, password: user.password });
      })(),
    ).rejects.toThrow(/SOFTWARE_TOKEN_MFA/);
  });

  it('refuses the MFA routes under impersonation, before any session is looked up', async () => {
    const user = await signUpUser(stack);

    const response = await api(server, user.accessToken).post('/v1/me/mfa/totp', undefined, {
      headers: { 'plinth-impersonation': 'any-session' },
    });

    expect(response.status).toBe(403);
    expect(response.body.detail).toMatch(/credentials/);
  });
});

describe('turning MFA off', () => {
  it('turns TOTP off in the pool and on the profile', async () => {
    const user = await signUpUser(stack);
    await enrol(user);

    const response = await api(server, user.accessToken).delete('/v1/me/mfa');

    expect(response.status).toBe(204);
    expect(await poolMfa(user)).toEqual([]);
    expect(await profileItem(user.userId)).toMatchObject({ mfaEnabled: false });
    expect((await api(server, user.accessToken).get('/v1/me')).body.mfaEnabled).toBe(false);
  });

  it('refuses with 409 naming the tenant while a tenant of theirs requires MFA, and MFA stays on', async () => {
    const { owner } = await requiringTenant();

    const response = await api(server, owner.accessToken).delete('/v1/me/mfa');

    expect(response.status).toBe(409);
    expect(response.body.detail).toMatch(/"MFA Co" requires it/);
    expect(await poolMfa(owner)).toEqual(['SOFTWARE_TOKEN_MFA']);
    expect(await profileItem(owner.userId)).toMatchObject({ mfaEnabled: true });
  });
});

describe('a tenant requiring MFA', () => {
  it('refuses to turn the requirement on below Business with a 402 naming the plan, changing nothing', async () => {
    const owner = await signUpUser(stack);
    const tenantId = await tenantOf(owner, 'team');
    await enrol(owner);

    const response = await api(server, owner.accessToken).patch(`/v1/tenants/${tenantId}`, {
      requireMfa: true,
    });

    expect(response.status).toBe(402);
    expect(response.body.detail).toBe(
      'The Team plan does not include the MFA policy; upgrade to Business to use it.',
    );
    expect((await api(server, owner.accessToken).get(`/v1/tenants/${tenantId}`)).body.requireMfa).toBe(false);
  });

  it('refuses an owner without MFA turning it on with a 409 that says to enrol first', async () => {
    const owner = await signUpUser(stack);
    const tenantId = await tenantOf(owner);

    const response = await api(server, owner.accessToken).patch(`/v1/tenants/${tenantId}`, {
      requireMfa: true,
    });

    expect(response.status).toBe(409);
    expect(response.body.detail).toContain('POST /v1/me/mfa/totp');
    expect((await api(server, owner.accessToken).get(`/v1/tenants/${tenantId}`)).body.requireMfa).toBe(false);
  });

  it('lets only owners set it: an admin gets 403', async () => {
    const { tenantId } = await requiringTenant();
    const admin = await addMember(tenantId, 'admin');
    await enrol(admin);

    const response = await api(server, admin.accessToken).patch(`/v1/tenants/${tenantId}`, {
      requireMfa: false,
    });

    expect(response.status).toBe(403);
  });

  it('audits turning it on as tenant.updated with before and after', async () => {
    const { owner, tenantId } = await requiringTenant();

    const log = await api(server, owner.accessToken).get(`/v1/tenants/${tenantId}/audit-log`);

    expect(log.body.items).toContainEqual(
      expect.objectContaining({
        action: 'tenant.updated',
        before: expect.objectContaining({ requireMfa: false }),
        after: expect.objectContaining({ requireMfa: true }),
      }),
    );
  });

  it('refuses a member without MFA with a 403 that names the enrolment route', async () => {
    const { tenantId } = await requiringTenant();
    const member = await addMember(tenantId, 'member');

    const response = await api(server, member.accessToken).get(`/v1/tenants/${tenantId}/projects`);

    expect(response.status).toBe(403);
    expect(response.body.detail).toContain('POST /v1/me/mfa/totp');
    expect(response.body.detail).toContain('POST /v1/me/mfa/totp/verification');
  });

  it('still shows the tenant itself to a member without MFA, with the requirement', async () => {
    const { tenantId } = await requiringTenant();
    const member = await addMember(tenantId, 'member');

    const response = await api(server, member.accessToken).get(`/v1/tenants/${tenantId}`);

    expect(response.status).toBe(200);
    expect(response.body.requireMfa).toBe(true);
  });

  it('lets the member in once they enrolled, with the same token', async () => {
    const { tenantId } = await requiringTenant();
    const member = await addMember(tenantId, 'member');
    await enrol(member);

    const response = await api(server, member.accessToken).get(`/v1/tenants/${tenantId}/projects`);

    expect(response.status).toBe(200);
  });

  it('never affects another tenant of the same member', async () => {
    const { tenantId } = await requiringTenant();
    const member = await addMember(tenantId, 'member');
    const own = await tenantOf(member, 'free');

    expect((await api(server, member.accessToken).get(`/v1/tenants/${tenantId}/projects`)).status).toBe(403);
    expect((await api(server, member.accessToken).get(`/v1/tenants/${own}/projects`)).status).toBe(200);
  });

  it('keeps the refused answer a 404 for a tenant the caller does not belong to', async () => {
    const { tenantId } = await requiringTenant();
    const stranger = await signUpUser(stack);

    const response = await api(server, stranger.accessToken).get(`/v1/tenants/${tenantId}/projects`);

    expect(response.status).toBe(404);
  });

  it('refuses an operator impersonating a member without MFA with the member’s 403', async () => {
    const { tenantId } = await requiringTenant();
    const member = await addMember(tenantId, 'member');
    const support = await signUpOperator(stack, ['support']);
    const opened = await api(server, support.accessToken).post('/admin/impersonations', {
      userId: member.userId,
      reason: 'Ticket 12: cannot see projects',
      minutes: 15,
    });
    expect(opened.status).toBe(201);

    const response = await api(server, support.accessToken).get(`/v1/tenants/${tenantId}/projects`, {
      headers: { 'plinth-impersonation': opened.body.sessionId },
    });

    expect(response.status).toBe(403);
    expect(response.body.detail).toContain('POST /v1/me/mfa/totp');
  });

  it('lets members without MFA back in once an owner lifts it', async () => {
    const { owner, tenantId } = await requiringTenant();
    const member = await addMember(tenantId, 'member');

    const lifted = await api(server, owner.accessToken).patch(`/v1/tenants/${tenantId}`, {
      requireMfa: false,
    });

    expect(lifted.status).toBe(200);
    expect((await api(server, member.accessToken).get(`/v1/tenants/${tenantId}/projects`)).status).toBe(200);
  });
});

describe('who lacks MFA, in the members list', () => {
  it('shows admins each member’s MFA status', async () => {
    const { owner, tenantId } = await requiringTenant();
    const without = await addMember(tenantId, 'member');

    const list = await api(server, owner.accessToken).get(`/v1/tenants/${tenantId}/members`);

    expect(list.status).toBe(200);
    expect(list.body.items).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ userId: owner.userId, mfaEnabled: true }),
        expect.objectContaining({ userId: without.userId, mfaEnabled: false }),
      ]),
    );
  });

  it('shows members below admin no MFA status', async () => {
    const owner = await signUpUser(stack);
    const tenantId = await tenantOf(owner, 'free');
    const member = await addMember(tenantId, 'member');

    const list = await api(server, member.accessToken).get(`/v1/tenants/${tenantId}/members`);

    expect(list.status).toBe(200);
    for (const item of list.body.items) expect(item).not.toHaveProperty('mfaEnabled');
  });
});
