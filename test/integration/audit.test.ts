import { randomUUID } from 'node:crypto';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEntry } from '#shared/audit/audit.schema.ts';
import type { Db } from '#shared/db/client.ts';
import { routes } from '#shared/http/routes.ts';
import { type Clock, newId } from '#shared/ids.ts';
import { memberItem } from '#shared/members/members.records.ts';
import type { Member } from '#shared/members/members.schema.ts';
import { createProjectRepository } from '#shared/projects/projects.repository.ts';
import { createProjectService } from '#shared/projects/projects.service.ts';
import type { Role } from '#shared/tenancy/permissions.ts';
import { createTenancy } from '#shared/tenancy/tenant-context.ts';
import { createTenantRepository } from '#shared/tenants/tenants.repository.ts';
import { mirrorSubscription } from '../support/billing-state.ts';
import { type ApiHandler, callHandler } from '../support/handler-call.ts';
import { createTestStack, type TestStack } from '../support/harness.ts';

// The audit function is called in process with the event API Gateway would send, on a table of its
// own in the run's shared moto (test/support). Entries are made by the real tenants repository and
// projects service, with a stepping clock so every entry has its own instant.
let stack: TestStack;
let db: Db;
let handler: ApiHandler;

interface Page {
  readonly status: number;
  readonly body: { items?: AuditEntry[]; nextCursor?: string; errors?: { field: string }[] };
}

/** GET /v1/tenants/{tenantId}/audit-log through the audit function, as API Gateway would call it. */
async function listAuditLog(as: string, tenantId: string, query: Record<string, string> = {}): Promise<Page> {
  return (await callHandler(handler, routes.listAuditLog, { as, params: { tenantId }, query })) as Page;
}

/** Follows `nextCursor` to the end; returns every page. */
async function allPages(as: string, tenantId: string, query: Record<string, string>): Promise<Page[]> {
  const pages: Page[] = [];
  let cursor: string | undefined;
  do {
    const page = await listAuditLog(as, tenantId, cursor ? { ...query, cursor } : query);
    expect(page.status).toBe(200);
    pages.push(page);
    cursor = page.body.nextCursor;
  } while (cursor && pages.length < 50);
  return pages;
}

const itemsOf = (pages: Page[]) => pages.flatMap((p) => p.body.items ?? []);

/** Audit times one minute apart, so that every entry has its own instant. */
function steppingClock(start: string): Clock {
  let now = Date.parse(start);
  return () => {
    now += 60_000;
    return new Date(now);
  };
}

interface SeededTenant {
  readonly tenantId: string;
  readonly users: Record<Role, string>;
}

/**
 * A tenant made by the tenants repository (which audits `tenant.created`), one member per role,
 * and project changes made through the projects service, each audited in its own transaction.
 */
async function seedTenant(
  clock: Clock,
  changes: (ctx: ProjectActor) => Promise<void>,
): Promise<SeededTenant> {
  const deps = { clock, newId: () => newId() };
  const tenantId = newId();
  const now = clock().toISOString();
  const users = { owner: randomUUID(), admin: randomUUID(), manager: randomUUID(), member: randomUUID() };
  const request = { requestId: 'seed', sourceIp: '127.0.0.1' };
  const member = (role: Role): Member => ({
    tenantId,
    userId: users[role],
    email: `${role}-${users[role].slice(0, 8)}@example.com`,
    role,
    status: 'active',
    joinedAt: now,
    updatedAt: now,
  });
  await createTenantRepository(db, deps).create(
    {
      tenantId,
      name: 'Acme',
      slug: `acme-${tenantId.slice(-8)}`,
      status: 'active',
      createdAt: now,
      updatedAt: now,
      createdBy: users.owner,
      ownerCount: 1,
    },
    member('owner'),
    {
      actor: { userId: users.owner },
      request,
      action: 'tenant.created',
      target: { type: 'tenant', id: tenantId },
      before: null,
      after: { name: 'Acme' },
    },
  );
  for (const role of ['admin', 'manager', 'member'] as const) {
    await db.client.send(new PutCommand({ TableName: db.tableName, Item: memberItem(member(role)) }));
  }

  const projects = createProjectService({ projects: createProjectRepository(db, deps), ...deps });
  const tenancy = createTenancy({ db });
  const as = async (role: Role) =>
    tenancy.resolve({ userId: users[role], groups: [], platformAdmin: false }, tenantId, request);
  // Reading the log is a Team feature.
  await mirrorSubscription(stack, tenantId, { plan: 'team' });
  await changes({ projects, as });
  return { tenantId, users };
}

