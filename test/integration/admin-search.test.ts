import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keys } from '#shared/db/keys.ts';
import { newId } from '#shared/ids.ts';
import { suppressAddress } from '#shared/mail/suppression.ts';
import {
  addMembership,
  api,
  createTestStack,
  type LocalServer,
  signUpOperator,
  signUpUser,
  startTestServer,
  type TestOperator,
  type TestStack,
  type TestUser,
  uniqueEmail,
} from '../support/harness.ts';

/**
 * The operators' search, detail and audit-log routes against moto, through the local server: the
 * index entries are written by the product's own routes (tenant creation, rename, role changes,
 * invitations), the way they are in production.
 */

let stack: TestStack;
let server: LocalServer;
let support: TestOperator;
let finance: TestOperator;
let customer: TestUser;

beforeAll(async () => {
  stack = await createTestStack();
  server = await startTestServer(stack);
  [support, finance, customer] = await Promise.all([
    signUpOperator(stack, ['support']),
    signUpOperator(stack, ['finance']),
    signUpUser(stack),
  ]);
});
afterAll(() => server.close());

async function tenantOf(owner: TestUser, name: string, slug: string): Promise<string> {
  const created = await api(server, owner.accessToken).post('/v1/tenants', { name, slug });
  expect(created.status).toBe(201);
  return created.body.tenantId;
}

const search = (token: string, query: Record<string, string>) =>
  api(server, token).get(`/admin/tenants?${new URLSearchParams(query)}`);
const ids = (body: { items: { tenantId: string }[] }) => body.items.map((i) => i.tenantId);

