import { randomUUID } from 'node:crypto';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { keys } from '#shared/db/keys.ts';
import { busDefinition } from '#shared/events/bus.ts';
import {
  type DetailOf,
  type SubscriptionEventType,
  subscriptionEvent,
} from '#shared/events/subscription-events.ts';
import { newId, systemClock } from '#shared/ids.ts';
import { memberItem } from '#shared/members/members.records.ts';
import type { BillingMail, BillingMailer } from '#shared/notifications/billing-mailer.ts';
import {
  type BusEvent,
  createNotificationService,
  notifiedEventTypes,
  processNotificationRecords,
} from '#shared/notifications/notifications.service.ts';
import { createSesBillingMailer } from '#shared/notifications/ses-billing-mailer.ts';
import { eventMetricNames } from '#shared/observability/metric-names.ts';
import type { Role } from '#shared/tenancy/permissions.ts';
import { localClientConfig } from '../../scripts/local/aws.ts';
import { LOCAL_OPS_EMAIL } from '../../scripts/local/env.ts';
import { createLambdaContext } from '../../scripts/local/lambda-context.ts';
import { createTestStack, readSentEmails, TEST_APP_URL, type TestStack } from '../support/harness.ts';

let stack: TestStack;
let metrics: typeof import('#shared/observability/metrics.ts')['metrics'];
let handler: (event: SQSEvent) => Promise<SQSBatchResponse>;
const lambdaLimits = { region: 'us-east-1', timeoutMs: 30_000, memoryMb: 256 };

beforeAll(async () => {
  stack = await createTestStack();
  Object.assign(process.env, stack.env);
  // After the environment: the emitter and its logger read it once, at import.
  ({ metrics } = await import('#shared/observability/metrics.ts'));
  const consumer = await import('#functions/notifications/handler.ts');
  handler = (event) => consumer.handler(event, createLambdaContext('notifications', lambdaLimits));
});

interface SeededTenant {
  readonly tenantId: string;
  readonly name: string;
  /** Emails by role and status. */
  readonly owner: string;
  readonly admin: string;
  readonly others: readonly string[];
}

/** A tenant with an owner, an admin, a suspended admin, a manager and a member. */
async function seedTenant(): Promise<SeededTenant> {
  const tenantId = newId();
  const name = `Acme ${tenantId.slice(-6)}`;
  const at = '2026-01-01T00:00:00.000Z';
  const put = (Item: Record<string, unknown>) =>
    stack.db.send(new PutCommand({ TableName: stack.tableName, Item }));
  await put({
    ...keys.tenant(tenantId),
    type: 'tenant',
    tenantId,
    name,
    slug: `acme-${tenantId}`,
    status: 'active',
    createdAt: at,
    updatedAt: at,
    createdBy: 'owner',
    ownerCount: 1,
  });
  const member = async (role: Role, status: 'active' | 'suspended' = 'active') => {
    const email = `${role}-${status}-${randomUUID().slice(0, 8)}@example.com`;
    await put(
      memberItem({ tenantId, userId: randomUUID(), email, role, status, joinedAt: at, updatedAt: at }),
    );
    return email;
  };
  const owner = await member('owner');
  const admin = await member('admin');
  const others = [await member('admin', 'suspended'), await member('manager'), await member('member')];
  return { tenantId, name, owner, admin, others };
}

function detail(tenantId: string) {
  return {
    eventId: newId(),
    tenantId,
    subscriptionId: 'sub_1',
    plan: 'team' as const,
    interval: 'month' as const,
    status: 'past_due' as const,
    amount: { amount: 2900, currency: 'usd' },
    previousAmount: { amount: 2900, currency: 'usd' },
    stripeEventId: 'evt_1',
    occurredAt: '2026-03-02T12:00:00.000Z',
  };
}

const paymentFailed = (tenantId: string): DetailOf<'Payment Failed v1'> => ({
  ...detail(tenantId),
  invoiceId: 'in_1',
  invoiceAmount: { amount: 3190, currency: 'usd' },
  attemptCount: 2,
});

/** An SQS record carrying the EventBridge event the rule delivers for `detailType`. */
function record(detailType: string, eventDetail: unknown): SQSRecord {
  const body = {
    version: '0',
    id: randomUUID(),
    'detail-type': detailType,
    source: 'plinth',
    account: '000000000000',
    time: '2026-03-02T12:00:01Z',
    region: 'us-east-1',
    resources: [],
    detail: eventDetail,
  };
  return {
    messageId: randomUUID(),
    receiptHandle: randomUUID(),
    body: JSON.stringify(body),
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: String(Date.now()),
      SenderId: 'AIDAEXAMPLE',
      ApproximateFirstReceiveTimestamp: String(Date.now()),
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:plinth-notifications',
    awsRegion: 'us-east-1',
  };
}

