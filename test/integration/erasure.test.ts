import { randomUUID } from 'node:crypto';
import { AdminGetUserCommand, UserNotFoundException } from '@aws-sdk/client-cognito-identity-provider';
import { GetCommand, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '#shared/db/client.ts';
import { keys } from '#shared/db/keys.ts';
import { createCognitoUserEraser } from '#shared/erasure/adapters.ts';
import { pseudonymKeyOf } from '#shared/erasure/erasure.env.ts';
import { createErasureRunner } from '#shared/erasure/erasure.runner.ts';
import { createErasureStore } from '#shared/erasure/erasure.store.ts';
import { pseudonymOf } from '#shared/erasure/pseudonym.ts';
import { mirrorSubscription } from '../support/billing-state.ts';
import {
  api,
  createTestStack,
  type LocalServer,
  signUpUser,
  startTestServer,
  type TestStack,
  type TestUser,
} from '../support/harness.ts';
import { startTestRunner, type TestRunner } from '../support/runner.ts';

/**
 * A user's erasure against moto: the data is made through the real API (invitations, roles, events,
 * NPS, a ticket), DELETE /v1/me accepts the erasure and the real erasure-run schedule runs it; then
 * nothing in the table names the person, the counters are right, and the audit chain still verifies.
 */

let stack: TestStack;
let db: Db;
let server: LocalServer;
let runner: TestRunner;
let owner: TestUser;
let erased: TestUser;
let tenantId: string;
let otherTenantId: string;
let formerTenantId: string;
let erasureId: string;
let memberCountBefore: number;
const today = new Date().toISOString().slice(0, 10);
const afterToday = new Date(Date.parse(`${today}T00:00:00.000Z`) + 25 * 3_600_000 + 300_000).toISOString();

const tenantItem = async (id: string) =>
  (
    await db.client.send(
      new GetCommand({ TableName: db.tableName, Key: keys.tenant(id), ConsistentRead: true }),
    )
  ).Item ?? {};

/** Every item of the test's table: a Scan is fine in a test that proves something is nowhere. */
async function everyItem(): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await db.client.send(new ScanCommand({ TableName: db.tableName, ExclusiveStartKey: start }));
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

async function joinByInvitation(tenant: string, user: TestUser) {
  const invited = await api(server, owner.accessToken).post(`/v1/tenants/${tenant}/invitations`, {
    email: user.email,
    role: 'member',
  });
  expect(invited.status).toBe(201);
  const accepted = await api(server, user.accessToken).post(
    `/v1/invitations/${invited.body.invitationId}/accept`,
  );
  expect(accepted.status).toBe(200);
}

beforeAll(async () => {
  stack = await createTestStack();
  db = { client: stack.db, tableName: stack.tableName };
  server = await startTestServer(stack);
  runner = await startTestRunner(stack);
  [owner, erased] = await Promise.all([signUpUser(stack), signUpUser(stack)]);
  const asOwner = api(server, owner.accessToken);
  tenantId = (
    await asOwner.post('/v1/tenants', { name: 'Erasure Co', slug: `erasure-${randomUUID().slice(0, 8)}` })
  ).body.tenantId;
  otherTenantId = (
    await asOwner.post('/v1/tenants', { name: 'Other Co', slug: `other-${randomUUID().slice(0, 8)}` })
  ).body.tenantId;
  formerTenantId = (
    await asOwner.post('/v1/tenants', { name: 'Former Co', slug: `former-${randomUUID().slice(0, 8)}` })
  ).body.tenantId;
  await mirrorSubscription(stack, tenantId, { plan: 'team' });
  await joinByInvitation(tenantId, erased);
  // A tenant they joined and were removed from before asking: its audit log still names them.
  await joinByInvitation(formerTenantId, erased);
  expect((await asOwner.delete(`/v1/tenants/${formerTenantId}/members/${erased.userId}`)).status).toBe(204);
  // Audited with the person in before/after, by another actor.
  await asOwner.patch(`/v1/tenants/${tenantId}/members/${erased.userId}`, { role: 'admin' });
  // Pending in the other tenant: holds a seat until revoked.
  expect(
    (await asOwner.post(`/v1/tenants/${otherTenantId}/invitations`, { email: erased.email, role: 'member' }))
      .status,
  ).toBe(201);
  const asErased = api(server, erased.accessToken);
  expect(
    (
      await asErased.post(`/v1/tenants/${tenantId}/events`, {
        events: [
          { id: randomUUID(), name: 'report_viewed' },
          { id: randomUUID(), name: 'report_exported' },
        ],
      })
    ).status,
  ).toBe(202);
  expect(
    (await asErased.post(`/v1/tenants/${tenantId}/nps`, { score: 9, comment: `Write to ${erased.email}` }))
      .status,
  ).toBe(201);
  expect(
    (
      await asErased.post(`/v1/tenants/${tenantId}/support/tickets`, {
        subject: 'Export question',
        body: `Please answer ${erased.email.toUpperCase()}, thanks`,
      })
    ).status,
  ).toBe(201);
  await runner.drain();
  await runner.triggerSchedule('audit-digest', afterToday);
  memberCountBefore = Number((await tenantItem(tenantId)).memberCount);

  const deleted = await asErased.delete('/v1/me');
  expect(deleted.status).toBe(202);
  erasureId = deleted.body.erasureId;
  await runner.triggerSchedule('erasure-run');
}, 120_000);
afterAll(async () => {
  await runner?.stop();
  await server?.close();
});

describe('a user erasure (DELETE /v1/me, then the erasure-run schedule)', () => {
  it('deletes the Cognito user', async () => {
    await expect(
      stack.cognito.send(new AdminGetUserCommand({ UserPoolId: stack.userPoolId, Username: erased.userId })),
    ).rejects.toBeInstanceOf(UserNotFoundException);
  });

  it("removes the membership and frees its seat on the tenant's counters", async () => {
    const tenant = await tenantItem(tenantId);
    expect(tenant.memberCount).toBe(memberCountBefore - 1);
    expect(tenant.reservedSeats).toBe(memberCountBefore - 1);
    const { Item } = await db.client.send(
      new GetCommand({
        TableName: db.tableName,
        Key: { pk: `TENANT#${tenantId}`, sk: `MEMBER#${erased.userId}` },
      }),
    );
    expect(Item).toBeUndefined();
  });

  it('revokes the pending invitation to their email and frees the seat it held', async () => {
    const tenant = await tenantItem(otherTenantId);
    expect(tenant.pendingInvitationCount).toBe(0);
    expect(tenant.reservedSeats).toBe(1);
    const guard = await db.client.send(
      new GetCommand({ TableName: db.tableName, Key: keys.pendingInvitation(otherTenantId, erased.email) }),
    );
    expect(guard.Item).toBeUndefined();
  });

  it('deletes their product events', async () => {
    const events = keys.productEventsOfUser(tenantId, erased.userId);
    const { Items = [] } = await db.client.send(
      new QueryCommand({
        TableName: db.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': events.pk, ':prefix': events.skPrefix },
      }),
    );
    expect(Items).toEqual([]);
  });

  it('keeps the NPS score and its daily count but not the comment or the user id', async () => {
    const month = today.slice(0, 7);
    const { Items = [] } = await db.client.send(
      new QueryCommand({
        TableName: db.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': keys.npsAnswersOfMonth(month).pk },
      }),
    );
    const answer = Items.find((item) => item.tenantId === tenantId);
    expect(answer).toMatchObject({ score: 9, comment: null, erased: true });
    expect(answer?.userId).toBeUndefined();
    const day = await db.client.send(new GetCommand({ TableName: db.tableName, Key: keys.npsDay(today) }));
    expect(day.Item?.promoters).toBe(1);
  });

  it('replaces the person in the audit log by their pseudonym, keeping the actions', async () => {
    const pseudonym = pseudonymOf(pseudonymKeyOf(stack.env as { TABLE_NAME: string }), 'user', erased.userId);
    const range = keys.auditRange(tenantId);
    const { Items = [] } = await db.client.send(
      new QueryCommand({
        TableName: db.tableName,
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
        ExpressionAttributeValues: { ':pk': range.pk, ':from': range.skFrom, ':to': range.skTo },
      }),
    );
    const accepted = Items.find((item) => item.action === 'invitation.accepted');
    expect(accepted?.actor).toEqual({ userId: pseudonym, email: pseudonym });
    expect(accepted?.sourceIp).toBe(pseudonym);
    expect(accepted?.personalHash).toMatch(/^[0-9a-f]{64}$/);
    const roleChange = Items.find((item) => item.action === 'member.role-changed');
    expect(roleChange?.actor.userId).toBe(owner.userId);
    expect(roleChange?.target.id).toBe(pseudonym);
  });

  it('pseudonymises them in the audit log of a tenant they had already left', async () => {
    const pseudonym = pseudonymOf(pseudonymKeyOf(stack.env as { TABLE_NAME: string }), 'user', erased.userId);
    const range = keys.auditRange(formerTenantId);
    const { Items = [] } = await db.client.send(
      new QueryCommand({
        TableName: db.tableName,
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
        ExpressionAttributeValues: { ':pk': range.pk, ':from': range.skFrom, ':to': range.skTo },
      }),
    );
    const removed = Items.find((item) => item.action === 'member.removed');
    expect(removed?.target.id).toBe(pseudonym);
    expect(JSON.stringify(Items)).not.toContain(erased.userId);
  });

  it('keeps the audit chain verifiable (GET audit-log/verify)', async () => {
    const response = await api(server, owner.accessToken).get(
      `/v1/tenants/${tenantId}/audit-log/verify?from=${today}&to=${today}`,
    );
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ ok: true, daysVerified: 1 });
  });

  it('leaves no item in the table that holds their user id or email', async () => {
    const holding = (await everyItem()).filter((item) => {
      const text = JSON.stringify(item).toLowerCase();
      return text.includes(erased.userId) || text.includes(erased.email);
    });
    // Rate-limit windows (keyed by a hash or id) expire within minutes by TTL; nothing else may remain.
    expect(holding.filter((item) => !String(item.pk).startsWith('RATE#'))).toEqual([]);
  });

  it('produces a completed report with counts per step, requested by self, without personal data', async () => {
    const report = await createErasureStore(db).get(erasureId);
    expect(report).toMatchObject({ status: 'completed', kind: 'user', requestedBy: { kind: 'self' } });
    expect(report?.progress.memberships).toEqual({ membership: 1 });
    // The two tracked events, and the server-side ones product-activity derived from their audited actions.
    expect(report?.progress['product-events']?.['product-event']).toBeGreaterThanOrEqual(2);
    expect(report?.progress['nps-answers']).toEqual({ 'nps-answer': 1 });
    expect(report?.progress.invitations).toMatchObject({ 'invitation-revoked': 1 });
    const text = JSON.stringify(report).toLowerCase();
    expect(text).not.toContain(erased.userId);
    expect(text).not.toContain(erased.email);
  });

  it('is a no-op when run again', async () => {
    const store = createErasureStore(db);
    const before = await store.get(erasureId);
    const again = createErasureRunner({
      db,
      store,
      clock: () => new Date(Date.now() + 3_600_000),
      pseudonymKey: pseudonymKeyOf(stack.env as { TABLE_NAME: string }),
      userPool: createCognitoUserEraser(stack.cognito, stack.userPoolId),
      stripe: { deleteCustomer: async () => true },
    });
    expect(await again.run(erasureId)).toBe('not-claimed');
    expect(await store.get(erasureId)).toEqual(before);
  });
});

