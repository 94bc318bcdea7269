import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keys } from '#shared/db/keys.ts';
import { newId } from '#shared/ids.ts';
import { suppressAddress } from '#shared/mail/suppression.ts';
import type { Role } from '#shared/tenancy/permissions.ts';
import { mirrorSubscription } from '../support/billing-state.ts';
import {
  addMembership,
  api,
  createTestStack,
  type LocalServer,
  readSentEmails,
  signUpOperator,
  signUpUser,
  startTestServer,
  type TestOperator,
  type TestStack,
  type TestUser,
  uniqueEmail,
} from '../support/harness.ts';

/**
 * Support tickets through the local HTTP server (the support function, as API Gateway routes it),
 * against moto: customers' routes, the operators' queue, and the tenant's communication history.
 */

let stack: TestStack;
let server: LocalServer;
let owner: TestUser;
let member: TestUser;
let otherMember: TestUser;
let outsider: TestUser;
let supportOp: TestOperator;
let financeOp: TestOperator;
let tenantId: string;
let businessTenantId: string;
let otherTenantId: string;

async function addMember(id: string, role: Role): Promise<TestUser> {
  const user = await signUpUser(stack);
  await addMembership(stack, id, user, role);
  return user;
}

beforeAll(async () => {
  stack = await createTestStack();
  server = await startTestServer(stack);
  [owner, outsider, supportOp, financeOp] = await Promise.all([
    signUpUser(stack),
    signUpUser(stack),
    signUpOperator(stack, ['support']),
    signUpOperator(stack, ['finance']),
  ]);
  const client = api(server, owner.accessToken);
  tenantId = (await client.post('/v1/tenants', { name: 'Helped', slug: 'helped' })).body.tenantId;
  businessTenantId = (await client.post('/v1/tenants', { name: 'Big Co', slug: 'big-co' })).body.tenantId;
  otherTenantId = (
    await api(server, outsider.accessToken).post('/v1/tenants', { name: 'Else', slug: 'else' })
  ).body.tenantId;
  await mirrorSubscription(stack, businessTenantId, { plan: 'business' });
  [member, otherMember] = await Promise.all([addMember(tenantId, 'member'), addMember(tenantId, 'member')]);
});
afterAll(() => server.close());

const tickets = (id: string) => `/v1/tenants/${id}/support/tickets`;
const adminTicket = (ticketId: string) => `/admin/support/tickets/${ticketId}`;
const put = (token: string, path: string, body: unknown) => api(server, token).request('PUT', path, body);

async function openTicket(user: TestUser = member, id = tenantId, body: Record<string, unknown> = {}) {
  const response = await api(server, user.accessToken).post(tickets(id), {
    subject: 'Cannot export my data',
    body: 'The export button does nothing.',
    ...body,
  });
  expect(response.status).toBe(201);
  return response.body as { ticketId: string; [key: string]: unknown };
}

async function tenantAudit(id: string) {
  const range = keys.auditRange(id);
  const result = await stack.db.send(
    new QueryCommand({
      TableName: stack.tableName,
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: { ':pk': range.pk, ':from': range.skFrom, ':to': range.skTo },
    }),
  );
  return result.Items ?? [];
}

