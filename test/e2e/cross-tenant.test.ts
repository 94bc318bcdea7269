import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routeList } from '#shared/http/routes.ts';
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
 * Cross-tenant access is a bug class: every tenant-scoped route is called by the owner of tenant B
 * with tenant A's ids, and must answer 404 (never 403, so ids do not leak) and change nothing.
 */

/** A valid body per route, so the request fails for the right reason (tenancy), not validation. */
const validBodies: Record<string, unknown> = {
  updateTenant: { name: 'Hijacked' },
  updateMember: { role: 'member' },
  createInvitation: { email: 'intruder@example.com', role: 'member' },
  createProject: { name: 'Intruder', slug: 'intruder' },
  updateProject: { name: 'Hijacked' },
  createCheckout: { plan: 'team', interval: 'month' },
  createPortalSession: {},
  previewChange: { plan: 'business', interval: 'month' },
  applyChange: { plan: 'business', interval: 'month' },
  submitNpsAnswer: { score: 9 },
  trackEvents: { events: [{ id: 'evt-1', name: 'report_exported' }] },
  openSupportTicket: { subject: 'Intruder', body: 'Let me in' },
  replyToSupportTicket: { body: 'Let me in' },
  createApiClient: { name: 'Intruder', scopes: ['projects:read'] },
  putSso: { protocol: 'saml', metadataUrl: 'https://idp.intruder.example/metadata' },
  claimSsoDomain: { domain: 'intruder.example' },
};

// The admin API names a tenant but is not tenant-scoped: operators are not members, and everyone
// else gets 403 there (test/integration/refunds.test.ts, test/e2e/admin-billing.test.ts).
const tenantScoped = routeList.filter((r) => r.path.includes('{tenantId}') && !r.path.startsWith('/admin/'));

let stack: TestStack;
let server: LocalServer;
let ownerA: TestUser;
let memberA: TestUser;
let ownerB: TestUser;
const idsOfA: Record<string, string> = {};
let invitationForSomeoneElse: string;

async function snapshotOfA() {
  const client = api(server, ownerA.accessToken);
  const base = `/v1/tenants/${idsOfA.tenantId}`;
  const [tenant, members, invitations, projects, tickets, apiClients, exportJob] = await Promise.all([
    client.get(base),
    client.get(`${base}/members`),
    client.get(`${base}/invitations`),
    client.get(`${base}/projects`),
    client.get(`${base}/support/tickets`),
    client.get(`${base}/api-clients`),
    client.get(`${base}/exports/${idsOfA.exportId}`),
  ]);
  return {
    tenant: tenant.body,
    members: members.body,
    invitations: invitations.body,
    projects: projects.body,
    tickets: tickets.body,
    apiClients: apiClients.body,
    exportJob: exportJob.body,
  };
}

beforeAll(async () => {
  stack = await createTestStack();
  server = await startTestServer(stack);
  [ownerA, memberA, ownerB] = await Promise.all([signUpUser(stack), signUpUser(stack), signUpUser(stack)]);
  const a = api(server, ownerA.accessToken);

  const tenantA = await a.post('/v1/tenants', { name: 'Tenant A', slug: 'tenant-a' });
  idsOfA.tenantId = tenantA.body.tenantId;
  await api(server, ownerB.accessToken).post('/v1/tenants', { name: 'Tenant B', slug: 'tenant-b' });

  const invite = await a.post(`/v1/tenants/${idsOfA.tenantId}/invitations`, {
    email: memberA.email,
    role: 'member',
  });
  await api(server, memberA.accessToken).post(`/v1/invitations/${invite.body.invitationId}/accept`);
  idsOfA.userId = memberA.userId;

  const pending = await a.post(`/v1/tenants/${idsOfA.tenantId}/invitations`, {
    email: uniqueEmail('pending'),
    role: 'member',
  });
  idsOfA.invitationId = pending.body.invitationId;
  invitationForSomeoneElse = pending.body.invitationId;

  const project = await a.post(`/v1/tenants/${idsOfA.tenantId}/projects`, { name: 'Secret', slug: 'secret' });
  idsOfA.projectId = project.body.projectId;

  const ticket = await api(server, memberA.accessToken).post(
    `/v1/tenants/${idsOfA.tenantId}/support/tickets`,
    {
      subject: 'Secret ticket',
      body: 'Only for tenant A',
    },
  );
  idsOfA.ticketId = ticket.body.ticketId;

  const apiClient = await a.post(`/v1/tenants/${idsOfA.tenantId}/api-clients`, {
    name: 'Secret integration',
    scopes: ['projects:read'],
  });
  idsOfA.clientId = apiClient.body.clientId;
  // A well-formed domain for the SSO domain routes' path (the tenant resolve answers first).
  idsOfA.domain = 'tenant-a.example';
  const exported = await a.post(`/v1/tenants/${idsOfA.tenantId}/exports`);
  idsOfA.exportId = exported.body.exportId;
});
afterAll(() => server.close());

describe('cross-tenant access', () => {
  it('has a valid body for every tenant-scoped route that takes one', () => {
    const missing = tenantScoped
      .filter((r) => r.body && !(r.operationId in validBodies))
      .map((r) => r.operationId);
    expect(missing).toEqual([]);
  });

  it.each(tenantScoped.map((r) => [`${r.method} ${r.path}`, r] as const))(
    '%s answers 404 to a member of another tenant',
    async (_name, route) => {
      const before = await snapshotOfA();
      const path = route.path.replace(/\{(\w+)\}/g, (_m, name: string) => idsOfA[name] ?? 'missing');

      const response = await api(server, ownerB.accessToken).request(
        route.method,
        path,
        validBodies[route.operationId],
      );

      expect(response.status).toBe(404);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
      expect(await snapshotOfA()).toEqual(before);
    },
  );

  it('answers 404 when someone accepts an invitation sent to another address', async () => {
    const response = await api(server, ownerB.accessToken).post(
      `/v1/invitations/${invitationForSomeoneElse}/accept`,
    );
    expect(response.status).toBe(404);
  });

  it("does not list another tenant's invitations at /v1/me/invitations", async () => {
    const response = await api(server, ownerB.accessToken).get('/v1/me/invitations');
    expect(response.body.items).toEqual([]);
  });

  it("refuses tenant A's cursor on tenant B's list with a 400", async () => {
    const a = api(server, ownerA.accessToken);
    for (let i = 0; i < 2; i++)
      await a.post(`/v1/tenants/${idsOfA.tenantId}/projects`, { name: `P${i}`, slug: `page-${i}` });
    const pageOfA = await a.get(`/v1/tenants/${idsOfA.tenantId}/projects?limit=1`);
    expect(pageOfA.body.nextCursor).toEqual(expect.any(String));
    const tenantsOfB = await api(server, ownerB.accessToken).get('/v1/tenants');
    const tenantB = tenantsOfB.body.items[0].tenantId;

    const response = await api(server, ownerB.accessToken).get(
      `/v1/tenants/${tenantB}/projects?cursor=${encodeURIComponent(pageOfA.body.nextCursor)}`,
    );

    expect(response.status).toBe(400);
  });
});
