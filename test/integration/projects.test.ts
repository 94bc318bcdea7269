import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freeBillingState } from '#shared/billing/billing.schema.ts';
import { keys } from '#shared/db/keys.ts';
import { newId } from '#shared/ids.ts';
import type { Role } from '#shared/tenancy/permissions.ts';
import {
  type ApiResponse,
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

/** Request options that send a response's ETag back as If-Match. */
const ifMatch = (response: ApiResponse) => ({ headers: { 'if-match': response.headers.get('etag') ?? '' } });

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
    const updated = await client.patch(path, { description: 'Changed' }, ifMatch(created));
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
      [
        'createdAt',
        'createdBy',
        'description',
        'name',
        'projectId',
        'slug',
        'tenantId',
        'updatedAt',
        'version',
      ].sort(),
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
    expect((await client.patch(path, { name: 'No' }, { headers: { 'if-match': '"1"' } })).status).toBe(403);
    expect((await client.delete(path)).status).toBe(403);
  });

  it('lets a manager create, update and delete a project they created', async () => {
    const manager = await memberWithRole('manager');
    const client = api(server, manager.accessToken);
    const created = await client.post(`/v1/tenants/${tenantId}/projects`, newProject());
    const path = `/v1/tenants/${tenantId}/projects/${created.body.projectId}`;

    expect(created.status).toBe(201);
    expect((await client.patch(path, { name: 'Managed' }, ifMatch(created))).status).toBe(200);
    expect((await client.delete(path)).status).toBe(204);
    expect((await api(server, owner.accessToken).get(path)).status).toBe(404);
  });

  it("refuses a manager deleting another member's project, which stays", async () => {
    const manager = await memberWithRole('manager');
    const colleague = await memberWithRole('manager');
    const created = await api(server, colleague.accessToken).post(
      `/v1/tenants/${tenantId}/projects`,
      newProject(),
    );
    const path = `/v1/tenants/${tenantId}/projects/${created.body.projectId}`;

    const response = await api(server, manager.accessToken).delete(path);

    expect(response.status).toBe(403);
    expect(response.body.detail).toBe(
      'Your role (manager) allows projects:delete only on the projects you created.',
    );
    expect((await api(server, owner.accessToken).get(path)).status).toBe(200);
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
    await client.patch(path, { name: 'Renamed' }, ifMatch(created));
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

describe('updating a project under If-Match', () => {
  const create = async () => {
    const client = api(server, owner.accessToken);
    const created = await client.post(`/v1/tenants/${tenantId}/projects`, {
      ...newProject(),
      description: 'First',
    });
    return { client, created, path: `/v1/tenants/${tenantId}/projects/${created.body.projectId}` };
  };

  it('answers POST, GET and PATCH with the version as a strong ETag', async () => {
    const { client, created, path } = await create();

    const read = await client.get(path);
    const updated = await client.patch(path, { name: 'Renamed' }, ifMatch(read));

    expect(created.headers.get('etag')).toBe('"1"');
    expect(read.headers.get('etag')).toBe('"1"');
    expect(updated.headers.get('etag')).toBe('"2"');
    expect(updated.body).toMatchObject({ name: 'Renamed', description: 'First', version: 2 });
  });

  it('refuses a PATCH without If-Match with a 428 and changes nothing', async () => {
    const { client, path } = await create();
    const before = await client.get(path);

    const response = await client.patch(path, { name: 'Blind' });

    expect(response.status).toBe(428);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(response.body.detail).toMatch(/If-Match/);
    expect((await client.get(path)).body).toEqual(before.body);
  });

  it('refuses a stale ETag with a 412 naming the current one, and changes nothing', async () => {
    const { client, created, path } = await create();
    await client.patch(path, { name: 'First change' }, ifMatch(created));
    const before = await client.get(path);

    const response = await client.patch(path, { description: 'Based on version 1' }, ifMatch(created));

    expect(response.status).toBe(412);
    expect(response.headers.get('etag')).toBe('"2"');
    expect(response.body).toMatchObject({ status: 412, title: 'Precondition Failed' });
    expect((await client.get(path)).body).toEqual(before.body);
  });

  it('lets one of two PATCHes made from the same ETag win and refuses the other, losing nothing', async () => {
    const { client, created, path } = await create();

    const first = await client.patch(path, { name: 'Alice was here' }, ifMatch(created));
    const second = await client.patch(path, { description: 'Bob was here' }, ifMatch(created));

    expect([first.status, second.status]).toEqual([200, 412]);
    const now = await client.get(path);
    expect(now.body).toMatchObject({ name: 'Alice was here', description: 'First', version: 2 });
    const retried = await client.patch(path, { description: 'Bob was here' }, ifMatch(now));
    expect(retried.body).toMatchObject({ name: 'Alice was here', description: 'Bob was here', version: 3 });
  });

  it('audits only the update that was applied', async () => {
    const { client, created, path } = await create();
    await client.patch(path, { name: 'Applied' }, ifMatch(created));
    await client.patch(path, { name: 'Refused' }, ifMatch(created));

    const log = await client.get(`/v1/tenants/${tenantId}/audit-log?limit=100&action=project.updated`);

    const updates = log.body.items.filter(
      (e: { target: { id: string } }) => e.target.id === created.body.projectId,
    );
    expect(updates.map((e: { after: { name: string } }) => e.after.name)).toEqual(['Applied']);
  });

  it('updates whatever version is current with If-Match: *', async () => {
    const { client, created, path } = await create();
    await client.patch(path, { name: 'Someone else' }, ifMatch(created));

    const response = await client.patch(path, { description: 'Mine' }, { headers: { 'if-match': '*' } });

    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ name: 'Someone else', description: 'Mine', version: 3 });
  });

  it('accepts the current ETag among several', async () => {
    const { client, path } = await create();

    const response = await client.patch(path, { name: 'Listed' }, { headers: { 'if-match': '"7", "1"' } });

    expect(response.status).toBe(200);
  });

  it('never matches a weak ETag', async () => {
    const { client, path } = await create();

    const response = await client.patch(path, { name: 'Weak' }, { headers: { 'if-match': 'W/"1"' } });

    expect(response.status).toBe(412);
  });

  it('refuses an If-Match that is not an entity tag with a 400 naming the header', async () => {
    const { client, path } = await create();

    const response = await client.patch(path, { name: 'Unquoted' }, { headers: { 'if-match': '1' } });

    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([expect.objectContaining({ field: 'header.if-match' })]);
  });

  it('answers 404 before any precondition for a project that does not exist', async () => {
    const response = await api(server, owner.accessToken).patch(
      `/v1/tenants/${tenantId}/projects/01j00000000000000000000000`,
      { name: 'Ghost' },
      { headers: { 'if-match': '"1"' } },
    );

    expect(response.status).toBe(404);
  });

  it('gives a project stored before versions existed the ETag "0" and updates it with that', async () => {
    const projectId = newId();
    const now = new Date().toISOString();
    await stack.db.send(
      new PutCommand({
        TableName: stack.tableName,
        Item: {
          ...keys.project(tenantId, projectId),
          type: 'project',
          projectId,
          tenantId,
          name: 'Legacy',
          slug: `legacy-${Date.now().toString(36)}`,
          description: '',
          createdBy: owner.userId,
          createdAt: now,
          updatedAt: now,
        },
      }),
    );
    const client = api(server, owner.accessToken);
    const path = `/v1/tenants/${tenantId}/projects/${projectId}`;
    const read = await client.get(path);

    const updated = await client.patch(path, { name: 'Versioned' }, ifMatch(read));

    expect(read.headers.get('etag')).toBe('"0"');
    expect(updated.status).toBe(200);
    expect(updated.headers.get('etag')).toBe('"1"');
  });
});
