import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keys } from '#shared/db/keys.ts';
import { newId } from '#shared/ids.ts';
import type { Role } from '#shared/tenancy/permissions.ts';
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
 * Announcements over HTTP against the local server: operators publish, schedule, edit and withdraw
 * them; users of a Team and of a Free tenant, with different roles, read only the ones addressed to
 * them, active now and not dismissed.
 */

let stack: TestStack;
let server: LocalServer;
let admin: TestUser;
let support: TestUser;
let finance: TestUser;
let teamOwner: TestUser;
let teamAdmin: TestUser;
let teamMember: TestUser;
let freeOwner: TestUser;
let freeAdmin: TestUser;
let freeMember: TestUser;
let loner: TestUser;
let teamTenantId: string;
let freeTenantId: string;

const addMember = (tenantId: string, user: TestUser, role: Role) =>
  addMembership(stack, tenantId, user, role);

beforeAll(async () => {
  stack = await createTestStack();
  server = await startTestServer(stack);
  [admin, support, finance] = await Promise.all([
    signUpOperator(stack),
    signUpOperator(stack, ['support']),
    signUpOperator(stack, ['finance']),
  ]);
  [teamOwner, teamAdmin, teamMember, freeOwner, freeAdmin, freeMember, loner] = await Promise.all([
    signUpUser(stack),
    signUpUser(stack),
    signUpUser(stack),
    signUpUser(stack),
    signUpUser(stack),
    signUpUser(stack),
    signUpUser(stack),
  ]);
  teamTenantId = (
    await api(server, teamOwner.accessToken).post('/v1/tenants', { name: 'Team Co', slug: 'team-co' })
  ).body.tenantId;
  freeTenantId = (
    await api(server, freeOwner.accessToken).post('/v1/tenants', { name: 'Free Co', slug: 'free-co' })
  ).body.tenantId;
  await mirrorSubscription(stack, teamTenantId, { plan: 'team', status: 'active' });
  await Promise.all([
    addMember(teamTenantId, teamAdmin, 'admin'),
    addMember(teamTenantId, teamMember, 'member'),
    addMember(freeTenantId, freeAdmin, 'admin'),
    addMember(freeTenantId, freeMember, 'member'),
  ]);
});
afterAll(() => server.close());

const minutes = (n: number) => new Date(Date.now() + n * 60_000).toISOString();

/** A valid announcement body, active from a minute ago for an hour, to everyone. */
function draft(overrides: Record<string, unknown> = {}) {
  return {
    title: 'Maintenance on Sunday',
    body: 'The API is **read-only** from 02:00 to 03:00 UTC.',
    severity: 'info',
    audience: 'everyone',
    publishAt: minutes(-1),
    expiresAt: minutes(60),
    reason: 'Planned database upgrade',
    ...overrides,
  };
}

async function publish(overrides: Record<string, unknown> = {}, as: TestUser = admin): Promise<string> {
  const response = await api(server, as.accessToken).post('/admin/announcements', draft(overrides));
  expect(response.status).toBe(201);
  return response.body.announcementId;
}

async function visibleTo(user: TestUser): Promise<string[]> {
  const response = await api(server, user.accessToken).get('/v1/me/announcements');
  expect(response.status).toBe(200);
  return response.body.items.map((item: { announcementId: string }) => item.announcementId);
}

async function platformAudit(announcementId: string) {
  const result = await stack.db.send(
    new QueryCommand({
      TableName: stack.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': keys.platformAuditEntry('', '').pk },
    }),
  );
  return (result.Items ?? []).filter((item) => item.target?.id === announcementId);
}

async function allAnnouncements(): Promise<string[]> {
  const response = await api(server, admin.accessToken).get('/admin/announcements?limit=100');
  return response.body.items.map((item: { announcementId: string }) => item.announcementId);
}

const sleepUntil = async (iso: string) => {
  const wait = new Date(iso).getTime() - Date.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait + 50));
};