describe("the erasure's work item", () => {
  it('keeps the email only until the last step that reads it, then the user id until completion', async () => {
    const leaving = await signUpUser(stack);
    const accepted = await api(server, leaving.accessToken).delete('/v1/me');
    expect(accepted.status).toBe(202);
    const id = accepted.body.erasureId as string;
    const store = createErasureStore(db);
    const seen: Record<string, string | undefined> = {};
    const runnerOf = (now: () => Date, crashAfter?: string) =>
      createErasureRunner({
        db,
        store,
        clock: now,
        pseudonymKey: pseudonymKeyOf(stack.env as { TABLE_NAME: string }),
        userPool: createCognitoUserEraser(stack.cognito, stack.userPoolId),
        stripe: { deleteCustomer: async () => true },
        afterStep: async (_id, step) => {
          const work = (await store.getWork(id)) as { email?: string } | undefined;
          seen[step] = work?.email;
          if (step === crashAfter) throw new Error('killed');
        },
      });

    await expect(runnerOf(() => new Date(), 'tenant-records').run(id)).rejects.toThrow('killed');
    expect(seen['audit-log']).toBe(leaving.email);
    expect(seen['tenant-records']).toBeUndefined();
    const work = await db.client.send(
      new GetCommand({ TableName: db.tableName, Key: keys.erasureWork(id), ConsistentRead: true }),
    );
    expect(work.Item?.work).toMatchObject({ kind: 'user', userId: leaving.userId });
    expect(JSON.stringify(work.Item).toLowerCase()).not.toContain(leaving.email);

    expect(await runnerOf(() => new Date(Date.now() + 11 * 60_000)).run(id)).toBe('completed');
    const items = await db.client.send(
      new QueryCommand({
        TableName: db.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': keys.erasureReport(id).pk },
        ConsistentRead: true,
      }),
    );
    expect(items.Items?.map((item) => item.sk)).toEqual(['REPORT']);
    const text = JSON.stringify(items.Items).toLowerCase();
    expect(text).not.toContain(leaving.email);
    expect(text).not.toContain(leaving.userId);
  });
});