interface ProjectActor {
  readonly projects: ReturnType<typeof createProjectService>;
  readonly as: (role: Role) => ReturnType<ReturnType<typeof createTenancy>['resolve']>;
}

let acme: SeededTenant;
let globex: SeededTenant;
/** Acme's whole log, newest first, read page by page. */
let acmeLog: AuditEntry[];

beforeAll(async () => {
  stack = await createTestStack();
  // The handler reads its environment once, at import.
  Object.assign(process.env, stack.env);
  db = { client: stack.db, tableName: stack.tableName };
  ({ handler } = await import('#functions/audit/handler.ts'));

  // Acme: 1 tenant.created (owner), then 3 creates, 1 update, 1 delete by owner and admin.
  acme = await seedTenant(steppingClock('2024-03-01T09:00:00.000Z'), async ({ projects, as }) => {
    const apollo = await projects.create(await as('owner'), {
      name: 'Apollo',
      slug: 'apollo',
      description: '',
    });
    const gemini = await projects.create(await as('owner'), {
      name: 'Gemini',
      slug: 'gemini',
      description: '',
    });
    await projects.update(await as('admin'), apollo.projectId, { name: 'Apollo 11' }, { any: true });
    await projects.create(await as('admin'), { name: 'Mercury', slug: 'mercury', description: '' });
    await projects.remove(await as('admin'), gemini.projectId);
  });
  // Globex: its own log, interleaved in time with Acme's.
  globex = await seedTenant(steppingClock('2024-03-01T09:00:30.000Z'), async ({ projects, as }) => {
    await projects.create(await as('owner'), { name: 'Vostok', slug: 'vostok', description: '' });
    await projects.create(await as('owner'), { name: 'Soyuz', slug: 'soyuz', description: '' });
  });
  acmeLog = itemsOf(await allPages(acme.users.owner, acme.tenantId, { limit: '100' }));
}, 60_000);

afterAll(() => {
  stack?.db.destroy();
  stack?.cognito.destroy();
});

