import { AdminDisableUserCommand } from '@aws-sdk/client-cognito-identity-provider';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANNOUNCEMENT_MAIL_REQUESTED, mailPage } from '#shared/announcements/announcement-events.ts';
import { keys } from '#shared/db/keys.ts';
import type { Role } from '#shared/tenancy/permissions.ts';
import { createLambdaContext } from '../../scripts/local/lambda-context.ts';
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
  type TestStack,
  type TestUser,
} from '../support/harness.ts';
import { startTestRunner, type TestRunner } from '../support/runner.ts';

/**
 * Critical announcements by email, through the bus, against moto (Cognito ListUsers, EventBridge,
 * SQS, SES): the sweep starts a run at publishAt, the consumer mails one page of users per event
 * (two here, so runs span pages) and each addressed user gets the email once.
 */

let stack: TestStack;
let server: LocalServer;
let runner: TestRunner;
let operator: TestUser;
let teamOwner: TestUser;
let teamAdmin: TestUser;
let teamMember: TestUser;
let freeOwner: TestUser;
let suspendedAdmin: TestUser;
let teamTenantId: string;
let consumer: (event: SQSEvent) => Promise<SQSBatchResponse>;

const addMember = (tenantId: string, user: TestUser, role: Role) =>
  addMembership(stack, tenantId, user, role);

beforeAll(async () => {
  stack = await createTestStack();
  server = await startTestServer(stack);
  // Two users per page, so a run over this pool takes several events.
  process.env.ANNOUNCEMENT_MAIL_PAGE_SIZE = '2';
  runner = await startTestRunner(stack);
  [operator, teamOwner, teamAdmin, teamMember, freeOwner, suspendedAdmin] = await Promise.all([
    signUpOperator(stack),
    signUpUser(stack),
    signUpUser(stack),
    signUpUser(stack),
    signUpUser(stack),
    signUpUser(stack),
  ]);
  teamTenantId = (
    await api(server, teamOwner.accessToken).post('/v1/tenants', { name: 'Team', slug: 'team' })
  ).body.tenantId;
  await api(server, freeOwner.accessToken).post('/v1/tenants', { name: 'Free', slug: 'free' });
  await mirrorSubscription(stack, teamTenantId, { plan: 'team', status: 'active' });
  await addMember(teamTenantId, teamAdmin, 'admin');
  await addMember(teamTenantId, teamMember, 'member');
  await addMember(teamTenantId, suspendedAdmin, 'admin');
  await stack.cognito.send(
    new AdminDisableUserCommand({ UserPoolId: stack.userPoolId, Username: suspendedAdmin.email }),
  );
  const module = await import('#functions/announcement-mail/handler.ts');
  consumer = (event) =>
    module.handler(
      event,
      createLambdaContext('announcement-mail', { region: stack.region, timeoutMs: 120_000, memoryMb: 256 }),
    );
});
afterAll(async () => {
  await runner.stop();
  await server.close();
});

const minutes = (n: number) => new Date(Date.now() + n * 60_000).toISOString();
let counter = 0;

/** Publishes a critical, emailed announcement for the admins and owners of Team tenants. */
async function publishCritical(overrides: Record<string, unknown> = {}) {
  counter += 1;
  const title = `Outage ${counter} ${Date.now()}`;
  const response = await api(server, operator.accessToken).post('/admin/announcements', {
    title,
    body: 'The API is **down**; we are on it.',
    severity: 'critical',
    email: true,
    audience: { plans: ['team'], roles: ['owner', 'admin'] },
    publishAt: minutes(-1),
    expiresAt: minutes(60),
    reason: 'Incident 42',
    ...overrides,
  });
  expect(response.status).toBe(201);
  return { id: response.body.announcementId as string, title };
}

async function recipientsOf(title: string): Promise<string[]> {
  const sent = await readSentEmails(stack);
  return sent
    .filter((mail) => mail.subject === `[Plinth] ${title}`)
    .flatMap((mail) => mail.to)
    .sort();
}