describe('announcement targeting by plan and role', () => {
  let teamAdmins: string;

  beforeAll(async () => {
    teamAdmins = await publish({ title: 'For Team admins', audience: { plans: ['team'], roles: ['admin'] } });
  });

  it('shows a Team+admins announcement to an admin of a Team tenant', async () => {
    expect(await visibleTo(teamAdmin)).toContain(teamAdmins);
  });

  it('hides it from a member of the Team tenant', async () => {
    expect(await visibleTo(teamMember)).not.toContain(teamAdmins);
  });

  it('hides it from the Team tenant’s owner, whose role is not named', async () => {
    expect(await visibleTo(teamOwner)).not.toContain(teamAdmins);
  });

  it('hides it from an admin of a Free tenant', async () => {
    expect(await visibleTo(freeAdmin)).not.toContain(teamAdmins);
  });

  it('hides it from a member of a Free tenant', async () => {
    expect(await visibleTo(freeMember)).not.toContain(teamAdmins);
  });

  it('shows a Free-plan announcement to the Free tenant’s members and not to the Team tenant’s', async () => {
    const free = await publish({ audience: { plans: ['free'] } });
    expect(await visibleTo(freeMember)).toContain(free);
    expect(await visibleTo(teamMember)).not.toContain(free);
  });

  it('shows an owners announcement to the owners of every plan only', async () => {
    const owners = await publish({ audience: { roles: ['owner'] } });
    expect(await visibleTo(teamOwner)).toContain(owners);
    expect(await visibleTo(freeOwner)).toContain(owners);
    expect(await visibleTo(freeAdmin)).not.toContain(owners);
  });

  it('shows a tenant announcement to that tenant’s members only', async () => {
    const tenant = await publish({ audience: { tenantIds: [freeTenantId] } });
    expect(await visibleTo(freeAdmin)).toContain(tenant);
    expect(await visibleTo(teamAdmin)).not.toContain(tenant);
  });

  it('shows an everyone announcement to a user who belongs to no tenant', async () => {
    const everyone = await publish();
    expect(await visibleTo(loner)).toContain(everyone);
    expect(await visibleTo(teamMember)).toContain(everyone);
  });

  it('answers the user with the body rendered to safe HTML', async () => {
    const id = await publish({ body: 'Hello <script>alert(1)</script> **all**' });
    const response = await api(server, loner.accessToken).get('/v1/me/announcements');
    const item = response.body.items.find((i: { announcementId: string }) => i.announcementId === id);
    expect(item.bodyHtml).toBe('<p>Hello &#60;script&#62;alert(1)&#60;/script&#62; <strong>all</strong></p>');
  });
});

describe('announcement times', () => {
  it('shows a scheduled announcement only from its publishAt, and an expiring one only until its expiresAt', async () => {
    const soon = new Date(Date.now() + 2_500).toISOString();
    const scheduled = await publish({ publishAt: soon });
    const expiring = await publish({ expiresAt: soon });
    const before = await visibleTo(loner);
    expect(before).not.toContain(scheduled);
    expect(before).toContain(expiring);

    await sleepUntil(soon);

    const after = await visibleTo(loner);
    expect(after).toContain(scheduled);
    expect(after).not.toContain(expiring);
  });

  it('lists each announcement with its status at the time of reading', async () => {
    const scheduled = await publish({ publishAt: minutes(30) });
    const active = await publish();
    const withdrawn = await publish();
    await api(server, admin.accessToken).post(`/admin/announcements/${withdrawn}/withdraw`, {
      reason: 'Sent by mistake',
    });
    const status = async (s: string) =>
      (await api(server, admin.accessToken).get(`/admin/announcements?status=${s}&limit=100`)).body.items.map(
        (i: { announcementId: string }) => i.announcementId,
      );
    expect(await status('scheduled')).toContain(scheduled);
    expect(await status('active')).toContain(active);
    expect(await status('active')).not.toContain(scheduled);
    expect(await status('withdrawn')).toEqual(expect.arrayContaining([withdrawn]));
    expect(await status('active')).not.toContain(withdrawn);
  });
});