describe('a user erasure that would leave a tenant without an owner', () => {
  it('stops as blocked, naming the rule, when the user became the last owner after asking', async () => {
    const [first, second] = await Promise.all([signUpUser(stack), signUpUser(stack)]);
    const tenant = (
      await api(server, first.accessToken).post('/v1/tenants', {
        name: 'Two Owners',
        slug: `two-${randomUUID().slice(0, 8)}`,
      })
    ).body.tenantId;
    const invited = await api(server, first.accessToken).post(`/v1/tenants/${tenant}/invitations`, {
      email: second.email,
      role: 'owner',
    });
    await api(server, second.accessToken).post(`/v1/invitations/${invited.body.invitationId}/accept`);
    const accepted = await api(server, second.accessToken).delete('/v1/me');
    expect(accepted.status).toBe(202);
    // The other owner leaves before the erasure runs.
    expect(
      (await api(server, first.accessToken).delete(`/v1/tenants/${tenant}/members/${first.userId}`)).status,
    ).toBe(204);

    await runner.triggerSchedule('erasure-run');

    const report = await createErasureStore(db).get(accepted.body.erasureId);
    expect(report?.status).toBe('blocked');
    expect(report?.steps.memberships).toMatchObject({ status: 'refused' });
    expect((await tenantItem(tenant)).ownerCount).toBe(1);
    // Nothing was erased: the refused step ran first.
    const identity = await stack.cognito.send(
      new AdminGetUserCommand({ UserPoolId: stack.userPoolId, Username: second.userId }),
    );
    expect(identity.Username).toBe(second.userId);
  });
});