const busRecord = <T extends SubscriptionEventType>(type: T, eventDetail: DetailOf<T>) =>
  record(type, subscriptionEvent(type, eventDetail).detail);

/** The EventBridge event a record carries, as the service takes it. */
const busEvent = <T extends SubscriptionEventType>(type: T, eventDetail: DetailOf<T>): BusEvent =>
  JSON.parse(busRecord(type, eventDetail).body) as BusEvent;

const db = () => ({ client: stack.db, tableName: stack.tableName });

/**
 * The SES mailer of the stack (mail goes through moto) that also keeps what it sent, so tests of
 * the mail's content need not read moto's whole state back (`/moto-api/data.json` grows with every
 * file's data, and reading it is slow late in a run).
 */
function recordingMailer(from = stack.mailFrom) {
  const ses = createSesBillingMailer(new SESv2Client(localClientConfig(stack)), from, {
    db: db(),
    clock: systemClock,
    newId: () => newId(),
  });
  const sent: BillingMail[] = [];
  return {
    sent,
    async send(mail: BillingMail) {
      await ses.send(mail);
      sent.push(mail);
    },
  };
}

function serviceWith(mailer: BillingMailer) {
  return createNotificationService({ db: db(), mailer, clock: systemClock, appUrl: TEST_APP_URL });
}

const markerOf = (tenantId: string, eventId: string) =>
  stack.db
    .send(
      new GetCommand({
        TableName: stack.tableName,
        Key: keys.notified(tenantId, eventId),
        ConsistentRead: true,
      }),
    )
    .then((r) => r.Item);

describe('the notifications rule', () => {
  it('delivers exactly the event types the consumer mails', () => {
    const rule = busDefinition.rules.find((r) => r.consumer === 'notifications');
    expect([...(rule?.eventPattern['detail-type'] ?? [])].sort()).toEqual([...notifiedEventTypes].sort());
  });
});

/**
 * moto's `/moto-api/data.json` serialises every model of the run's shared moto, so reading sent
 * mail back takes seconds late in a full run: the tests that do get more time.
 */
const READS_MOTO_STATE = { timeout: 60_000 };

describe('the notifications consumer', () => {
  it('mails a failed payment through SES to the owners and admins only', READS_MOTO_STATE, async () => {
    const tenant = await seedTenant();
    const result = await handler({
      Records: [busRecord('Payment Failed v1', paymentFailed(tenant.tenantId))],
    });
    expect(result.batchItemFailures).toEqual([]);
    const sent = await readSentEmails(stack);
    const mails = sent.filter((m) => m.to.includes(tenant.owner));
    expect(mails).toHaveLength(1);
    expect([...(mails[0]?.to ?? [])].sort()).toEqual([tenant.admin, tenant.owner].sort());
    expect(mails[0]?.subject).toBe(`Payment failed for ${tenant.name} on Plinth`);
    for (const other of tenant.others) expect(sent.filter((m) => m.to.includes(other))).toEqual([]);
  });

  it('sends nothing more when the same event is delivered again', READS_MOTO_STATE, async () => {
    const tenant = await seedTenant();
    const same = busRecord('Payment Failed v1', paymentFailed(tenant.tenantId));
    await handler({ Records: [same] });
    const again = await handler({ Records: [{ ...same, messageId: randomUUID() }] });
    expect(again.batchItemFailures).toEqual([]);
    expect((await readSentEmails(stack)).filter((m) => m.to.includes(tenant.owner))).toHaveLength(1);
  });

  it('reports a record whose detail breaks the contract as failed, and handles the rest', async () => {
    const tenant = await seedTenant();
    const broken = record('Payment Failed v1', { tenantId: tenant.tenantId, eventId: newId() });
    const good = paymentFailed(tenant.tenantId);
    const result = await handler({ Records: [broken, busRecord('Payment Failed v1', good)] });
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: broken.messageId }]);
    expect(await markerOf(tenant.tenantId, good.eventId)).toMatchObject({ status: 'sent', recipients: 2 });
  });

  it('acknowledges a billing event it does not mail, and records nothing', async () => {
    const tenant = await seedTenant();
    const started = detail(tenant.tenantId);
    const result = await handler({ Records: [busRecord('Subscription Started v1', started)] });
    expect(result.batchItemFailures).toEqual([]);
    expect(await markerOf(tenant.tenantId, started.eventId)).toBeUndefined();
  });
});