describe('dismissing and withdrawing', () => {
  it('hides a dismissed announcement from the user who dismissed it only', async () => {
    const id = await publish();
    const response = await api(server, teamMember.accessToken).post(`/v1/me/announcements/${id}/dismiss`);
    expect(response.status).toBe(204);
    expect(await visibleTo(teamMember)).not.toContain(id);
    expect(await visibleTo(teamAdmin)).toContain(id);
  });

  it('answers 204 to a second dismissal of the same announcement', async () => {
    const id = await publish();
    await api(server, teamMember.accessToken).post(`/v1/me/announcements/${id}/dismiss`);
    const again = await api(server, teamMember.accessToken).post(`/v1/me/announcements/${id}/dismiss`);
    expect(again.status).toBe(204);
  });

  it('answers 404 to a dismissal of an announcement not addressed to the user', async () => {
    const id = await publish({ audience: { tenantIds: [teamTenantId] } });
    const response = await api(server, freeMember.accessToken).post(`/v1/me/announcements/${id}/dismiss`);
    expect(response.status).toBe(404);
  });

  it('answers 404 to a dismissal of an announcement not yet published', async () => {
    const id = await publish({ publishAt: minutes(30) });
    const response = await api(server, loner.accessToken).post(`/v1/me/announcements/${id}/dismiss`);
    expect(response.status).toBe(404);
  });

  it('answers 404 to a dismissal of an unknown id', async () => {
    const response = await api(server, loner.accessToken).post(`/v1/me/announcements/${newId()}/dismiss`);
    expect(response.status).toBe(404);
  });

  it('hides a withdrawn announcement from everyone at once', async () => {
    const id = await publish();
    expect(await visibleTo(loner)).toContain(id);
    const response = await api(server, support.accessToken).post(`/admin/announcements/${id}/withdraw`, {
      reason: 'Maintenance cancelled',
    });
    expect(response.status).toBe(200);
    expect(response.body.status).toBe('withdrawn');
    expect(await visibleTo(loner)).not.toContain(id);
  });

  it('audits the withdrawal with the operator and reason', async () => {
    const id = await publish();
    await api(server, support.accessToken).post(`/admin/announcements/${id}/withdraw`, {
      reason: 'Cancelled',
    });
    expect(await platformAudit(id)).toContainEqual(
      expect.objectContaining({
        action: 'announcement.withdrawn',
        operatorId: support.userId,
        reason: 'Cancelled',
      }),
    );
  });

  it('refuses to edit a withdrawn announcement with 409', async () => {
    const id = await publish();
    const withdrawn = await api(server, admin.accessToken).post(`/admin/announcements/${id}/withdraw`, {
      reason: 'Cancelled',
    });
    const response = await api(server, admin.accessToken).patch(
      `/admin/announcements/${id}`,
      { title: 'Back', reason: 'Changed my mind' },
      { headers: { 'if-match': withdrawn.headers.get('etag') ?? '' } },
    );
    expect(response.status).toBe(409);
  });
});

describe('editing', () => {
  it('applies an edit sent with the current ETag and answers with the next one', async () => {
    const created = await api(server, admin.accessToken).post('/admin/announcements', draft());
    const id = created.body.announcementId;
    const response = await api(server, admin.accessToken).patch(
      `/admin/announcements/${id}`,
      { title: 'Maintenance moved to Monday', reason: 'Rescheduled' },
      { headers: { 'if-match': created.headers.get('etag') ?? '' } },
    );
    expect(response.status).toBe(200);
    expect(response.body.title).toBe('Maintenance moved to Monday');
    expect(response.headers.get('etag')).toBe('"2"');
  });

  it('audits the edit with its before and after', async () => {
    const created = await api(server, admin.accessToken).post('/admin/announcements', draft());
    const id = created.body.announcementId;
    await api(server, admin.accessToken).patch(
      `/admin/announcements/${id}`,
      { severity: 'warning', reason: 'More serious than thought' },
      { headers: { 'if-match': '"1"' } },
    );
    expect(await platformAudit(id)).toContainEqual(
      expect.objectContaining({
        action: 'announcement.updated',
        before: expect.objectContaining({ severity: 'info' }),
        after: expect.objectContaining({ severity: 'warning' }),
        reason: 'More serious than thought',
      }),
    );
  });

  it('answers 428 to an edit without If-Match', async () => {
    const id = await publish();
    const response = await api(server, admin.accessToken).patch(`/admin/announcements/${id}`, {
      title: 'x',
      reason: 'Typo',
    });
    expect(response.status).toBe(428);
  });

  it('answers 412 to an edit based on an older version, and changes nothing', async () => {
    const id = await publish();
    const first = await api(server, admin.accessToken).patch(
      `/admin/announcements/${id}`,
      { title: 'First', reason: 'Typo' },
      { headers: { 'if-match': '"1"' } },
    );
    expect(first.status).toBe(200);
    const stale = await api(server, admin.accessToken).patch(
      `/admin/announcements/${id}`,
      { title: 'Second', reason: 'Typo' },
      { headers: { 'if-match': '"1"' } },
    );
    expect(stale.status).toBe(412);
    expect((await api(server, admin.accessToken).get(`/admin/announcements/${id}`)).body.title).toBe('First');
  });

  it('answers 400 to an edit that would make it expire before it is published', async () => {
    const id = await publish();
    const response = await api(server, admin.accessToken).patch(
      `/admin/announcements/${id}`,
      { publishAt: minutes(120), reason: 'Later' },
      { headers: { 'if-match': '*' } },
    );
    expect(response.status).toBe(400);
    expect(response.body.errors).toContainEqual(expect.objectContaining({ field: 'body.expiresAt' }));
  });

  it('answers 400 to an edit that changes nothing but gives a reason', async () => {
    const id = await publish();
    const response = await api(server, admin.accessToken).patch(
      `/admin/announcements/${id}`,
      { reason: 'No reason' },
      { headers: { 'if-match': '"1"' } },
    );
    expect(response.status).toBe(400);
    expect(response.body.errors).toContainEqual(expect.objectContaining({ field: 'body' }));
  });

  it('answers 404 for an announcement that does not exist', async () => {
    const response = await api(server, admin.accessToken).get(`/admin/announcements/${newId()}`);
    expect(response.status).toBe(404);
  });
});

