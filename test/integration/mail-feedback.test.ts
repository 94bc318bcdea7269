import { SESv2Client } from '@aws-sdk/client-sesv2';
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { SNSEvent } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '#shared/db/client.ts';
import { keys } from '#shared/db/keys.ts';
import { newId, systemClock } from '#shared/ids.ts';
import { createSesInvitationMailer } from '#shared/invitations/invitation-mailer.ts';
import { createSesMailSender, mailTagNames } from '#shared/mail/mail-sender.ts';
import { emailDeliveryStatus } from '#shared/mail/suppression.ts';
import { createSesBillingMailer } from '#shared/notifications/ses-billing-mailer.ts';
import { localClientConfig } from '../../scripts/local/aws.ts';
import { createLambdaContext } from '../../scripts/local/lambda-context.ts';
import { sendSesFeedback } from '../../scripts/local/mail-feedback.ts';
import { createTestStack, readSentEmails, type TestStack, uniqueEmail } from '../support/harness.ts';
import { bounceReport, complaintReport, snsEvent } from '../support/ses-notifications.ts';

/**
 * The SES feedback consumer (functions/mail-feedback) called in process with SNS events carrying
 * real-shaped SES reports (moto's SNS cannot invoke a Lambda without Docker), then the mailers
 * against moto's SES: a suppressed address is not mailed again.
 */

let stack: TestStack;
let db: Db;
let handler: (event: SNSEvent, context: ReturnType<typeof createLambdaContext>) => Promise<void>;
const tracking = () => ({ db, clock: systemClock, newId: () => newId() });
const ses = () => new SESv2Client(localClientConfig(stack));
const context = () =>
  createLambdaContext('mail-feedback', { region: 'us-east-1', timeoutMs: 30_000, memoryMb: 256 });

beforeAll(async () => {
  stack = await createTestStack();
  db = { client: stack.db, tableName: stack.tableName };
  Object.assign(process.env, stack.env);
  ({ handler } = await import('../../functions/mail-feedback/handler.ts'));
});

const statusOf = async (email: string) => (await emailDeliveryStatus(db, [email]))[0];
const mailTo = async (email: string) => (await readSentEmails(stack)).filter((m) => m.to.includes(email));

async function history(tenantId: string) {
  const prefix = keys.communicationsPrefix(tenantId);
  const result = await stack.db.send(
    new QueryCommand({
      TableName: stack.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': prefix.pk, ':prefix': prefix.skPrefix },
      ConsistentRead: true,
    }),
  );
  return result.Items ?? [];
}

describe('SES feedback consumer', () => {
  it('suppresses an address after a permanent bounce', async () => {
    const email = uniqueEmail('bounced');
    await handler(snsEvent(bounceReport({ to: email, subType: 'NoEmail' })), context());
    expect(await statusOf(email)).toMatchObject({
      email,
      status: 'suppressed',
      reason: 'bounce',
      detail: 'Permanent/NoEmail',
      diagnostic: 'smtp; 550 5.1.1 user unknown',
      since: '2026-12-02T10:00:05.000Z',
    });
  });

  it('matches the bounced address whatever its case', async () => {
    const email = uniqueEmail('cased');
    await handler(snsEvent(bounceReport({ to: email.toUpperCase() })), context());
    expect((await statusOf(email))?.status).toBe('suppressed');
  });

  it('does not suppress an address after a transient bounce', async () => {
    const email = uniqueEmail('mailbox-full');
    await handler(
      snsEvent(bounceReport({ to: email, bounceType: 'Transient', subType: 'MailboxFull' })),
      context(),
    );
    expect(await statusOf(email)).toEqual({ email, status: 'deliverable' });
  });

  it('suppresses an address after a complaint', async () => {
    const email = uniqueEmail('complainer');
    await handler(snsEvent(complaintReport({ to: email, feedbackType: 'abuse' })), context());
    expect(await statusOf(email)).toMatchObject({
      status: 'suppressed',
      reason: 'complaint',
      detail: 'abuse',
    });
  });

  it('does not suppress an address whose complaint says not-spam', async () => {
    const email = uniqueEmail('not-spam');
    await handler(snsEvent(complaintReport({ to: email, feedbackType: 'not-spam' })), context());
    expect((await statusOf(email))?.status).toBe('deliverable');
  });

  it('accepts identity notifications (notificationType) as well as event publishing', async () => {
    const email = uniqueEmail('identity');
    await handler(snsEvent(bounceReport({ to: email, identityNotification: true })), context());
    expect((await statusOf(email))?.status).toBe('suppressed');
  });

  it('applies a redelivered report once', async () => {
    const email = uniqueEmail('twice');
    const report = bounceReport({ to: email });
    await handler(snsEvent(report), context());
    await handler(snsEvent(report), context());
    const { Item } = await stack.db.send(
      new GetCommand({ TableName: stack.tableName, Key: keys.emailSuppression(email) }),
    );
    expect(Item?.reports).toBe(1);
  });

  it('acknowledges other SES event types without changing anything', async () => {
    const email = uniqueEmail('delivered');
    await handler(
      snsEvent({
        eventType: 'Delivery',
        mail: { messageId: 'x', timestamp: '2026-12-02T10:00:00.000Z', destination: [email] },
      }),
      context(),
    );
    expect((await statusOf(email))?.status).toBe('deliverable');
  });

  it('fails the invocation on a malformed report, so Lambda retries it and then dead-letters it', async () => {
    const email = uniqueEmail('malformed');
    const broken = {
      eventType: 'Bounce',
      bounce: { bounceType: 'Permanent', bouncedRecipients: [{ emailAddress: email }] },
    };
    await expect(handler(snsEvent(broken), context())).rejects.toThrow(/not applied/);
    await expect(handler(snsEvent('not json'), context())).rejects.toThrow(/not applied/);
    expect((await statusOf(email))?.status).toBe('deliverable');
  });

  it('marks the email bounced in its tenant’s history, found by the tags the sender set', async () => {
    const tenantId = newId();
    const email = uniqueEmail('tagged');
    const sender = createSesMailSender(ses(), stack.mailFrom, tracking());
    await sender.send(
      { to: [email], subject: 'Tagged mail', text: 'hello', html: '<p>hello</p>' },
      { kind: 'invitation', tenantId },
    );
    const [entry] = await history(tenantId);
    expect(entry).toMatchObject({ status: 'sent', to: [email], emailKind: 'invitation' });
    const tag = `${Date.parse(entry?.at)}-${entry?.communicationId}`;
    await handler(
      snsEvent(
        bounceReport({
          to: email,
          tags: { [mailTagNames.tenant]: [tenantId], [mailTagNames.communication]: [tag] },
        }),
      ),
      context(),
    );
    const [after] = await history(tenantId);
    expect(after).toMatchObject({
      status: 'bounced',
      feedback: [{ email, type: 'bounce', at: '2026-12-02T10:00:05.000Z' }],
    });
  });
});

