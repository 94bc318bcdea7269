import { randomUUID } from 'node:crypto';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '#shared/db/client.ts';
import { keys } from '#shared/db/keys.ts';
import { transactWrite } from '#shared/db/transact.ts';
import { busDefinition, EVENT_SOURCE, type RuleDefinition } from '#shared/events/bus.ts';
import { outboxStep } from '#shared/events/outbox.ts';
import { publishOutboxRecords } from '#shared/events/publisher.ts';
import { type DomainEvent, subscriptionEvent } from '#shared/events/subscription-events.ts';
import { newId } from '#shared/ids.ts';
import { memberItem } from '#shared/members/members.records.ts';
import { localClientConfig } from '../../scripts/local/aws.ts';
import type { LocalStackFile } from '../../scripts/local/env.ts';
import { createEventRunner, type EventRunner } from '../../scripts/local/runner.ts';
import { runOutboxReplay } from '../../scripts/outbox-replay.ts';
import { createTestStack, readSentEmails, type TestStack } from '../support/harness.ts';

// Every Plinth event also lands in this rule's queue, to count what reached the bus.
const everyEvent: RuleDefinition = {
  name: 'replay-test-all',
  description: 'Test rule: every Plinth event',
  eventPattern: { source: [EVENT_SOURCE] },
  consumer: 'unused-in-this-file',
};
const notificationsRule = busDefinition.rules.find((rule) => rule.name === 'notifications');

let stack: TestStack;
let db: Db;
let sqs: SQSClient;
let eventBridge: EventBridgeClient;

beforeAll(async () => {
  if (!notificationsRule) throw new Error('no notifications rule');
  stack = await createTestStack({ rules: [notificationsRule, everyEvent] });
  db = { client: stack.db, tableName: stack.tableName };
  Object.assign(process.env, stack.env);
  sqs = new SQSClient(localClientConfig(stack));
  eventBridge = new EventBridgeClient(localClientConfig(stack));
});

afterAll(() => {
  sqs?.destroy();
  eventBridge?.destroy();
});

/** What `npm run dev` writes to .plinth/local.json, for this test's stack. */
const localFile = (): LocalStackFile => ({
  apiUrl: 'http://127.0.0.1:1',
  region: stack.region,
  tableName: stack.tableName,
  eventBusName: stack.eventBusName,
  cognito: { endpoint: stack.endpoint, userPoolId: stack.userPoolId, clientId: stack.clientId },
});

const writtenAt = new Date('2026-11-20T10:00:00.000Z');
/** The replay runs two minutes after the writes: past the default minimum age of a minute. */
const later = () => new Date('2026-11-20T10:02:00.000Z');

/** `npm run outbox:replay -- --stage local …` against this test's stack. */
const replay = (...args: string[]) =>
  runOutboxReplay(['--stage', 'local', ...args], {
    readLocalStackFile: async () => localFile(),
    clock: later,
    log: () => undefined,
  });

function paymentFailed(tenantId = newId()): DomainEvent<'Payment Failed v1'> {
  return subscriptionEvent('Payment Failed v1', {
    eventId: newId(),
    tenantId,
    subscriptionId: 'sub_1',
    plan: 'team',
    interval: 'month',
    status: 'past_due',
    amount: { amount: 2900, currency: 'usd' },
    previousAmount: { amount: 2900, currency: 'usd' },
    stripeEventId: 'evt_1',
    occurredAt: '2026-11-20T09:59:59.000Z',
    invoiceId: 'in_1',
    invoiceAmount: { amount: 3190, currency: 'usd' },
    attemptCount: 1,
  });
}

/** The stream record Lambda would hand the publisher for the outbox INSERT of `event`. */
function insertRecord(event: DomainEvent): DynamoDBRecord {
  const item = outboxStep(db, event, writtenAt).item.Put?.Item ?? {};
  return {
    eventName: 'INSERT',
    dynamodb: { NewImage: marshall(item) as never, SequenceNumber: String(Date.now()) },
  };
}

/** The event ids the index lists as unpublished. */
async function unpublishedIds(): Promise<string[]> {
  const range = keys.outboxUnpublishedBetween(undefined, '~');
  const { Items = [] } = await db.client.send(
    new QueryCommand({
      TableName: db.tableName,
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :pk',
      ExpressionAttributeValues: { ':pk': range.gsi1pk },
    }),
  );
  return Items.map((item) => item.eventId as string);
}