describe('billing emails', () => {
  it('links the billing page and says what failed', async () => {
    const tenant = await seedTenant();
    const mailer = recordingMailer();
    await serviceWith(mailer).notify(busEvent('Payment Failed v1', paymentFailed(tenant.tenantId)));
    expect(mailer.sent[0]?.text).toContain('$31.90');
    expect(mailer.sent[0]?.text).toContain('(attempt 2)');
    expect(mailer.sent[0]?.html).toContain(`href="${TEST_APP_URL}/billing"`);
  });

  it('puts a tenant name with line breaks and 120 characters into the subject flattened and cut', async () => {
    const tenant = await seedTenant();
    await stack.db.send(
      new UpdateCommand({
        TableName: stack.tableName,
        Key: keys.tenant(tenant.tenantId),
        UpdateExpression: 'SET #name = :name',
        ExpressionAttributeNames: { '#name': 'name' },
        ExpressionAttributeValues: { ':name': `Evil\r\nBcc: x@example.com ${'n'.repeat(110)}` },
      }),
    );
    const mailer = recordingMailer();
    await serviceWith(mailer).notify(busEvent('Payment Failed v1', paymentFailed(tenant.tenantId)));
    const subject = mailer.sent[0]?.subject ?? '';
    expect(subject).not.toMatch(/[\r\n]/);
    expect(subject).toContain('Evil Bcc: x@example.com');
    expect(subject).toContain('…');
    expect(subject.length).toBeLessThan(100);
  });

  it('says until when full access lasts while the tenant is past due', async () => {
    const tenant = await seedTenant();
    await stack.db.send(
      new PutCommand({
        TableName: stack.tableName,
        Item: {
          ...keys.billing(tenant.tenantId),
          status: 'past_due',
          graceEndsAt: '2026-03-09T12:00:00.000Z',
        },
      }),
    );
    const mailer = recordingMailer();
    await serviceWith(mailer).notify(busEvent('Payment Failed v1', paymentFailed(tenant.tenantId)));
    expect(mailer.sent[0]?.text).toContain('Full access continues until 2026-03-09 12:00 UTC');
  });

  it('sends once when two copies arrive in one batch, retrying the copy that raced', async () => {
    const tenant = await seedTenant();
    const mailer = recordingMailer();
    const first = busRecord('Payment Failed v1', paymentFailed(tenant.tenantId));
    const copy = { ...first, messageId: randomUUID() };
    const result = await processNotificationRecords([first, copy], serviceWith(mailer));
    const retried = result.batchItemFailures.map((f) => f.itemIdentifier);
    const retry = await processNotificationRecords(
      [first, copy].filter((r) => retried.includes(r.messageId)),
      serviceWith(mailer),
    );
    expect(retry.batchItemFailures).toEqual([]);
    expect(mailer.sent).toHaveLength(1);
  });

  it('mails the restriction when the grace period ends', async () => {
    const tenant = await seedTenant();
    const mailer = recordingMailer();
    await serviceWith(mailer).notify(busEvent('Subscription Restricted v1', detail(tenant.tenantId)));
    expect(mailer.sent[0]?.subject).toBe(`${tenant.name} is restricted until payment on Plinth`);
    expect([...(mailer.sent[0]?.to ?? [])].sort()).toEqual([tenant.admin, tenant.owner].sort());
  });

  it('reminds the billing admins of an annual renewal', async () => {
    const tenant = await seedTenant();
    const mailer = recordingMailer();
    await serviceWith(mailer).notify(
      busEvent('Renewal Upcoming v1', {
        ...detail(tenant.tenantId),
        status: 'active',
        interval: 'year',
        renewsAt: '2027-03-01T12:00:00.000Z',
        invoiceAmount: { amount: 31_900, currency: 'usd' },
      }),
    );
    expect(mailer.sent[0]?.subject).toBe(`${tenant.name}'s annual Plinth plan renews on 2027-03-01`);
    expect(mailer.sent[0]?.text).toContain('$319.00');
  });

  it('leaves an event unsent after an SES failure, so its retry sends it once', async () => {
    const tenant = await seedTenant();
    const event = busEvent('Payment Failed v1', paymentFailed(tenant.tenantId));
    // Not a verified identity: SES refuses to send.
    const refused = recordingMailer(`unverified-${randomUUID()}@nowhere.test`);
    await expect(serviceWith(refused).notify(event)).rejects.toThrow();

    const mailer = recordingMailer();
    expect(await serviceWith(mailer).notify(event)).toBe('sent');
    expect(await serviceWith(mailer).notify(event)).toBe('duplicate');
    expect(refused.sent).toEqual([]);
    expect(mailer.sent).toHaveLength(1);
  });
});