describe('mailers after a bounce', () => {
  it('sends nothing more to a suppressed address and records the email as suppressed', async () => {
    const tenantId = newId();
    const email = uniqueEmail('gone');
    await handler(snsEvent(bounceReport({ to: email })), context());
    const outcome = await createSesMailSender(ses(), stack.mailFrom, tracking()).send(
      { to: [email], subject: 'Are you there?', text: 'hi', html: '<p>hi</p>' },
      { kind: 'support-reply', tenantId },
    );
    expect(outcome).toEqual({ status: 'suppressed', sent: [], suppressed: [email] });
    expect(await mailTo(email)).toEqual([]);
    expect((await history(tenantId))[0]).toMatchObject({ status: 'suppressed', to: [], suppressed: [email] });
  });

  it('sends to the other recipients of an email and leaves the suppressed one out', async () => {
    const gone = uniqueEmail('gone');
    const fine = uniqueEmail('fine');
    await handler(snsEvent(bounceReport({ to: gone })), context());
    const outcome = await createSesMailSender(ses(), stack.mailFrom, tracking()).send(
      { to: [gone, fine], subject: 'Some of you', text: 'hi', html: '<p>hi</p>' },
      { kind: 'billing', tenantId: newId() },
    );
    expect(outcome).toEqual({ status: 'sent', sent: [fine], suppressed: [gone] });
    expect(await mailTo(fine)).toHaveLength(1);
    expect(await mailTo(gone)).toEqual([]);
  });

  it('does not send an invitation to a suppressed address', async () => {
    const email = uniqueEmail('invitee');
    await handler(snsEvent(complaintReport({ to: email, feedbackType: 'abuse' })), context());
    await createSesInvitationMailer(ses(), stack.mailFrom, tracking()).sendInvitation({
      tenantId: newId(),
      to: email,
      tenantName: 'Acme',
      role: 'member',
      acceptUrl: 'https://app.plinth.test/invitations/x',
      expiresAt: '2026-12-09T00:00:00.000Z',
    });
    expect(await mailTo(email)).toEqual([]);
  });

  it('records billing and dunning mail in the tenant’s history with their kind', async () => {
    const tenantId = newId();
    const email = uniqueEmail('billing');
    await createSesBillingMailer(ses(), stack.mailFrom, tracking()).send({
      to: [email],
      tenantId,
      kind: 'dunning',
      subject: 'Payment failed for Acme on Plinth',
      text: 'We could not charge',
      html: '<p>We could not charge</p>',
    });
    expect((await history(tenantId))[0]).toMatchObject({
      kind: 'email',
      emailKind: 'dunning',
      subject: 'Payment failed for Acme on Plinth',
      status: 'sent',
      to: [email],
    });
  });
});

describe('npm run mail:feedback', () => {
  it('suppresses the address in the local stack’s table, as the consumer does', async () => {
    const email = uniqueEmail('local');
    const suppressed = await sendSesFeedback(
      { endpoint: stack.endpoint, region: stack.region, tableName: stack.tableName },
      'bounce',
      email,
    );
    expect(suppressed).toEqual([email]);
    expect((await statusOf(email))?.status).toBe('suppressed');
  });
});