describe('who may use the admin routes', () => {
  it('lets support publish', async () => {
    const response = await api(server, support.accessToken).post('/admin/announcements', draft());
    expect(response.status).toBe(201);
  });

  it('refuses finance publishing with 403', async () => {
    const response = await api(server, finance.accessToken).post('/admin/announcements', draft());
    expect(response.status).toBe(403);
  });

  it('lets finance read the list (admin:read)', async () => {
    const response = await api(server, finance.accessToken).get('/admin/announcements');
    expect(response.status).toBe(200);
  });

  it('refuses finance withdrawing with 403', async () => {
    const id = await publish();
    const response = await api(server, finance.accessToken).post(`/admin/announcements/${id}/withdraw`, {
      reason: 'Nope',
    });
    expect(response.status).toBe(403);
  });

  it('refuses a customer reading the list with 403', async () => {
    const response = await api(server, teamOwner.accessToken).get('/admin/announcements');
    expect(response.status).toBe(403);
  });

  it('refuses a customer publishing with 403', async () => {
    const response = await api(server, teamOwner.accessToken).post('/admin/announcements', draft());
    expect(response.status).toBe(403);
  });

  it('audits a publication with the operator and reason', async () => {
    const id = await publish({}, support);
    expect(await platformAudit(id)).toContainEqual(
      expect.objectContaining({
        action: 'announcement.created',
        operatorId: support.userId,
        reason: 'Planned database upgrade',
        after: expect.objectContaining({ title: 'Maintenance on Sunday' }),
      }),
    );
  });
});

describe('bad input', () => {
  const tooManyTenants = Array.from({ length: 51 }, () => newId());
  it.each([
    ['expiresAt before publishAt', { publishAt: minutes(10), expiresAt: minutes(5) }, 'body.expiresAt'],
    ['expiresAt in the past', { publishAt: minutes(-10), expiresAt: minutes(-5) }, 'body.expiresAt'],
    ['an unknown plan', { audience: { plans: ['gold'] } }, 'body.audience'],
    ['an unknown role', { audience: { roles: ['king'] } }, 'body.audience'],
    ['an empty filter', { audience: {} }, 'body.audience'],
    ['more than 50 tenants', { audience: { tenantIds: tooManyTenants } }, 'body.audience'],
    ['a tenant that does not exist', { audience: { tenantIds: [newId()] } }, 'body.audience.tenantIds.0'],
    ['a body over 10,000 bytes', { body: 'x'.repeat(10_001) }, 'body.body'],
    ['email for an info announcement', { email: true }, 'body.email'],
    ['no reason', { reason: undefined }, 'body.reason'],
  ])('rejects %s with a 400 naming the field, and stores nothing', async (_name, overrides, field) => {
    const before = await allAnnouncements();
    const response = await api(server, admin.accessToken).post('/admin/announcements', draft(overrides));
    expect(response.status).toBe(400);
    expect(response.body.errors.map((e: { field: string }) => e.field)).toContainEqual(
      expect.stringContaining(field),
    );
    expect(await allAnnouncements()).toEqual(before);
  });
});

describe('preview', () => {
  it('renders markdown to HTML with raw HTML escaped and unsafe links dropped', async () => {
    const response = await api(server, support.accessToken).post('/admin/announcements/preview', {
      body: '# Hi\n\n- [docs](https://plinth.dev)\n- [bad](javascript:alert)\n\n<img src=x onerror=alert(1)>',
    });
    expect(response.status).toBe(200);
    expect(response.body.html).toBe(
      '<h2>Hi</h2>\n<ul><li><a href="https://plinth.dev" rel="noopener noreferrer nofollow">docs</a></li><li>bad</li></ul>\n<p>&#60;img src=x onerror=alert(1)&#62;</p>',
    );
  });
});