/** The event ids that reached the bus since the last call (the catch-all rule's queue, emptied). */
async function deliveredIds(): Promise<string[]> {
  const queueUrl = stack.rules.find((rule) => rule.ruleName.endsWith(everyEvent.name))?.queueUrl;
  const ids: string[] = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
    );
    if (Messages.length === 0) return ids;
    ids.push(...Messages.map((message) => JSON.parse(message.Body ?? '{}').detail.eventId as string));
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: Messages.map((message, index) => ({
          Id: String(index),
          ReceiptHandle: message.ReceiptHandle,
        })),
      }),
    );
  }
}

/** Writes the event's outbox item and has the stream publisher fail to put it (no such bus). */
async function writeRefused(event: DomainEvent): Promise<void> {
  await transactWrite(db, [outboxStep(db, event, writtenAt)]);
  const result = await publishOutboxRecords([insertRecord(event)], {
    eventBridge,
    eventBusName: `${stack.eventBusName}-missing`,
    db,
    clock: () => writtenAt,
  });
  expect(result.batchItemFailures).toHaveLength(1);
}

describe('outbox replay', () => {
  it('finds an event the publisher could not put on the bus still marked unpublished', async () => {
    const event = paymentFailed();

    await writeRefused(event);

    expect(await unpublishedIds()).toContain(event.detail.eventId);
  });

  it('publishes the marked events and clears their marks', async () => {
    const event = paymentFailed();
    await writeRefused(event);
    await deliveredIds();

    const result = await replay();

    expect(result.failed).toEqual([]);
    expect(result.published).toBeGreaterThanOrEqual(1);
    expect(await deliveredIds()).toContain(event.detail.eventId);
    expect(await unpublishedIds()).not.toContain(event.detail.eventId);
  });

  it('publishes nothing more when run a second time', async () => {
    await writeRefused(paymentFailed());
    await replay();
    await deliveredIds();

    const again = await replay();

    expect(again).toMatchObject({ found: 0, published: 0, failed: [] });
    expect(await deliveredIds()).toEqual([]);
  });

  it('takes only the items written at or after --from', async () => {
    const early = paymentFailed();
    const late = paymentFailed();
    await transactWrite(db, [outboxStep(db, early, new Date('2026-11-20T09:00:00.000Z'))]);
    await transactWrite(db, [outboxStep(db, late, new Date('2026-11-20T09:30:00.000Z'))]);
    await deliveredIds();

    await replay('--from', '2026-11-20T09:30:00.000Z');

    const delivered = await deliveredIds();
    expect(delivered).toContain(late.detail.eventId);
    expect(delivered).not.toContain(early.detail.eventId);
    expect(await unpublishedIds()).toContain(early.detail.eventId);
  });

  it('leaves items younger than the minimum age to the stream publisher', async () => {
    const event = paymentFailed();
    await transactWrite(db, [outboxStep(db, event, new Date('2026-11-20T10:01:30.000Z'))]);

    await replay();

    expect(await unpublishedIds()).toContain(event.detail.eventId);
    await replay('--min-age', '0');
    expect(await unpublishedIds()).not.toContain(event.detail.eventId);
  });
});

describe('replay and the consumers', () => {
  let runner: EventRunner;

  afterAll(() => runner?.stop());

  it('mails an event once when the stream publishes it after a replay already did', async () => {
    const tenantId = newId();
    const owner = `owner-${randomUUID().slice(0, 8)}@example.com`;
    const at = '2026-01-01T00:00:00.000Z';
    await db.client.send(
      new PutCommand({
        TableName: db.tableName,
        Item: { ...keys.tenant(tenantId), type: 'tenant', tenantId, name: 'Replay Co', status: 'active' },
      }),
    );
    await db.client.send(
      new PutCommand({
        TableName: db.tableName,
        Item: memberItem({
          tenantId,
          userId: randomUUID(),
          email: owner,
          role: 'owner',
          status: 'active',
          joinedAt: at,
          updatedAt: at,
        }),
      }),
    );
    runner = createEventRunner({
      endpoint: stack.endpoint,
      region: stack.region,
      tableStreamArn: stack.tableStreamArn,
      rules: stack.rules.filter((rule) => rule.ruleName.endsWith('notifications')),
      startingPosition: 'LATEST',
      onError: () => undefined,
    });
    await runner.poll();
    const event = paymentFailed(tenantId);
    await transactWrite(db, [outboxStep(db, event, writtenAt)]);

    // The replay publishes the event first; then the stream publisher delivers it a second time.
    const replayed = await replay();
    await runner.drain();

    expect(replayed.published).toBeGreaterThanOrEqual(1);
    expect((await deliveredIds()).filter((id) => id === event.detail.eventId)).toHaveLength(2);
    const mails = (await readSentEmails(stack)).filter((mail) => mail.to.includes(owner));
    expect(mails).toHaveLength(1);
  });
});
