import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Context, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { localClientConfig } from '../../scripts/local/aws.ts';
import { createLambdaContext } from '../../scripts/local/lambda-context.ts';
import { toLambdaStreamRecord } from '../../scripts/local/runner.ts';
import type { Db } from '../../shared/db/client.ts';
import { keys } from '../../shared/db/keys.ts';
import { transactWrite } from '../../shared/db/transact.ts';
import { EVENT_SOURCE, type RuleDefinition } from '../../shared/events/bus.ts';
import { outboxStep } from '../../shared/events/outbox.ts';
import { publishOutboxRecords } from '../../shared/events/publisher.ts';
import { type DomainEvent, subscriptionEvent } from '../../shared/events/subscription-events.ts';
import { newId } from '../../shared/ids.ts';
import { eventMetricNames } from '../../shared/observability/metric-names.ts';
import { createTestStack, type TestStack } from '../support/harness.ts';

// Everything the publisher puts on the bus lands in this rule's queue, read back with ReceiveMessage.
const testRule: RuleDefinition = {
  name: 'publisher-test',
  description: 'Test rule: every Plinth event',
  eventPattern: { source: [EVENT_SOURCE] },
  consumer: 'unused-in-this-file',
};

interface PublisherModule {
  handler(event: DynamoDBStreamEvent, context: Context): Promise<DynamoDBBatchResponse>;
}

interface DeliveredEvent {
  source: string;
  'detail-type': string;
  detail: Record<string, unknown>;
}

let stack: TestStack;
let metrics: typeof import('#shared/observability/metrics.ts')['metrics'];
let db: Db;
let publisher: PublisherModule;
let streams: DynamoDBStreamsClient;
let sqs: SQSClient;
let shardIterator: string | undefined;

beforeAll(async () => {
  stack = await createTestStack({ rules: [testRule] });
  db = { client: stack.db, tableName: stack.tableName };
  // The handler reads EVENT_BUS_NAME and the emulator endpoint once, at import.
  Object.assign(process.env, stack.env);
  // After the environment: the emitter and its logger read it once, at import.
  ({ metrics } = await import('#shared/observability/metrics.ts'));
  publisher = await import('../../functions/outbox-publisher/handler.ts');
  streams = new DynamoDBStreamsClient(localClientConfig(stack));
  sqs = new SQSClient(localClientConfig(stack));
});

afterAll(() => {
  streams?.destroy();
  sqs?.destroy();
});

/** The stream records written since the previous call, as Lambda would deliver them. */
async function newStreamRecords(): Promise<DynamoDBRecord[]> {
  if (!shardIterator) {
    const { StreamDescription } = await streams.send(
      new DescribeStreamCommand({ StreamArn: stack.tableStreamArn }),
    );
    const { ShardIterator } = await streams.send(
      new GetShardIteratorCommand({
        StreamArn: stack.tableStreamArn,
        ShardId: StreamDescription?.Shards?.[0]?.ShardId,
        ShardIteratorType: 'TRIM_HORIZON',
      }),
    );
    shardIterator = ShardIterator;
  }
  const { Records = [], NextShardIterator } = await streams.send(
    new GetRecordsCommand({ ShardIterator: shardIterator }),
  );
  shardIterator = NextShardIterator;
  return Records.map((record) => toLambdaStreamRecord(record, stack.tableStreamArn));
}

