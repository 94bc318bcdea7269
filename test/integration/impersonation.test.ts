import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '#shared/db/client.ts';
import { keys } from '#shared/db/keys.ts';
import { ConflictError } from '#shared/http/errors.ts';
import { newId } from '#shared/ids.ts';
import {
  createImpersonationRepository,
  type ImpersonationSession,
  type SessionAudit,
} from '#shared/impersonation/impersonation.repository.ts';
import { memberItem } from '#shared/members/members.records.ts';
import {
  api,
  createTestStack,
  type LocalServer,
  signUpUser,
  startTestServer,
  type TestStack,
  type TestUser,
} from '../support/harness.ts';

/** The session repository against moto, and the tenant's support access setting through the handler. */

let stack: TestStack;
let server: LocalServer;
let db: Db;
let owner: TestUser;
let tenantId: string;

beforeAll(async () => {
  stack = await createTestStack();
  server = await startTestServer(stack);
  db = { client: stack.db, tableName: stack.tableName };
  owner = await signUpUser(stack);
  tenantId = (await api(server, owner.accessToken).post('/v1/tenants', { name: 'Held', slug: 'held' })).body
    .tenantId;
});
afterAll(() => server.close());

const request = { requestId: 'req-1', sourceIp: '203.0.113.7' };

function repositoryAt(at: Date) {
  return createImpersonationRepository(db, { clock: () => at, newId: () => newId(at) });
}

function sessionAt(
  at: Date,
  minutes: number,
  overrides: Partial<ImpersonationSession> = {},
): ImpersonationSession {
  return {
    sessionId: newId(at),
    operatorId: 'op-1',
    userId: owner.userId,
    reason: 'Ticket 1',
    openedAt: at.toISOString(),
    expiresAt: new Date(at.getTime() + minutes * 60_000).toISOString(),
    status: 'open',
    auditTenantIds: [],
    ...overrides,
  };
}

const opened = (session: ImpersonationSession): SessionAudit => ({
  operatorId: session.operatorId,
  action: 'impersonation.opened',
  before: null,
  after: { sessionId: session.sessionId },
  reason: session.reason,
  request,
});

describe('the impersonation session repository', () => {
  it('stores a session that expires by TTL at its expiry', async () => {
    const now = new Date();
    const session = sessionAt(now, 10);
    await repositoryAt(now).open(session, opened(session));

    const { Item } = await db.client.send(
      new GetCommand({ TableName: db.tableName, Key: keys.impersonationSession(session.sessionId) }),
    );
    expect(Item).toMatchObject({
      status: 'open',
      expiresAt: session.expiresAt,
      gsi1pk: 'IMPERSONATION_OPEN',
    });
    expect(Item?.ttl).toBe(Math.ceil(Date.parse(session.expiresAt) / 1000));
  });

  it('lists only sessions not yet expired, although expired items are still in the table', async () => {
    const now = new Date();
    const live = sessionAt(now, 10);
    const past = new Date(now.getTime() - 30 * 60_000);
    const expired = sessionAt(past, 5);
    await repositoryAt(now).open(live, opened(live));
    await repositoryAt(past).open(expired, opened(expired));

    const page = await repositoryAt(now).listOpen(now.toISOString(), { limit: 100 });
    const ids = page.items.map((s) => s.sessionId);
    expect(ids).toContain(live.sessionId);
    expect(ids).not.toContain(expired.sessionId);
  });

  it('does not end a session that has expired meanwhile (409), and leaves it as it was', async () => {
    const past = new Date(Date.now() - 30 * 60_000);
    const session = sessionAt(past, 5);
    const repository = repositoryAt(past);
    await repository.open(session, opened(session));

    const ending = repositoryAt(new Date()).end(session, new Date().toISOString(), {
      ...opened(session),
      action: 'impersonation.ended',
    });

    await expect(ending).rejects.toBeInstanceOf(ConflictError);
    expect((await repository.get(session.sessionId))?.status).toBe('open');
  });

  it('refuses to open a session limited to a tenant whose support access went off before the write', async () => {
    const now = new Date();
    const other = newId();
    await db.client.send(
      new PutCommand({
        TableName: db.tableName,
        Item: {
          ...keys.tenant(other),
          type: 'tenant',
          tenantId: other,
          status: 'active',
          supportAccess: false,
        },
      }),
    );
    await db.client.send(
      new PutCommand({
        TableName: db.tableName,
        Item: memberItem({
          tenantId: other,
          userId: owner.userId,
          email: owner.email,
          role: 'owner',
          status: 'active',
          joinedAt: now.toISOString(),
          updatedAt: now.toISOString(),
        }),
      }),
    );
    const session = sessionAt(now, 10, { tenantId: other, auditTenantIds: [other] });

    await expect(repositoryAt(now).open(session, opened(session))).rejects.toBeInstanceOf(ConflictError);
    expect(await repositoryAt(now).get(session.sessionId)).toBeUndefined();
  });

  it('reads the session and the path’s tenant in one request', async () => {
    const now = new Date();
    const session = sessionAt(now, 10);
    await repositoryAt(now).open(session, opened(session));

    const found = await repositoryAt(now).findForUse(session.sessionId, tenantId);

    expect(found.session?.sessionId).toBe(session.sessionId);
    expect(found.tenant?.tenantId).toBe(tenantId);
  });
});

describe('the tenant’s support access setting', () => {
  it('is refused to an admin who is not an owner (403), and nothing changes', async () => {
    const admin = await signUpUser(stack);
    const now = new Date().toISOString();
    await db.client.send(
      new PutCommand({
        TableName: db.tableName,
        Item: memberItem({
          tenantId,
          userId: admin.userId,
          email: admin.email,
          role: 'admin',
          status: 'active',
          joinedAt: now,
          updatedAt: now,
        }),
      }),
    );

    const response = await api(server, admin.accessToken).patch(`/v1/tenants/${tenantId}`, {
      supportAccess: false,
    });

    expect(response.status).toBe(403);
    expect((await api(server, owner.accessToken).get(`/v1/tenants/${tenantId}`)).body.supportAccess).toBe(
      true,
    );
  });

  it('answers 400 with a field error for a value that is not a boolean', async () => {
    const response = await api(server, owner.accessToken).patch(`/v1/tenants/${tenantId}`, {
      supportAccess: 'no',
    });
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([{ field: 'body.supportAccess', message: expect.any(String) }]);
  });

  it('is stored on the tenant item when the owner turns it off', async () => {
    const response = await api(server, owner.accessToken).patch(`/v1/tenants/${tenantId}`, {
      supportAccess: false,
    });
    expect(response.status).toBe(200);
    const { Item } = await db.client.send(
      new GetCommand({ TableName: db.tableName, Key: keys.tenant(tenantId), ConsistentRead: true }),
    );
    expect(Item).toMatchObject({ supportAccess: false, name: 'Held' });
  });
});