describe('GET /v1/tenants/{tenantId}/audit-log', () => {
  it("lists the tenant's entries, and only those, newest first", () => {
    expect(acmeLog.map((e) => e.action)).toEqual([
      'project.deleted',
      'project.created',
      'project.updated',
      'project.created',
      'project.created',
      'tenant.created',
    ]);
    expect(acmeLog.every((e) => e.tenantId === acme.tenantId)).toBe(true);
    const times = acmeLog.map((e) => e.at);
    expect(times).toEqual([...times].sort().reverse());
  });

  it('returns entries in the documented shape, without table keys', () => {
    const updated = acmeLog.find((e) => e.action === 'project.updated');

    expect(updated).toMatchObject({
      actor: { userId: acme.users.admin, email: expect.stringContaining('@example.com') },
      target: { type: 'project' },
      before: expect.objectContaining({ name: 'Apollo' }),
      after: expect.objectContaining({ name: 'Apollo 11' }),
      requestId: 'seed',
    });
    expect(Object.keys(updated ?? {})).not.toEqual(expect.arrayContaining(['pk']));
    expect(updated).not.toHaveProperty('sk');
    expect(updated).not.toHaveProperty('ttl');
  });

  it('lets an admin read the log', async () => {
    const page = await listAuditLog(acme.users.admin, acme.tenantId);

    expect(page.status).toBe(200);
    expect(page.body.items).toEqual(acmeLog);
  });

  it('filters by actor through the actor index, newest first', async () => {
    const page = await listAuditLog(acme.users.owner, acme.tenantId, { actor: acme.users.admin });

    expect(page.status).toBe(200);
    expect(page.body.items).toEqual(acmeLog.filter((e) => e.actor.userId === acme.users.admin));
    expect(page.body.items).toHaveLength(3);
  });

  it('filters by action', async () => {
    const pages = await allPages(acme.users.owner, acme.tenantId, { action: 'project.created' });

    expect(itemsOf(pages)).toEqual(acmeLog.filter((e) => e.action === 'project.created'));
  });

  it('filters by time range, both ends inclusive', async () => {
    const [, newer, , older] = acmeLog;
    const query = { from: older?.at ?? '', to: newer?.at ?? '' };

    const page = await listAuditLog(acme.users.owner, acme.tenantId, query);

    expect(page.body.items).toEqual(acmeLog.slice(1, 4));
  });

  it('accepts range ends without milliseconds', async () => {
    const newest = acmeLog[0];
    const from = `${newest?.at.slice(0, 19)}Z`;

    const page = await listAuditLog(acme.users.owner, acme.tenantId, { from });

    expect(page.body.items).toEqual([newest]);
  });

  it('combines actor, action and time range', async () => {
    const expected = acmeLog.filter(
      (e) => e.actor.userId === acme.users.admin && e.action === 'project.created',
    );
    const query = {
      actor: acme.users.admin,
      action: 'project.created',
      from: acmeLog.at(-1)?.at ?? '',
      to: acmeLog[0]?.at ?? '',
    };

    const page = await listAuditLog(acme.users.owner, acme.tenantId, query);

    expect(page.body.items).toEqual(expected);
    expect(expected).toHaveLength(1);
  });

  it('pages through the whole log with cursors, each entry once and in order', async () => {
    const pages = await allPages(acme.users.owner, acme.tenantId, { limit: '4' });

    expect(pages.map((p) => p.body.items?.length)).toEqual([4, 2]);
    expect(itemsOf(pages)).toEqual(acmeLog);
  });

  it('pages through an actor filter with cursors', async () => {
    const pages = await allPages(acme.users.owner, acme.tenantId, { actor: acme.users.owner, limit: '2' });

    expect(itemsOf(pages)).toEqual(acmeLog.filter((e) => e.actor.userId === acme.users.owner));
  });

  it('may answer short pages with an action filter, yet following nextCursor finds every match', async () => {
    const pages = await allPages(acme.users.owner, acme.tenantId, { action: 'project.updated', limit: '2' });

    expect(itemsOf(pages)).toEqual(acmeLog.filter((e) => e.action === 'project.updated'));
    expect(pages.some((p) => (p.body.items?.length ?? 0) < 2 && p.body.nextCursor)).toBe(true);
  });

  it("refuses with 400 a cursor from another tenant's log", async () => {
    const theirs = await listAuditLog(globex.users.owner, globex.tenantId, { limit: '1' });
    const cursor = theirs.body.nextCursor ?? '';

    const page = await listAuditLog(acme.users.owner, acme.tenantId, { limit: '1', cursor });

    expect(cursor).not.toBe('');
    expect(page.status).toBe(400);
    expect(page.body.errors).toEqual([expect.objectContaining({ field: 'query.cursor' })]);
  });

  it('refuses with 400 a cursor made for other filters', async () => {
    const first = await listAuditLog(acme.users.owner, acme.tenantId, { limit: '1' });

    const page = await listAuditLog(acme.users.owner, acme.tenantId, {
      limit: '1',
      action: 'project.created',
      cursor: first.body.nextCursor ?? '',
    });

    expect(page.status).toBe(400);
  });

  it('refuses with 400 a range that ends before it starts', async () => {
    const page = await listAuditLog(acme.users.owner, acme.tenantId, {
      from: '2024-03-02T00:00:00Z',
      to: '2024-03-01T00:00:00Z',
    });

    expect(page.status).toBe(400);
    expect(page.body.errors).toEqual([expect.objectContaining({ field: 'query.from' })]);
  });

  it.each(['member', 'manager'] as const)('refuses a %s with 403', async (role) => {
    const page = await listAuditLog(acme.users[role], acme.tenantId);

    expect(page.status).toBe(403);
    expect(page.body.items).toBeUndefined();
  });

  it('answers 402 naming the Team plan to a tenant on the Free plan', async () => {
    const free = await seedTenant(steppingClock('2024-04-01T09:00:00.000Z'), async () => {});
    await mirrorSubscription(stack, free.tenantId, { plan: 'free', status: 'none', subscriptionId: null });

    const page = (await listAuditLog(free.users.owner, free.tenantId)) as Page & {
      body: { status?: number; detail?: string };
    };

    expect(page.status).toBe(402);
    expect(page.body.detail).toBe('The Free plan does not include the audit log; upgrade to Team to use it.');
  });

  it("answers 404 to an owner asking for another tenant's log", async () => {
    const page = await listAuditLog(acme.users.owner, globex.tenantId);

    expect(page.status).toBe(404);
    expect(page.body.items).toBeUndefined();
  });

  it('answers 404 for a tenant that does not exist', async () => {
    const page = await listAuditLog(acme.users.owner, newId());

    expect(page.status).toBe(404);
  });
});