async function sweepAndDrain(time?: string): Promise<void> {
  await runner.triggerSchedule('announcement-mail-sweep', time);
  await runner.drain();
}

/** The page-0 request of an announcement's run, as its rule's queue delivers it. */
function pageZero(announcementId: string): SQSEvent {
  const detail = mailPage(announcementId, 0, null, new Date());
  const body = {
    id: `evt-${announcementId}`,
    source: 'plinth',
    'detail-type': ANNOUNCEMENT_MAIL_REQUESTED,
    time: detail.occurredAt,
    detail,
  };
  return {
    Records: [
      {
        messageId: `msg-${announcementId}`,
        receiptHandle: 'r',
        body: JSON.stringify(body),
        attributes: {} as SQSEvent['Records'][number]['attributes'],
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:announcement-mail',
        awsRegion: 'us-east-1',
      },
    ],
  };
}

describe('critical announcement email', () => {
  it('mails each addressed, enabled user once, across pages, however often the sweep runs', async () => {
    const { title } = await publishCritical();
    await sweepAndDrain();
    await sweepAndDrain();
    expect(await recipientsOf(title)).toEqual([teamAdmin.email, teamOwner.email].sort());
    expect(runner.errors).toEqual([]);
  });

  it("records each email in the addressed tenant's communication history", async () => {
    const { id, title } = await publishCritical();
    await sweepAndDrain();
    const history = await api(server, operator.accessToken).get(
      `/admin/tenants/${teamTenantId}/communications?limit=100`,
    );
    expect(history.status).toBe(200);
    const emails = history.body.items.filter(
      (entry: { announcementId?: string }) => entry.announcementId === id,
    );
    expect(emails.map((entry: { to: string[] }) => entry.to[0]).sort()).toEqual(
      [teamAdmin.email, teamOwner.email].sort(),
    );
    expect(emails[0]).toMatchObject({
      kind: 'email',
      emailKind: 'announcement',
      status: 'sent',
      subject: `[Plinth] ${title}`,
    });
  });

  it('mails each user once when the consumer gets the same page twice', async () => {
    const { id, title } = await publishCritical();
    expect((await consumer(pageZero(id))).batchItemFailures).toEqual([]);
    expect((await consumer(pageZero(id))).batchItemFailures).toEqual([]);
    await runner.drain();
    expect(await recipientsOf(title)).toEqual([teamAdmin.email, teamOwner.email].sort());
  });

  it('queues the next page once when the consumer gets the same page twice', async () => {
    const { id } = await publishCritical();
    await consumer(pageZero(id));
    await consumer(pageZero(id));
    const nextPages = (await runner.published()).filter(
      (event) => event.detail.announcementId === id && event.detail.page === 1,
    );
    expect(nextPages).toHaveLength(1);
  });

  it('sends nothing for a scheduled announcement before its publishAt, and sends it at publishAt', async () => {
    const publishAt = minutes(30);
    const { id, title } = await publishCritical({ publishAt });
    await sweepAndDrain();
    expect(await recipientsOf(title)).toEqual([]);
    const stored = await stack.db.send(
      new GetCommand({ TableName: stack.tableName, Key: keys.announcement(id) }),
    );
    expect(stored.Item?.emailStatus).toBe('pending');

    await sweepAndDrain(new Date(new Date(publishAt).getTime() + 1_000).toISOString());
    expect(await recipientsOf(title)).toEqual([teamAdmin.email, teamOwner.email].sort());
  });

  it('sends nothing for an announcement withdrawn before its mail run', async () => {
    const { id, title } = await publishCritical({ publishAt: minutes(30) });
    await api(server, operator.accessToken).post(`/admin/announcements/${id}/withdraw`, {
      reason: 'False alarm',
    });
    await sweepAndDrain(minutes(31));
    expect(await recipientsOf(title)).toEqual([]);
  });

  it('records the run as started once the sweep put it on the bus', async () => {
    const { id } = await publishCritical();
    await sweepAndDrain();
    const response = await api(server, operator.accessToken).get(`/admin/announcements/${id}`);
    expect(response.body.emailStatus).toBe('started');
  });
});
