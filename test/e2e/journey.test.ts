import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mirrorSubscription } from '../support/billing-state.ts';
import {
  api,
  createTestStack,
  type LocalServer,
  readSentEmails,
  signUpUser,
  startTestServer,
  type TestStack,
  uniqueEmail,
} from '../support/harness.ts';

/**
 * The foundation's user journey over HTTP with real emulator tokens: sign up, create an
 * organisation, invite a colleague who signs up and accepts, manage roles, work on projects,
 * and read every change back from the audit log.
 */

let stack: TestStack;
let server: LocalServer;

beforeAll(async () => {
  stack = await createTestStack();
  server = await startTestServer(stack);
});
afterAll(() => server.close());

describe('a team adopting Plinth', () => {
  it('goes from sign-up to a shared project with every change audited', async () => {
    // An owner signs up and creates the organisation.
    const owner = await signUpUser(stack);
    const asOwner = api(server, owner.accessToken);
    expect((await asOwner.get('/v1/me')).body).toMatchObject({ userId: owner.userId, memberships: [] });
    const tenant = await asOwner.post('/v1/tenants', { name: 'Journey Ltd', slug: 'journey' });
    expect(tenant.status).toBe(201);
    const base = `/v1/tenants/${tenant.body.tenantId}`;

    // The owner invites a colleague by email as a manager; the email carries the link.
    const colleagueEmail = uniqueEmail('colleague');
    const invitation = await asOwner.post(`${base}/invitations`, { email: colleagueEmail, role: 'manager' });
    expect(invitation.status).toBe(201);
    const mail = (await readSentEmails(stack)).find((m) => m.to.includes(colleagueEmail));
    expect(mail?.body).toContain(invitation.body.acceptUrl);

    // The colleague signs up with that email, sees the invitation and accepts it.
    const colleague = await signUpUser(stack, colleagueEmail);
    const asColleague = api(server, colleague.accessToken);
    const pending = await asColleague.get('/v1/me/invitations');
    expect(pending.body.items).toEqual([
      expect.objectContaining({
        invitationId: invitation.body.invitationId,
        tenantName: 'Journey Ltd',
        role: 'manager',
      }),
    ]);
    const accepted = await asColleague.post(`/v1/invitations/${invitation.body.invitationId}/accept`);
    expect(accepted.status).toBe(200);
    expect(accepted.body).toMatchObject({ userId: colleague.userId, role: 'manager' });

    // Both are members; the colleague, as a manager, creates a project.
    const members = await asOwner.get(`${base}/members`);
    expect(members.body.items.map((m: { role: string }) => m.role).sort()).toEqual(['manager', 'owner']);
    const project = await asColleague.post(`${base}/projects`, { name: 'Launch', slug: 'launch' });
    expect(project.status).toBe(201);
    // A manager deletes only the projects they created: not the owner's.
    const owners = await asOwner.post(`${base}/projects`, { name: 'Roadmap', slug: 'roadmap' });
    expect((await asColleague.delete(`${base}/projects/${owners.body.projectId}`)).status).toBe(403);

    // The owner promotes the colleague to admin, who may now delete it.
    const promoted = await asOwner.patch(`${base}/members/${colleague.userId}`, { role: 'admin' });
    expect(promoted.body.role).toBe('admin');
    expect((await asColleague.delete(`${base}/projects/${owners.body.projectId}`)).status).toBe(204);

    // The owner cannot leave while the only owner; removing the colleague works.
    expect((await asOwner.delete(`${base}/members/${owner.userId}`)).status).toBe(409);
    expect((await asOwner.delete(`${base}/members/${colleague.userId}`)).status).toBe(204);
    expect((await asColleague.get(base)).status).toBe(404);

    // The audit log is a Team feature: on the Free plan it is a 402 naming the plan to upgrade to.
    const refused = await asOwner.get(`${base}/audit-log?limit=100`);
    expect(refused.status).toBe(402);
    expect(refused.body.detail).toContain('upgrade to Team');

    // Once on Team, every change is in the audit log (audited all along), newest first, with actor,
    // request id and source IP.
    await mirrorSubscription(stack, tenant.body.tenantId, { plan: 'team' });
    const log = await asOwner.get(`${base}/audit-log?limit=100`);
    expect(log.body.items.map((e: { action: string }) => e.action)).toEqual([
      'member.removed',
      'project.deleted',
      'member.role-changed',
      'project.created',
      'project.created',
      expect.stringMatching(/^(member\.joined|invitation\.accepted)$/),
      expect.stringMatching(/^(member\.joined|invitation\.accepted)$/),
      'invitation.created',
      'tenant.created',
    ]);
    const roleChange = log.body.items[2];
    expect(roleChange).toMatchObject({
      actor: { userId: owner.userId },
      target: { type: 'member', id: colleague.userId },
      before: { role: 'manager' },
      after: { role: 'admin' },
      sourceIp: '127.0.0.1',
    });
  });

  it('lets one person belong to several tenants with a role in each', async () => {
    const alex = await signUpUser(stack);
    const sam = await signUpUser(stack);
    const own = await api(server, alex.accessToken).post('/v1/tenants', { name: 'Alex Co', slug: 'alex-co' });
    const other = await api(server, sam.accessToken).post('/v1/tenants', { name: 'Sam Co', slug: 'sam-co' });
    const invite = await api(server, sam.accessToken).post(`/v1/tenants/${other.body.tenantId}/invitations`, {
      email: alex.email,
      role: 'member',
    });
    await api(server, alex.accessToken).post(`/v1/invitations/${invite.body.invitationId}/accept`);

    const mine = await api(server, alex.accessToken).get('/v1/tenants');

    expect(
      mine.body.items.map((t: { tenantId: string; role: string }) => [t.tenantId, t.role]).sort(),
    ).toEqual(
      [
        [own.body.tenantId, 'owner'],
        [other.body.tenantId, 'member'],
      ].sort(),
    );
  });
});