describe('dispute emails', () => {
  const OPS = 'ops-team@plinth.test';
  const disputeOpened = (tenantId: string): DetailOf<'Dispute Opened v1'> => ({
    ...detail(tenantId),
    status: 'active',
    disputeId: 'du_1',
    chargeId: 'ch_1',
    disputeAmount: { amount: 2900, currency: 'usd' },
    reason: 'fraudulent',
    disputeStatus: 'needs_response',
    evidenceDueBy: '2026-03-08T12:00:00.000Z',
  });
  const opsService = (mailer: BillingMailer) =>
    createNotificationService({ db: db(), mailer, clock: systemClock, appUrl: TEST_APP_URL, opsEmail: OPS });

  it('mails an opened dispute to the owners and admins and, separately, to the operators', async () => {
    const tenant = await seedTenant();
    const mailer = recordingMailer();
    expect(
      await opsService(mailer).notify(busEvent('Dispute Opened v1', disputeOpened(tenant.tenantId))),
    ).toBe('sent');
    const toTenant = mailer.sent.find((m) => m.to.includes(tenant.owner));
    const toOps = mailer.sent.find((m) => m.to.includes(OPS));
    expect([...(toTenant?.to ?? [])].sort()).toEqual([tenant.admin, tenant.owner].sort());
    expect(toTenant?.subject).toBe(`A payment for ${tenant.name} on Plinth was disputed`);
    expect(toOps?.to).toEqual([OPS]);
    expect(toOps?.subject).toContain('evidence due 2026-03-08 12:00 UTC');
    expect(toOps?.text).toContain(tenant.tenantId);
    expect(toOps?.text).toContain('https://dashboard.stripe.com/disputes/du_1');
  });

  it('mails a closed dispute with its outcome', async () => {
    const tenant = await seedTenant();
    const mailer = recordingMailer();
    await opsService(mailer).notify(
      busEvent('Dispute Closed v1', {
        ...disputeOpened(tenant.tenantId),
        disputeStatus: 'lost',
        evidenceDueBy: null,
      }),
    );
    expect(mailer.sent.map((m) => m.subject)).toEqual(
      expect.arrayContaining([
        `The dispute of a payment for ${tenant.name} is closed (lost)`,
        `[Plinth ops] Dispute du_1 closed: lost (${tenant.name})`,
      ]),
    );
  });

  it('still tells the operators of a dispute when the tenant has no one to mail', async () => {
    const mailer = recordingMailer();
    expect(await opsService(mailer).notify(busEvent('Dispute Opened v1', disputeOpened(newId())))).toBe(
      'sent',
    );
    expect(mailer.sent.map((m) => m.to)).toEqual([[OPS]]);
  });

  it(
    "mails a dispute to the operators through the consumer function at the stage's OPS_EMAIL",
    READS_MOTO_STATE,
    async () => {
      const tenant = await seedTenant();
      const result = await handler({
        Records: [busRecord('Dispute Opened v1', disputeOpened(tenant.tenantId))],
      });
      expect(result.batchItemFailures).toEqual([]);
      const sent = await readSentEmails(stack);
      const toOps = sent.filter((m) => m.to.includes(LOCAL_OPS_EMAIL) && m.body.includes(tenant.tenantId));
      expect(toOps).toHaveLength(1);
      expect(sent.filter((m) => m.to.includes(tenant.owner))).toHaveLength(1);
    },
  );
});

describe('consumer metrics', () => {
  it('counts the messages it failed in ConsumerFailures, under its own consumer dimension', async () => {
    const { tenantId } = await seedTenant();
    const addMetric = vi.spyOn(metrics, 'addMetric');
    const addDimension = vi.spyOn(metrics, 'addDimension');

    await handler({
      Records: [
        record('Payment Failed v1', { tenantId }),
        record('Payment Failed v1', paymentFailed(tenantId)),
      ],
    });

    expect(addMetric).toHaveBeenCalledWith(eventMetricNames.consumerFailures, 'Count', 1);
    expect(addMetric).toHaveBeenCalledWith(eventMetricNames.consumerMessages, 'Count', 2);
    expect(addDimension).toHaveBeenCalledWith('consumer', 'notifications');
    addMetric.mockRestore();
    addDimension.mockRestore();
  });
});
