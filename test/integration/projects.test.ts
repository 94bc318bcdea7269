import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freeBillingState } from '#shared/billing/billing.schema.ts';
import { keys } from '#shared/db/keys.ts';
import type { Role } from '#shared/tenancy/permissions.ts';
import {
  api,
  createTestStack,
  type LocalServer,
  signUpUser,
  startTestServer,
  type TestStack,
  type TestUser,
} from '../support/harness.ts';

let stack: TestStack;
let server: LocalServer;
let owner: TestUser;
let tenantId: string;

beforeAll(async () => {
  stack = await createTestStack();
  server = await startTestServer(stack);
  owner = await signUpUser(stack);
  const tenant = await api(server, owner.accessToken).post('/v1/tenants', {
    name: 'Projects Co',
    slug: 'projects-co',
  });
  tenantId = tenant.body.tenantId;
  // These tests make more projects than the free plan's three; the limits have their own tests.
  await onTeamPlan(tenantId);
});
afterAll(() => server.close());

/** Mirrors an active Team subscription for the tenant, as the billing webhooks would. */
async function onTeamPlan(id: string): Promise<void> {
  const now = new Date().toISOString();
  await stack.db.send(
    new PutCommand({
      TableName: stack.tableName,
      Item: {
        ...keys.billing(id),
        type: 'billing',
        ...freeBillingState(id, now),
        plan: 'team',
        interval: 'month',
        status: 'active',
      },
    }),
  );
}

/** Adds a user to the tenant with a role, straight in the table (the invitation flow has its own tests). */
async function memberWithRole(role: Role): Promise<TestUser> {
  const user = await signUpUser(stack);
  const now = new Date().toISOString();
  await stack.db.send(
    new PutCommand({
      TableName: stack.tableName,
      Item: {
        ...keys.member(tenantId, user.userId),
        type: 'member',
        tenantId,
        userId: user.userId,
        email: user.email,
        role,
        status: 'active',
        joinedAt: now,
        updatedAt: now,
      },
    }),
  );
  return user;
}

async function projectItems() {
  const prefix = keys.projectsPrefix(tenantId);
  const result = await stack.db.send(
    new QueryCommand({
      TableName: stack.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
      ExpressionAttributeValues: { ':pk': prefix.pk, ':p': prefix.skPrefix },
    }),
  );
  return result.Items ?? [];
}

let counter = 0;
const newProject = () => ({
  name: `Project ${++counter}`,
  slug: `project-${counter}-${Date.now().toString(36)}`,
});