describe('customers open and follow tickets', () => {
  it('opens a ticket with its first message and a normal priority on the free plan', async () => {
    const ticket = await openTicket(member, tenantId, { priority: 'urgent' });
    expect(ticket).toMatchObject({
      status: 'open',
      priority: 'normal',
      requestedPriority: 'urgent',
      prioritySupport: false,
      firstResponseAt: null,
      requester: { userId: member.userId, email: member.email },
      messages: [
        { author: { kind: 'customer', userId: member.userId }, body: 'The export button does nothing.' },
      ],
    });
    const due = Date.parse(ticket.firstResponseDueAt as string) - Date.parse(ticket.createdAt as string);
    expect(due).toBe(48 * 60 * 60 * 1000);
  });

  it('honours the requested priority and its response target with priority support (Business)', async () => {
    const ticket = await openTicket(owner, businessTenantId, { priority: 'urgent' });
    expect(ticket).toMatchObject({ priority: 'urgent', prioritySupport: true });
    expect(ticket.requestedPriority).toBeUndefined();
    const due = Date.parse(ticket.firstResponseDueAt as string) - Date.parse(ticket.createdAt as string);
    expect(due).toBe(60 * 60 * 1000);
  });

  it('answers 400 with field errors for a bad ticket and writes nothing', async () => {
    const before = (await api(server, owner.accessToken).get(tickets(tenantId))).body.items.length;
    const response = await api(server, owner.accessToken).post(tickets(tenantId), {
      subject: 'x',
      body: '',
      priority: 'asap',
      cc: 'boss@example.com',
    });
    expect(response.status).toBe(400);
    expect(response.body.errors.map((e: { field: string }) => e.field).sort()).toEqual([
      'body.body',
      'body.cc',
      'body.priority',
      'body.subject',
    ]);
    expect((await api(server, owner.accessToken).get(tickets(tenantId))).body.items).toHaveLength(before);
  });

  it('lets a member see their own tickets only, and owners all of the tenant’s', async () => {
    const mine = await openTicket(member);
    const theirs = await openTicket(otherMember);
    const memberList = (await api(server, member.accessToken).get(tickets(tenantId))).body.items;
    const ownerList = (await api(server, owner.accessToken).get(tickets(tenantId))).body.items;
    const ids = (items: { ticketId: string }[]) => items.map((t) => t.ticketId);
    expect(ids(memberList)).toContain(mine.ticketId);
    expect(ids(memberList)).not.toContain(theirs.ticketId);
    expect(ids(ownerList)).toEqual(expect.arrayContaining([mine.ticketId, theirs.ticketId]));
    const peek = await api(server, member.accessToken).get(`${tickets(tenantId)}/${theirs.ticketId}`);
    expect(peek.status).toBe(404);
  });

  it('reopens the ticket when the customer replies, and refuses replies once it is closed', async () => {
    const { ticketId } = await openTicket();
    const client = api(server, member.accessToken);
    const replied = await client.post(`${tickets(tenantId)}/${ticketId}/messages`, { body: 'Any news?' });
    expect(replied.status).toBe(201);
    expect(replied.body.messages.map((m: { body: string }) => m.body)).toEqual([
      'The export button does nothing.',
      'Any news?',
    ]);
    const closed = await client.post(`${tickets(tenantId)}/${ticketId}/close`);
    expect(closed.body.status).toBe('closed');
    const late = await client.post(`${tickets(tenantId)}/${ticketId}/messages`, { body: 'One more thing' });
    expect(late.status).toBe(409);
  });

  it('keeps both of two concurrent replies, in one order, with no position taken twice', async () => {
    const { ticketId } = await openTicket();
    const client = api(server, member.accessToken);
    const [a, b] = await Promise.all([
      client.post(`${tickets(tenantId)}/${ticketId}/messages`, { body: 'first racer' }),
      client.post(`${tickets(tenantId)}/${ticketId}/messages`, { body: 'second racer' }),
    ]);
    expect([a.status, b.status]).toEqual([201, 201]);
    const detail = (await api(server, supportOp.accessToken).get(adminTicket(ticketId))).body;
    expect(detail.messages.map((m: { seq: number }) => m.seq)).toEqual([1, 2, 3]);
    expect(
      detail.messages
        .slice(1)
        .map((m: { body: string }) => m.body)
        .sort(),
    ).toEqual(['first racer', 'second racer']);
    expect(detail.messageCount).toBe(3);
  });

  it('lets a tenant restricted for non-payment still open a ticket', async () => {
    const restricted = (
      await api(server, owner.accessToken).post('/v1/tenants', { name: 'Late', slug: 'late-payer' })
    ).body.tenantId;
    await mirrorSubscription(stack, restricted, { plan: 'team', status: 'past_due', restricted: true });
    const response = await api(server, owner.accessToken).post(tickets(restricted), {
      subject: 'Payment problem',
      body: 'My card was declined.',
    });
    expect(response.status).toBe(201);
  });
});

