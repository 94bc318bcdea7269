import type { SNSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLambdaContext } from '../../scripts/local/lambda-context.ts';
import {
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
import { bounceReport, snsEvent } from '../support/ses-notifications.ts';

/**
 * A support journey over HTTP against the local server: an owner invites a member (the invitation
 * email is recorded), the member opens a ticket, support answers by email, SES reports the member's
 * address bouncing (delivered to the feedback consumer in process: moto's SNS cannot invoke a
 * Lambda), and support's next answer is not mailed to it, as the communication history shows.
 */

let stack: TestStack;
let server: LocalServer;
let owner: TestUser;
let member: TestUser;
let support: TestOperator;
let tenantId: string;
let ticketId: string;
let feedback: (event: SNSEvent) => Promise<void>;

beforeAll(async () => {
  stack = await createTestStack();
  server = await startTestServer(stack);
  const { handler } = await import('../../functions/mail-feedback/handler.ts');
  feedback = (event) =>
    handler(
      event,
      createLambdaContext('mail-feedback', { region: stack.region, timeoutMs: 30_000, memoryMb: 256 }),
    );
  [owner, support] = await Promise.all([signUpUser(stack), signUpOperator(stack, ['support'])]);
  tenantId = (
    await api(server, owner.accessToken).post('/v1/tenants', { name: 'Acme', slug: 'acme-support' })
  ).body.tenantId;
  const memberEmail = uniqueEmail('member');
  const invitation = await api(server, owner.accessToken).post(`/v1/tenants/${tenantId}/invitations`, {
    email: memberEmail,
    role: 'member',
  });
  expect(invitation.status).toBe(201);
  member = await signUpUser(stack, memberEmail);
  const accepted = await api(server, member.accessToken).post(
    `/v1/invitations/${invitation.body.invitationId}/accept`,
  );
  expect(accepted.status).toBe(200);
});
afterAll(() => server.close());

const mailTo = async (email: string) => (await readSentEmails(stack)).filter((m) => m.to.includes(email));

describe('support journey', () => {
  it('a ticket reply emails the requester', async () => {
    const opened = await api(server, member.accessToken).post(`/v1/tenants/${tenantId}/support/tickets`, {
      subject: 'Export is stuck',
      body: 'The CSV export has been running for an hour.',
    });
    expect(opened.status).toBe(201);
    ticketId = opened.body.ticketId;

    const reply = await api(server, support.accessToken).post(`/admin/support/tickets/${ticketId}/replies`, {
      body: 'We restarted the export worker; it should finish in minutes.',
    });

    expect(reply.status).toBe(201);
    const mail = await mailTo(member.email);
    const replyMail = mail.filter((m) => m.subject.includes('Export is stuck'));
    expect(replyMail).toHaveLength(1);
    expect(replyMail[0]?.body).toContain('We restarted the export worker');
    expect(replyMail[0]?.body).toContain(`/support/tickets/${ticketId}`);
  });

  it('shows the customer the reply and waits for them', async () => {
    const detail = await api(server, member.accessToken).get(
      `/v1/tenants/${tenantId}/support/tickets/${ticketId}`,
    );
    expect(detail.status).toBe(200);
    expect(detail.body.status).toBe('pending_customer');
    expect(detail.body.messages.map((m: { author: { kind: string } }) => m.author.kind)).toEqual([
      'customer',
      'support',
    ]);
  });

  it('stops mailing the requester after SES reports their address bouncing', async () => {
    await feedback(snsEvent(bounceReport({ to: member.email })));
    const before = (await mailTo(member.email)).length;

    const reply = await api(server, support.accessToken).post(`/admin/support/tickets/${ticketId}/replies`, {
      body: 'Did the export finish?',
    });

    expect(reply.status).toBe(201);
    expect(reply.body.email).toEqual({ status: 'sent', sent: [owner.email], suppressed: [member.email] });
    expect(await mailTo(member.email)).toHaveLength(before);
    expect((await mailTo(owner.email)).some((m) => m.body.includes('Did the export finish?'))).toBe(true);
    expect(reply.body.requesterDelivery).toMatchObject({
      email: member.email,
      status: 'suppressed',
      reason: 'bounce',
    });
  });

  it('lists the whole exchange in the tenant’s communication history, newest first', async () => {
    const history = await api(server, support.accessToken).get(
      `/admin/tenants/${tenantId}/communications?limit=100`,
    );
    expect(history.status).toBe(200);
    const items = history.body.items as {
      kind: string;
      emailKind?: string;
      status: string;
      direction: string;
      suppressed?: string[];
    }[];
    expect(items.map((i) => [i.kind, i.emailKind ?? i.direction, i.status])).toEqual([
      ['email', 'support-reply', 'sent'],
      ['ticket-message', 'outbound', 'sent'],
      ['email', 'support-reply', 'sent'],
      ['ticket-message', 'outbound', 'sent'],
      ['ticket-message', 'inbound', 'received'],
      ['email', 'invitation', 'sent'],
    ]);
    expect(items[0]?.suppressed).toEqual([member.email]);
    expect(history.body.addresses).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ email: member.email, status: 'suppressed', reason: 'bounce' }),
        { email: owner.email, status: 'deliverable' },
      ]),
    );
  });

  it('refuses the history to a customer and to an unauthenticated caller', async () => {
    expect(
      (await api(server, owner.accessToken).get(`/admin/tenants/${tenantId}/communications`)).status,
    ).toBe(403);
    expect((await api(server).get(`/admin/tenants/${tenantId}/communications`)).status).toBe(401);
  });
});