describe('projects', () => {
  it('creates, reads, updates and deletes a project', async () => {
    const client = api(server, owner.accessToken);
    const created = await client.post(`/v1/tenants/${tenantId}/projects`, {
      ...newProject(),
      description: 'First',
    });
    expect(created.status).toBe(201);
    const path = `/v1/tenants/${tenantId}/projects/${created.body.projectId}`;

    expect((await client.get(path)).body).toEqual(created.body);
    const updated = await client.patch(path, { description: 'Changed' });
    expect(updated.body).toMatchObject({ description: 'Changed', name: created.body.name });
    expect((await client.delete(path)).status).toBe(204);
    expect((await client.get(path)).status).toBe(404);
  });

  it('never returns table keys or bookkeeping fields', async () => {
    const created = await api(server, owner.accessToken).post(
      `/v1/tenants/${tenantId}/projects`,
      newProject(),
    );
    expect(Object.keys(created.body).sort()).toEqual(
      ['createdAt', 'createdBy', 'description', 'name', 'projectId', 'slug', 'tenantId', 'updatedAt'].sort(),
    );
  });

  it('answers 409 for a duplicate slug in the same tenant', async () => {
    const body = newProject();
    await api(server, owner.accessToken).post(`/v1/tenants/${tenantId}/projects`, body);
    const again = await api(server, owner.accessToken).post(`/v1/tenants/${tenantId}/projects`, body);
    expect(again.status).toBe(409);
    expect(again.body.detail).toContain(body.slug);
  });

  it('frees the slug when the project is deleted', async () => {
    const body = newProject();
    const client = api(server, owner.accessToken);
    const first = await client.post(`/v1/tenants/${tenantId}/projects`, body);
    await client.delete(`/v1/tenants/${tenantId}/projects/${first.body.projectId}`);
    expect((await client.post(`/v1/tenants/${tenantId}/projects`, body)).status).toBe(201);
  });

  it('pages through projects with an opaque cursor, oldest first', async () => {
    const pager = await signUpUser(stack);
    const own = await api(server, pager.accessToken).post('/v1/tenants', { name: 'Pages', slug: 'pages-co' });
    await onTeamPlan(own.body.tenantId);
    const client = api(server, pager.accessToken);
    const base = `/v1/tenants/${own.body.tenantId}/projects`;
    const made: string[] = [];
    for (let i = 0; i < 5; i++) made.push((await client.post(base, newProject())).body.projectId);

    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await client.get(
        `${base}?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.items.map((p: { projectId: string }) => p.projectId));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(made);
  });

  it.each(['not-base64!', 'eyJrIjp7InBrIjoiVEVOQU5UI3gifX0'])(
    'refuses the bad cursor %s with a 400',
    async (cursor) => {
      const response = await api(server, owner.accessToken).get(
        `/v1/tenants/${tenantId}/projects?cursor=${cursor}`,
      );
      expect(response.status).toBe(400);
      expect(response.body.errors).toEqual([expect.objectContaining({ field: 'query.cursor' })]);
    },
  );

  it.each(['0', '101', 'ten'])('refuses limit=%s with a 400', async (limit) => {
    const response = await api(server, owner.accessToken).get(
      `/v1/tenants/${tenantId}/projects?limit=${limit}`,
    );
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([expect.objectContaining({ field: 'query.limit' })]);
  });

  it('lets a member read but not create, update or delete', async () => {
    const member = await memberWithRole('member');
    const project = (
      await api(server, owner.accessToken).post(`/v1/tenants/${tenantId}/projects`, newProject())
    ).body;
    const client = api(server, member.accessToken);
    const path = `/v1/tenants/${tenantId}/projects/${project.projectId}`;

    expect((await client.get(path)).status).toBe(200);
    expect((await client.post(`/v1/tenants/${tenantId}/projects`, newProject())).status).toBe(403);
    expect((await client.patch(path, { name: 'No' })).status).toBe(403);
    expect((await client.delete(path)).status).toBe(403);
  });

  it('lets a manager create and update but not delete', async () => {
    const manager = await memberWithRole('manager');
    const client = api(server, manager.accessToken);
    const created = await client.post(`/v1/tenants/${tenantId}/projects`, newProject());
    const path = `/v1/tenants/${tenantId}/projects/${created.body.projectId}`;

    expect(created.status).toBe(201);
    expect((await client.patch(path, { name: 'Managed' })).status).toBe(200);
    expect((await client.delete(path)).status).toBe(403);
  });

  it('lets an admin delete', async () => {
    const admin = await memberWithRole('admin');
    const created = await api(server, owner.accessToken).post(
      `/v1/tenants/${tenantId}/projects`,
      newProject(),
    );
    const response = await api(server, admin.accessToken).delete(
      `/v1/tenants/${tenantId}/projects/${created.body.projectId}`,
    );
    expect(response.status).toBe(204);
  });

  it('writes nothing for an invalid body', async () => {
    const before = await projectItems();
    const response = await api(server, owner.accessToken).post(`/v1/tenants/${tenantId}/projects`, {
      name: 'x'.repeat(500),
      slug: 'ok-slug',
      colour: 'red',
    });
    expect(response.status).toBe(400);
    expect(response.body.errors.map((e: { field: string }) => e.field).sort()).toEqual([
      'body.colour',
      'body.name',
    ]);
    expect(await projectItems()).toHaveLength(before.length);
  });

  it('refuses an oversized body with a 413 and writes nothing', async () => {
    const before = await projectItems();
    const response = await api(server, owner.accessToken).post(`/v1/tenants/${tenantId}/projects`, {
      ...newProject(),
      description: 'x'.repeat(20_000),
    });
    expect(response.status).toBe(413);
    expect(await projectItems()).toHaveLength(before.length);
  });

  it('audits create, update and delete with before and after', async () => {
    const client = api(server, owner.accessToken);
    const created = await client.post(`/v1/tenants/${tenantId}/projects`, newProject());
    const path = `/v1/tenants/${tenantId}/projects/${created.body.projectId}`;
    await client.patch(path, { name: 'Renamed' });
    await client.delete(path);

    const log = await client.get(`/v1/tenants/${tenantId}/audit-log?limit=100`);
    const entries = log.body.items.filter(
      (e: { target: { id: string } }) => e.target.id === created.body.projectId,
    );
    expect(entries.map((e: { action: string }) => e.action)).toEqual([
      'project.deleted',
      'project.updated',
      'project.created',
    ]);
    expect(entries[1]).toMatchObject({
      actor: { userId: owner.userId, email: owner.email },
      before: { name: created.body.name },
      after: { name: 'Renamed' },
      sourceIp: '127.0.0.1',
    });
    expect(entries[1].requestId).toEqual(expect.any(String));
  });
});