describe('GET /admin/tenants', () => {
  it('finds a tenant by a prefix of its name, in any case', async () => {
    const owner = await signUpUser(stack);
    const tenantId = await tenantOf(owner, 'Zebrafish Labs', 'zf-labs');
    const response = await search(support.accessToken, { q: 'ZEBRAF' });
    expect(response.status).toBe(200);
    expect(response.body.items).toEqual([
      expect.objectContaining({
        tenantId,
        name: 'Zebrafish Labs',
        matchedOn: 'name',
        plan: 'free',
        status: 'active',
      }),
    ]);
  });

  it('finds a tenant by a prefix of its slug', async () => {
    const owner = await signUpUser(stack);
    const tenantId = await tenantOf(owner, 'Unrelated Name', 'quokka-works');
    const response = await search(support.accessToken, { q: 'quokka' });
    expect(response.body.items).toEqual([expect.objectContaining({ tenantId, matchedOn: 'slug' })]);
  });

  it("finds a tenant by a prefix of its owner's email", async () => {
    const owner = await signUpUser(stack, uniqueEmail('narwhal'));
    const tenantId = await tenantOf(owner, 'Owned', 'owned-by-narwhal');
    const response = await search(support.accessToken, { q: owner.email.slice(0, 14).toUpperCase() });
    expect(response.body.items).toEqual([
      expect.objectContaining({ tenantId, matchedOn: 'ownerEmail', ownerEmail: owner.email }),
    ]);
  });

  it('finds a tenant by its id', async () => {
    const owner = await signUpUser(stack);
    const tenantId = await tenantOf(owner, 'By Id', 'by-id');
    const response = await search(support.accessToken, { q: tenantId });
    expect(response.body.items).toContainEqual(expect.objectContaining({ tenantId, matchedOn: 'id' }));
  });

  it('follows a rename: found by the new name, no longer by the old', async () => {
    const owner = await signUpUser(stack);
    const tenantId = await tenantOf(owner, 'Oldname Corp', 'rename-me');
    const renamed = await api(server, owner.accessToken).patch(`/v1/tenants/${tenantId}`, {
      name: 'Newname Corp',
    });
    expect(renamed.status).toBe(200);
    expect(ids((await search(support.accessToken, { q: 'newname' })).body)).toEqual([tenantId]);
    expect(ids((await search(support.accessToken, { q: 'oldname' })).body)).toEqual([]);
  });

  it('follows owner changes: a promoted member is found by email, a demoted owner no longer', async () => {
    const owner = await signUpUser(stack, uniqueEmail('ibex'));
    const tenantId = await tenantOf(owner, 'Owner Changes', 'owner-changes');
    const promoted = await signUpUser(stack, uniqueEmail('tapir'));
    const invited = await api(server, owner.accessToken).post(`/v1/tenants/${tenantId}/invitations`, {
      email: promoted.email,
      role: 'manager',
    });
    await api(server, promoted.accessToken).post(`/v1/invitations/${invited.body.invitationId}/accept`);
    expect(ids((await search(support.accessToken, { q: promoted.email })).body)).toEqual([]);

    const owners = api(server, owner.accessToken);
    expect(
      (await owners.patch(`/v1/tenants/${tenantId}/members/${promoted.userId}`, { role: 'owner' })).status,
    ).toBe(200);
    expect(ids((await search(support.accessToken, { q: promoted.email })).body)).toEqual([tenantId]);
    await api(server, promoted.accessToken).patch(`/v1/tenants/${tenantId}/members/${owner.userId}`, {
      role: 'admin',
    });
    expect(ids((await search(support.accessToken, { q: owner.email })).body)).toEqual([]);
  });

  it('filters by status and by plan after reading the matches', async () => {
    const owner = await signUpUser(stack);
    const free = await tenantOf(owner, 'Walrus Free', 'walrus-free');
    const team = await tenantOf(owner, 'Walrus Team', 'walrus-team');
    await stack.db.send(
      new PutCommand({
        TableName: stack.tableName,
        Item: { ...keys.billing(team), type: 'billing', tenantId: team, plan: 'team', status: 'active' },
      }),
    );
    await api(server, support.accessToken).post(`/admin/tenants/${free}/suspension`, {
      reason: 'Abuse report',
    });

    // Each tenant matches on its name and its slug: listed once per key.
    const unique = (body: { items: { tenantId: string }[] }) => [...new Set(ids(body))];
    expect(unique((await search(support.accessToken, { q: 'walrus', plan: 'team' })).body)).toEqual([team]);
    expect(unique((await search(support.accessToken, { q: 'walrus', status: 'suspended' })).body)).toEqual([
      free,
    ]);
  });

  it('pages through every match once with cursors', async () => {
    const owner = await signUpUser(stack);
    const made = [
      await tenantOf(owner, 'Pangolin A', 'pg-a'),
      await tenantOf(owner, 'Pangolin B', 'pg-b'),
      await tenantOf(owner, 'Pangolin C', 'pg-c'),
    ];
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await search(support.accessToken, {
        q: 'pangolin',
        limit: '2',
        ...(cursor ? { cursor } : {}),
      });
      expect(page.status).toBe(200);
      seen.push(...ids(page.body));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(made);
  });

  it('refuses with 400 a cursor made for another query', async () => {
    const owner = await signUpUser(stack);
    await tenantOf(owner, 'Cursorbound A', 'cb-a');
    await tenantOf(owner, 'Cursorbound B', 'cb-b');
    const first = await search(support.accessToken, { q: 'cursorbound', limit: '1' });
    const foreign = await search(support.accessToken, {
      q: 'cursorbound',
      plan: 'team',
      cursor: first.body.nextCursor,
    });
    expect(foreign.status).toBe(400);
    const otherQ = await search(support.accessToken, { q: 'cursorbound a', cursor: first.body.nextCursor });
    expect(otherQ.status).toBe(400);
  });

  it('answers 400 with a field error without q', async () => {
    const response = await search(support.accessToken, {});
    expect(response.status).toBe(400);
    expect(response.body.errors).toContainEqual(expect.objectContaining({ field: 'query.q' }));
  });

  it('lets finance search and refuses customers with 403', async () => {
    expect((await search(finance.accessToken, { q: 'a' })).status).toBe(200);
    expect((await search(customer.accessToken, { q: 'a' })).status).toBe(403);
  });
});