describe('cross-tenant', () => {
  it('answers 404 for another tenant’s ticket id under the caller’s own tenant', async () => {
    const { ticketId } = await openTicket();
    const client = api(server, outsider.accessToken);
    const base = `${tickets(otherTenantId)}/${ticketId}`;
    expect((await client.get(base)).status).toBe(404);
    expect((await client.post(`${base}/messages`, { body: 'hi' })).status).toBe(404);
    expect((await client.post(`${base}/close`)).status).toBe(404);
  });

  it('answers 404 for the ticket’s own tenant path to a non-member', async () => {
    const { ticketId } = await openTicket();
    const client = api(server, outsider.accessToken);
    expect((await client.get(`${tickets(tenantId)}/${ticketId}`)).status).toBe(404);
    expect((await client.get(tickets(tenantId))).status).toBe(404);
    expect((await client.post(tickets(tenantId), { subject: 'Sneaky', body: 'in' })).status).toBe(404);
  });
});

describe('operators', () => {
  it('replies, and the requester and the tenant’s owners get the email', async () => {
    const { ticketId } = await openTicket(member, tenantId, { subject: 'Where is my invoice' });
    const response = await api(server, supportOp.accessToken).post(`${adminTicket(ticketId)}/replies`, {
      body: 'Your invoice is under Billing.',
    });
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({ status: 'pending_customer', email: { status: 'sent' } });
    expect(response.body.firstResponseAt).toEqual(expect.any(String));
    const mail = (await readSentEmails(stack)).filter((m) => m.subject.includes(ticketId));
    expect(mail).toHaveLength(1);
    expect(mail[0]?.to).toEqual(expect.arrayContaining([member.email, owner.email]));
    expect(mail[0]?.body).toContain('Your invoice is under Billing.');
  });

  it('shows the customer support’s reply without the operator’s identity', async () => {
    const { ticketId } = await openTicket();
    await api(server, supportOp.accessToken).post(`${adminTicket(ticketId)}/replies`, { body: 'On it.' });
    const detail = (await api(server, member.accessToken).get(`${tickets(tenantId)}/${ticketId}`)).body;
    expect(detail.messages[1]).toEqual({
      messageId: expect.any(String),
      author: { kind: 'support' },
      body: 'On it.',
      at: expect.any(String),
    });
    expect(JSON.stringify(detail)).not.toContain(supportOp.userId);
  });

  it('keeps internal notes from the customer’s view, their email and the tenant’s audit log', async () => {
    const { ticketId } = await openTicket();
    const note = 'Customer is on the legacy exporter: SECRET-NOTE-TEXT';
    const added = await api(server, supportOp.accessToken).post(`${adminTicket(ticketId)}/notes`, {
      body: note,
    });
    expect(added.status).toBe(201);
    expect(added.body.messages.at(-1)).toMatchObject({ internal: true, body: note });
    const customer = await api(server, member.accessToken).get(`${tickets(tenantId)}/${ticketId}`);
    expect(JSON.stringify(customer.body)).not.toContain('SECRET-NOTE-TEXT');
    const ownerList = await api(server, owner.accessToken).get(tickets(tenantId));
    expect(JSON.stringify(ownerList.body)).not.toContain('SECRET-NOTE-TEXT');
    expect(JSON.stringify(await tenantAudit(tenantId))).not.toContain('SECRET-NOTE-TEXT');
    expect(JSON.stringify(await readSentEmails(stack))).not.toContain('SECRET-NOTE-TEXT');
  });

  it('assigns a ticket and lists the queue by assignee, status and priority', async () => {
    const { ticketId } = await openTicket(owner, businessTenantId, { priority: 'high' });
    const assigned = await put(supportOp.accessToken, `${adminTicket(ticketId)}/assignee`, {
      assigneeId: supportOp.userId,
    });
    expect(assigned.status).toBe(200);
    const client = api(server, supportOp.accessToken);
    const mine = (await client.get(`/admin/support/tickets?assignee=${supportOp.userId}`)).body.items;
    expect(mine.map((t: { ticketId: string }) => t.ticketId)).toEqual([ticketId]);
    const high = (await client.get('/admin/support/tickets?status=open&priority=high&limit=100')).body.items;
    expect(high.map((t: { ticketId: string }) => t.ticketId)).toContain(ticketId);
    expect(
      high.every((t: { status: string; priority: string }) => t.status === 'open' && t.priority === 'high'),
    ).toBe(true);
    const unassigned = (await client.get('/admin/support/tickets?assignee=none&limit=100')).body.items;
    expect(unassigned.map((t: { ticketId: string }) => t.ticketId)).not.toContain(ticketId);
  });

  it('lists the open queue most urgent first', async () => {
    await openTicket(owner, businessTenantId, { priority: 'low' });
    await openTicket(owner, businessTenantId, { priority: 'urgent' });
    const items = (
      await api(server, supportOp.accessToken).get('/admin/support/tickets?status=open&limit=100')
    ).body.items as { priority: string }[];
    const ranks = items.map((t) => ['urgent', 'high', 'normal', 'low'].indexOf(t.priority));
    expect(ranks).toEqual([...ranks].sort((x, y) => x - y));
  });

  it('pages through one tenant’s tickets with a cursor', async () => {
    const client = api(server, supportOp.accessToken);
    const first = await client.get(`/admin/support/tickets?tenantId=${tenantId}&limit=2`);
    expect(first.body.items).toHaveLength(2);
    expect(first.body.items.every((t: { tenantId: string }) => t.tenantId === tenantId)).toBe(true);
    const second = await client.get(
      `/admin/support/tickets?tenantId=${tenantId}&limit=2&cursor=${first.body.nextCursor}`,
    );
    expect(second.status).toBe(200);
    const ids = [...first.body.items, ...second.body.items].map((t: { ticketId: string }) => t.ticketId);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('changes the status with a reason, audited for the platform and the tenant as support', async () => {
    const { ticketId } = await openTicket();
    const changed = await put(supportOp.accessToken, `${adminTicket(ticketId)}/status`, {
      status: 'resolved',
      reason: 'Fixed in release 42',
    });
    expect(changed.status).toBe(200);
    expect(changed.body.status).toBe('resolved');
    const entry = (await tenantAudit(tenantId)).find(
      (e) => e.action === 'support.ticket-status-changed' && e.target?.id === ticketId,
    );
    expect(entry).toMatchObject({
      actor: { userId: supportOp.userId, kind: 'support' },
      reason: 'Fixed in release 42',
      before: { status: 'open' },
      after: { status: 'resolved' },
    });
    const platform = await stack.db.send(
      new QueryCommand({
        TableName: stack.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': keys.platformAuditEntry('', '').pk },
      }),
    );
    expect(
      (platform.Items ?? []).some(
        (e) =>
          e.action === 'support.ticket-status-changed' &&
          e.target?.id === ticketId &&
          e.tenantId === tenantId,
      ),
    ).toBe(true);
  });

  it('answers 400 for a status change without a reason, and changes nothing', async () => {
    const { ticketId } = await openTicket();
    const response = await put(supportOp.accessToken, `${adminTicket(ticketId)}/status`, {
      status: 'closed',
    });
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([expect.objectContaining({ field: 'body.reason' })]);
    expect((await api(server, supportOp.accessToken).get(adminTicket(ticketId))).body.status).toBe('open');
  });

  it('answers 404 for a ticket id that does not exist', async () => {
    const response = await api(server, supportOp.accessToken).get(adminTicket(newId()));
    expect(response.status).toBe(404);
  });

  it('lets finance read tickets but not answer them', async () => {
    const { ticketId } = await openTicket();
    const client = api(server, financeOp.accessToken);
    expect((await client.get(adminTicket(ticketId))).status).toBe(200);
    expect((await client.post(`${adminTicket(ticketId)}/replies`, { body: 'Hello' })).status).toBe(403);
    expect((await client.post(`${adminTicket(ticketId)}/notes`, { body: 'Hello' })).status).toBe(403);
    expect(
      (
        await put(financeOp.accessToken, `${adminTicket(ticketId)}/status`, {
          status: 'closed',
          reason: 'done',
        })
      ).status,
    ).toBe(403);
  });

  it('refuses customers, tenant owners included, on every admin support route', async () => {
    const { ticketId } = await openTicket();
    const client = api(server, owner.accessToken);
    expect((await client.get('/admin/support/tickets')).status).toBe(403);
    expect((await client.get(adminTicket(ticketId))).status).toBe(403);
    expect((await client.post(`${adminTicket(ticketId)}/replies`, { body: 'Hello' })).status).toBe(403);
    expect((await client.get(`/admin/tenants/${tenantId}/communications`)).status).toBe(403);
  });
});

describe('communication history', () => {
  it('lists ticket messages and support’s reply email newest first, without internal notes', async () => {
    const { ticketId } = await openTicket(member, tenantId, { subject: 'History check' });
    const op = api(server, supportOp.accessToken);
    await op.post(`${adminTicket(ticketId)}/notes`, { body: 'NOTE-NOT-IN-HISTORY' });
    await op.post(`${adminTicket(ticketId)}/replies`, { body: 'Answer for the history' });
    const history = await op.get(`/admin/tenants/${tenantId}/communications?limit=100`);
    expect(history.status).toBe(200);
    const items = history.body.items as { at: string; kind: string; ticketId?: string; emailKind?: string }[];
    const times = items.map((i) => i.at);
    expect(times).toEqual([...times].sort().reverse());
    const ofTicket = items.filter((i) => i.ticketId === ticketId);
    expect(ofTicket.map((i) => [i.kind, i.emailKind ?? null]).sort()).toEqual([
      ['email', 'support-reply'],
      ['ticket-message', null],
      ['ticket-message', null],
    ]);
    expect(ofTicket.find((i) => i.kind === 'email')).toMatchObject({
      status: 'sent',
      subject: expect.stringContaining('History check'),
    });
    expect(JSON.stringify(history.body)).not.toContain('NOTE-NOT-IN-HISTORY');
    expect(history.body.addresses).toEqual(
      expect.arrayContaining([{ email: member.email, status: 'deliverable' }]),
    );
  });

  it('answers 404 for a tenant that does not exist', async () => {
    const response = await api(server, supportOp.accessToken).get(`/admin/tenants/${newId()}/communications`);
    expect(response.status).toBe(404);
  });
});

describe('email suppressions', () => {
  const suppression = (email: string) => `/admin/email-suppressions/${encodeURIComponent(email)}`;
  const suppress = (email: string) =>
    suppressAddress(
      { client: stack.db, tableName: stack.tableName },
      {
        email,
        reason: 'bounce',
        detail: 'Permanent/General',
        feedbackId: newId(),
        at: '2026-12-02T10:00:00.000Z',
      },
    );

  it('shows an address’s suppression to operators', async () => {
    const email = uniqueEmail('gone');
    await suppress(email);
    const response = await api(server, financeOp.accessToken).get(suppression(email));
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      email,
      status: 'suppressed',
      reason: 'bounce',
      detail: 'Permanent/General',
    });
  });

  it('lifts a suppression with a reason, audited, so the address is mailed again', async () => {
    const email = uniqueEmail('back');
    await suppress(email);
    const response = await api(server, supportOp.accessToken).request('DELETE', suppression(email), {
      reason: 'Mailbox restored, confirmed by phone',
    });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ email, status: 'deliverable' });
    const platform = await stack.db.send(
      new QueryCommand({
        TableName: stack.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': keys.platformAuditEntry('', '').pk },
      }),
    );
    expect((platform.Items ?? []).find((e) => e.target?.id === email)).toMatchObject({
      action: 'email.suppression-lifted',
      operatorId: supportOp.userId,
      reason: 'Mailbox restored, confirmed by phone',
      before: expect.objectContaining({ reason: 'bounce' }),
    });
  });

  it('answers 404 for an address that is not suppressed', async () => {
    const response = await api(server, supportOp.accessToken).request(
      'DELETE',
      suppression(uniqueEmail('fine')),
      {
        reason: 'Just in case',
      },
    );
    expect(response.status).toBe(404);
  });

  it('refuses finance and customers, and a lift without a reason', async () => {
    const email = uniqueEmail('kept');
    await suppress(email);
    expect(
      (await api(server, financeOp.accessToken).request('DELETE', suppression(email), { reason: 'x y z' }))
        .status,
    ).toBe(403);
    expect((await api(server, owner.accessToken).get(suppression(email))).status).toBe(403);
    const missing = await api(server, supportOp.accessToken).request('DELETE', suppression(email), {});
    expect(missing.status).toBe(400);
    expect((await api(server, supportOp.accessToken).get(suppression(email))).body.status).toBe('suppressed');
  });
});