/** Everything the test rule's queue holds now (received and deleted). */
async function delivered(): Promise<DeliveredEvent[]> {
  const events: DeliveredEvent[] = [];
  for (;;) {
    const queueUrl = stack.rules[0]?.queueUrl;
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
    );
    if (Messages.length === 0) return events;
    events.push(...Messages.map((message) => JSON.parse(message.Body ?? '{}') as DeliveredEvent));
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

function pastDueEvent(tenantId = newId()): DomainEvent<'Subscription Past Due v1'> {
  return subscriptionEvent('Subscription Past Due v1', {
    eventId: newId(),
    tenantId,
    subscriptionId: 'sub_123',
    plan: 'team',
    interval: 'month',
    status: 'past_due',
    amount: { amount: 2900, currency: 'usd' },
    previousAmount: { amount: 2900, currency: 'usd' },
    stripeEventId: 'evt_123',
    occurredAt: '2026-11-20T10:00:00.000Z',
  });
}

const now = new Date('2026-11-20T10:00:01.000Z');

/** Calls the deployed handler as Lambda would, with a batch of stream records. */
function publish(records: DynamoDBRecord[]): Promise<DynamoDBBatchResponse> {
  return publisher.handler(
    { Records: records },
    createLambdaContext('outbox-publisher', { region: 'us-east-1', timeoutMs: 30_000, memoryMb: 256 }),
  );
}

/** The outbox item as stored now. */
async function outboxItem(event: DomainEvent) {
  const { Item } = await db.client.send(
    new GetCommand({
      TableName: db.tableName,
      Key: keys.outbox(event.detail.tenantId, event.detail.eventId),
      ConsistentRead: true,
    }),
  );
  return Item;
}

describe('outbox publisher', () => {
  it('puts an outbox event written by transactWrite on the bus with its source, detail-type and detail', async () => {
    const event = pastDueEvent();
    await transactWrite(db, [outboxStep(db, event, now)]);

    const result = await publish(await newStreamRecords());

    expect(result).toEqual({ batchItemFailures: [] });
    expect(await delivered()).toEqual([
      expect.objectContaining({
        source: EVENT_SOURCE,
        'detail-type': 'Subscription Past Due v1',
        detail: event.detail,
      }),
    ]);
  });

  it('publishes every outbox event of a transaction, ten entries per PutEvents call at most', async () => {
    const tenantId = newId();
    const events = Array.from({ length: 23 }, () => pastDueEvent(tenantId));
    // TransactWriteItems takes up to 100 items; the stream carries each as its own INSERT.
    await transactWrite(
      db,
      events.map((event) => outboxStep(db, event, now)),
    );

    const result = await publish(await newStreamRecords());

    expect(result.batchItemFailures).toEqual([]);
    const ids = (await delivered()).map((event) => event.detail.eventId);
    expect(ids.sort()).toEqual(events.map((event) => event.detail.eventId).sort());
  });

  it('skips items that are not outbox events and MODIFY and REMOVE records', async () => {
    const event = pastDueEvent();
    const outboxKey = keys.outbox(event.detail.tenantId, event.detail.eventId);
    await db.client.send(
      new PutCommand({
        TableName: db.tableName,
        Item: { ...keys.tenant(newId()), type: 'tenant', name: 'Acme' },
      }),
    );
    await transactWrite(db, [outboxStep(db, event, now)]);
    await db.client.send(
      new UpdateCommand({
        TableName: db.tableName,
        Key: outboxKey,
        UpdateExpression: 'SET publishedNote = :note',
        ExpressionAttributeValues: { ':note': 'touched' },
      }),
    );
    await db.client.send(new DeleteCommand({ TableName: db.tableName, Key: outboxKey }));
    const records = await newStreamRecords();

    const result = await publish(records);

    // The batch really held the other kinds of record; only the outbox INSERT was published.
    expect(records.map((record) => record.eventName)).toEqual(
      expect.arrayContaining(['INSERT', 'MODIFY', 'REMOVE']),
    );
    expect(result.batchItemFailures).toEqual([]);
    expect((await delivered()).map((delivery) => delivery.detail.eventId)).toEqual([event.detail.eventId]);
  });

  it('reports an entry EventBridge refuses as a batch item failure and publishes the others', async () => {
    const good = pastDueEvent();
    const broken = pastDueEvent();
    const brokenItem = outboxStep(db, broken, now).item.Put?.Item;
    // A detail that is not JSON: EventBridge answers this entry with MalformedDetail.
    await db.client.send(
      new PutCommand({ TableName: db.tableName, Item: { ...brokenItem, detail: '{not json' } }),
    );
    await transactWrite(db, [outboxStep(db, good, now)]);
    const records = await newStreamRecords();
    const brokenSequence = records.find(
      (record) => record.dynamodb?.NewImage?.eventId?.S === broken.detail.eventId,
    )?.dynamodb?.SequenceNumber;

    const result = await publish(records);

    expect(brokenSequence).toBeDefined();
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: brokenSequence }]);
    expect((await delivered()).map((delivery) => delivery.detail.eventId)).toEqual([good.detail.eventId]);
  });

  it('reports every record as failed when the PutEvents call itself fails', async () => {
    const events = [pastDueEvent(), pastDueEvent()];
    await transactWrite(
      db,
      events.map((event) => outboxStep(db, event, now)),
    );
    const records = await newStreamRecords();
    const eventBridge = new EventBridgeClient(localClientConfig(stack));
    const failures: string[] = [];

    // A bus that does not exist: the whole call is refused (ResourceNotFoundException).
    const result = await publishOutboxRecords(records, {
      eventBridge,
      eventBusName: `${stack.eventBusName}-missing`,
      db,
      clock: () => now,
      onFailure: (failure) => failures.push(failure.errorCode ?? ''),
    });

    // The batch may also hold MODIFY records (marks cleared by earlier tests): those succeed untouched.
    expect(result.batchItemFailures).toEqual(
      records
        .filter((record) => record.eventName === 'INSERT')
        .map((record) => ({ itemIdentifier: record.dynamodb?.SequenceNumber })),
    );
    expect(failures).toEqual(['ResourceNotFoundException', 'ResourceNotFoundException']);
    expect(await delivered()).toEqual([]);
    eventBridge.destroy();
  });

  it('writes an outbox item marked unpublished in the sparse index, with no TTL', async () => {
    const event = pastDueEvent();

    await transactWrite(db, [outboxStep(db, event, now)]);

    expect(await outboxItem(event)).toMatchObject({
      ...keys.outboxUnpublished(now.toISOString(), event.detail.eventId),
      writtenAt: now.toISOString(),
    });
    expect((await outboxItem(event))?.ttl).toBeUndefined();
    await newStreamRecords();
  });

  it('clears the unpublished mark and starts the TTL once EventBridge accepted the event', async () => {
    const event = pastDueEvent();
    await transactWrite(db, [outboxStep(db, event, now)]);

    await publish(await newStreamRecords());

    const item = await outboxItem(event);
    expect(item?.gsi1pk).toBeUndefined();
    expect(item?.gsi1sk).toBeUndefined();
    expect(item?.ttl).toBeGreaterThan(Math.floor(Date.now() / 1000));
    await delivered();
  });

  it('leaves the item marked unpublished when EventBridge refuses its event', async () => {
    const broken = pastDueEvent();
    const brokenItem = outboxStep(db, broken, now).item.Put?.Item;
    await db.client.send(
      new PutCommand({ TableName: db.tableName, Item: { ...brokenItem, detail: '{not json' } }),
    );

    const result = await publish(await newStreamRecords());

    expect(result.batchItemFailures).toHaveLength(1);
    expect(await outboxItem(broken)).toMatchObject(
      keys.outboxUnpublished(now.toISOString(), broken.detail.eventId),
    );
  });

  it('counts the records it could not publish in the OutboxPublishFailures metric', async () => {
    const good = pastDueEvent();
    const broken = pastDueEvent();
    const brokenItem = outboxStep(db, broken, now).item.Put?.Item;
    await db.client.send(
      new PutCommand({ TableName: db.tableName, Item: { ...brokenItem, detail: '{not json' } }),
    );
    await transactWrite(db, [outboxStep(db, good, now)]);
    const addMetric = vi.spyOn(metrics, 'addMetric');

    await publish(await newStreamRecords());

    expect(addMetric).toHaveBeenCalledWith(eventMetricNames.outboxPublishFailures, 'Count', 1);
    expect(addMetric).toHaveBeenCalledWith(eventMetricNames.outboxEventsPublished, 'Count', 1);
    addMetric.mockRestore();
    await delivered();
  });
});