describe('GET /admin/users', () => {
  it('finds users by a prefix of their email, in any case, and by id', async () => {
    const user = await signUpUser(stack, uniqueEmail('okapi'));
    await tenantOf(user, 'Okapi Home', 'okapi-home');

    const byEmail = await api(server, support.accessToken).get(
      `/admin/users?q=${user.email.slice(0, 12).toUpperCase()}`,
    );
    expect(byEmail.status).toBe(200);
    expect(byEmail.body.items).toEqual([
      {
        userId: user.userId,
        email: user.email,
        status: 'active',
        lastSignInAt: expect.any(String),
        matchedOn: 'email',
      },
    ]);
    const byId = await api(server, support.accessToken).get(`/admin/users?q=${user.userId}`);
    expect(byId.body.items).toEqual([expect.objectContaining({ userId: user.userId, matchedOn: 'id' })]);
  });

  it('pages through users with cursors', async () => {
    const users = await Promise.all([1, 2, 3].map(() => signUpUser(stack, uniqueEmail('serval'))));
    for (const [i, user] of users.entries()) await tenantOf(user, `Serval ${i}`, `serval-${i}`);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await api(server, support.accessToken).get(
        `/admin/users?q=serval&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      );
      seen.push(...page.body.items.map((u: { userId: string }) => u.userId));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen.sort()).toEqual(users.map((u) => u.userId).sort());
  });

  it('refuses customers with 403', async () => {
    expect((await api(server, customer.accessToken).get('/admin/users?q=a')).status).toBe(403);
  });
});

describe('GET /admin/tenants/{tenantId}', () => {
  it('shows members with roles, billing, usage and limits, invoices and recent audit entries', async () => {
    const owner = await signUpUser(stack);
    const tenantId = await tenantOf(owner, 'Detailed', 'detailed');
    await api(server, owner.accessToken).post(`/v1/tenants/${tenantId}/projects`, {
      name: 'Proj',
      slug: 'proj',
    });
    await stack.db.send(
      new PutCommand({
        TableName: stack.tableName,
        Item: {
          ...keys.invoice(tenantId, '2026-11-01T00:00:00.000Z', 'in_detail'),
          type: 'invoice',
          invoiceId: 'in_detail',
          number: 'A-1',
          status: 'paid',
          currency: 'usd',
          total: 2900,
          amountPaid: 2900,
          amountRefunded: 0,
          createdAt: '2026-11-01T00:00:00.000Z',
          paidAt: '2026-11-01T00:00:05.000Z',
        },
      }),
    );

    const response = await api(server, support.accessToken).get(`/admin/tenants/${tenantId}`);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      tenantId,
      name: 'Detailed',
      status: 'active',
      suspension: null,
      members: [{ userId: owner.userId, email: owner.email, role: 'owner', status: 'active' }],
      billing: { plan: 'free', effectivePlan: 'free', status: 'none', restricted: false },
      invoices: [{ invoiceId: 'in_detail', total: 2900, status: 'paid' }],
      entitlements: { seats: expect.any(Number), projects: expect.any(Number) },
      usage: { members: 1, projects: 1, pendingInvitations: 0, reservedSeats: 1 },
    });
    expect(response.body.recentAudit.map((e: { action: string }) => e.action)).toEqual([
      'project.created',
      'tenant.created',
    ]);
  });

  it("lists the tenant's unresolved tickets and which members' addresses are suppressed", async () => {
    const owner = await signUpUser(stack);
    const colleague = await signUpUser(stack);
    const tenantId = await tenantOf(owner, 'Ticketed', 'ticketed');
    await addMembership(stack, tenantId, colleague, 'member');
    const client = api(server, owner.accessToken);
    const open = (
      await client.post(`/v1/tenants/${tenantId}/support/tickets`, { subject: 'Stuck', body: 'Help.' })
    ).body;
    const closed = (
      await client.post(`/v1/tenants/${tenantId}/support/tickets`, { subject: 'Solved', body: 'Never mind.' })
    ).body;
    expect(
      (await client.post(`/v1/tenants/${tenantId}/support/tickets/${closed.ticketId}/close`)).status,
    ).toBe(200);
    await suppressAddress(
      { client: stack.db, tableName: stack.tableName },
      {
        email: colleague.email,
        reason: 'bounce',
        detail: 'Permanent/General',
        feedbackId: newId(),
        at: new Date().toISOString(),
      },
    );

    const detail = await api(server, support.accessToken).get(`/admin/tenants/${tenantId}`);

    expect(detail.status).toBe(200);
    expect(detail.body.openTickets).toEqual([
      expect.objectContaining({ ticketId: open.ticketId, subject: 'Stuck', status: 'open' }),
    ]);
    expect(detail.body.emailDelivery).toEqual(
      expect.arrayContaining([
        { email: owner.email.toLowerCase(), status: 'deliverable' },
        expect.objectContaining({
          email: colleague.email.toLowerCase(),
          status: 'suppressed',
          reason: 'bounce',
        }),
      ]),
    );
    const user = await api(server, support.accessToken).get(`/admin/users/${colleague.userId}`);
    expect(user.body.emailDelivery).toMatchObject({ status: 'suppressed', reason: 'bounce' });
  });

  it('answers 404 for a tenant that does not exist', async () => {
    expect((await api(server, support.accessToken).get(`/admin/tenants/${newId()}`)).status).toBe(404);
  });

  it('refuses customers with 403, even for their own tenant', async () => {
    const tenantId = await tenantOf(customer, 'Mine', 'mine-own');
    expect((await api(server, customer.accessToken).get(`/admin/tenants/${tenantId}`)).status).toBe(403);
  });
});

describe('GET /admin/users/{userId}', () => {
  it('shows tenants and roles, status, created, last sign-in, last activity and recent activity', async () => {
    const user = await signUpUser(stack);
    const tenantId = await tenantOf(user, 'Activity', 'activity');
    const tracked = await api(server, user.accessToken).post(`/v1/tenants/${tenantId}/events`, {
      events: [{ id: 'detail-1', name: 'report_exported' }],
    });
    expect(tracked.status).toBe(202);
    const authTime = JSON.parse(Buffer.from(user.accessToken.split('.')[1] as string, 'base64url').toString())
      .auth_time as number;

    const response = await api(server, support.accessToken).get(`/admin/users/${user.userId}`);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      userId: user.userId,
      email: user.email,
      status: 'active',
      cognitoStatus: 'CONFIRMED',
      enabled: true,
      createdAt: expect.any(String),
      lastSignInAt: new Date(authTime * 1000).toISOString(),
      lastActiveOn: new Date().toISOString().slice(0, 10),
      suspension: null,
      memberships: [{ tenantId, tenantName: 'Activity', role: 'owner', status: 'active' }],
    });
    expect(response.body.recentActivity).toEqual([
      expect.objectContaining({ tenantId, action: 'tenant.created', actor: { userId: user.userId } }),
    ]);
  });

  it('records a sign-in once: later requests with the same token leave the profile as it is', async () => {
    const user = await signUpUser(stack);
    const tenantId = await tenantOf(user, 'Signin', 'signin-once');
    const read = async () =>
      (
        await stack.db.send(
          new GetCommand({
            TableName: stack.tableName,
            Key: keys.userProfile(user.userId),
            ConsistentRead: true,
          }),
        )
      ).Item;
    const authTime = JSON.parse(Buffer.from(user.accessToken.split('.')[1] as string, 'base64url').toString())
      .auth_time as number;
    const first = await read();
    expect(first?.lastSignInAt).toBe(new Date(authTime * 1000).toISOString());
    await api(server, user.accessToken).get(`/v1/tenants/${tenantId}`);
    expect(await read()).toEqual(first);
  });

  it('shows a suspension with who, when and why', async () => {
    const user = await signUpUser(stack);
    await api(server, support.accessToken).post(`/admin/users/${user.userId}/suspension`, {
      reason: 'Chargebacks',
    });
    const response = await api(server, support.accessToken).get(`/admin/users/${user.userId}`);
    expect(response.body).toMatchObject({
      status: 'suspended',
      enabled: false,
      suspension: { by: support.userId, reason: 'Chargebacks', at: expect.any(String) },
    });
  });

  it('answers 404 for a user nobody knows and 400 for an id that is not one', async () => {
    const client = api(server, support.accessToken);
    expect((await client.get('/admin/users/4f9c1f0e-7f6e-4a57-9d8e-6b7b0c1d2e3f')).status).toBe(404);
    const malformed = await client.get('/admin/users/not-a-uuid');
    expect(malformed.status).toBe(400);
    expect(malformed.body.errors).toContainEqual(expect.objectContaining({ field: 'path.userId' }));
  });
});

describe('GET /admin/audit-log', () => {
  it('pages through the log newest first, each entry once', async () => {
    const users = await Promise.all([1, 2, 3].map(() => signUpUser(stack)));
    for (const user of users) {
      await api(server, support.accessToken).post(`/admin/users/${user.userId}/suspension`, {
        reason: 'Paging',
      });
    }
    const seen: { at: string; target: { id: string } }[] = [];
    let cursor: string | undefined;
    do {
      const page = await api(server, finance.accessToken).get(
        `/admin/audit-log?operator=${support.userId}&action=user.suspended&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(page.status).toBe(200);
      seen.push(...page.body.items);
      cursor = page.body.nextCursor;
    } while (cursor);
    const targets = seen.map((e) => e.target.id);
    expect(new Set(targets).size).toBe(targets.length);
    expect(targets).toEqual(expect.arrayContaining(users.map((u) => u.userId)));
    expect(seen.map((e) => e.at)).toEqual([...seen.map((e) => e.at)].sort().reverse());
  });

  it('keeps to the from and to bounds', async () => {
    const user = await signUpUser(stack);
    await api(server, support.accessToken).post(`/admin/users/${user.userId}/suspension`, {
      reason: 'Bounds',
    });
    const future = await api(server, support.accessToken).get(
      `/admin/audit-log?userId=${user.userId}&from=2099-01-01T00:00:00Z`,
    );
    expect(future.body.items).toEqual([]);
    const past = await api(server, support.accessToken).get(
      `/admin/audit-log?userId=${user.userId}&to=2000-01-01T00:00:00Z`,
    );
    expect(past.body.items).toEqual([]);
  });

  it('answers 400 when from is after to', async () => {
    const response = await api(server, support.accessToken).get(
      '/admin/audit-log?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z',
    );
    expect(response.status).toBe(400);
    expect(response.body.errors).toContainEqual(expect.objectContaining({ field: 'query.from' }));
  });

  it('refuses customers with 403', async () => {
    expect((await api(server, customer.accessToken).get('/admin/audit-log')).status).toBe(403);
  });
});
