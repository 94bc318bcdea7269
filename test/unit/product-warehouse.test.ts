import type { PutRecordBatchCommand, PutRecordBatchCommandOutput } from '@aws-sdk/client-firehose';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import {
  createFirehoseSink,
  FIREHOSE_MAX_BATCH_BYTES,
  type PutRecordBatchClient,
  WarehouseDeliveryError,
} from '#shared/analytics/product/firehose-sink.ts';
import {
  deliverToWarehouse,
  toWarehouseLine,
  type WarehouseEvent,
  warehouseColumns,
  warehouseEventOfItem,
} from '#shared/analytics/product/warehouse.ts';

const decoder = new TextDecoder();

const event = (id: number, properties: WarehouseEvent['properties'] = {}): WarehouseEvent => ({
  tenant_id: 't1',
  user_id: 'u1',
  event_id: `e${id}`,
  name: 'report_exported',
  source: 'client',
  occurred_at: '2026-12-02T10:00:00.000Z',
  received_at: '2026-12-02T10:00:01.000Z',
  properties,
});

interface Call {
  readonly streamName: string | undefined;
  readonly lines: string[];
  readonly bytes: number;
}

/**
 * A fake Firehose: records each PutRecordBatch; `refuse(call, line)` says which records of a call
 * come back with an ErrorCode (a partial failure), as Firehose answers when it throttles some.
 */
function fakeFirehose(refuse: (call: number, line: string) => boolean = () => false) {
  const calls: Call[] = [];
  const client: PutRecordBatchClient = {
    async send(command: PutRecordBatchCommand): Promise<PutRecordBatchCommandOutput> {
      const records = command.input.Records ?? [];
      const lines = records.map((record) => decoder.decode(record.Data));
      const call = calls.length;
      calls.push({
        streamName: command.input.DeliveryStreamName,
        lines,
        bytes: records.reduce((sum, record) => sum + (record.Data?.byteLength ?? 0), 0),
      });
      const responses = lines.map((line, index) =>
        refuse(call, line)
          ? { ErrorCode: 'ServiceUnavailableException', ErrorMessage: 'Slow down.' }
          : { RecordId: `r${call}-${index}` },
      );
      return {
        FailedPutCount: responses.filter((response) => 'ErrorCode' in response).length,
        RequestResponses: responses,
        $metadata: {},
      };
    },
  };
  return { client, calls };
}

const noWait = async () => undefined;

describe('Firehose warehouse sink', () => {
  it('sends each event as one newline-terminated JSON line whose keys are the Glue columns', async () => {
    const { client, calls } = fakeFirehose();
    const sink = createFirehoseSink({ client, deliveryStreamName: 'events', backoff: noWait });

    await sink.send([event(1, { format: 'csv', rows: 12, preview: true })]);

    expect(calls).toHaveLength(1);
    expect(calls[0]?.streamName).toBe('events');
    const line = calls[0]?.lines[0] ?? '';
    expect(line.endsWith('\n')).toBe(true);
    expect(line.slice(0, -1)).not.toContain('\n');
    expect(Object.keys(JSON.parse(line))).toEqual(warehouseColumns.map((column) => column.name));
    expect(JSON.parse(line)).toEqual(event(1, { format: 'csv', rows: 12, preview: true }));
  });

  it('puts at most 500 records per call, in order', async () => {
    const { client, calls } = fakeFirehose();
    const sink = createFirehoseSink({ client, deliveryStreamName: 'events', backoff: noWait });

    await sink.send(Array.from({ length: 1_201 }, (_, i) => event(i)));

    expect(calls.map((call) => call.lines.length)).toEqual([500, 500, 201]);
    expect(calls.flatMap((call) => call.lines.map((line) => JSON.parse(line).event_id))).toEqual(
      Array.from({ length: 1_201 }, (_, i) => `e${i}`),
    );
  });

  it('starts a new call before a batch would pass 4 MiB', async () => {
    const { client, calls } = fakeFirehose();
    const sink = createFirehoseSink({ client, deliveryStreamName: 'events', backoff: noWait });
    const big = 'x'.repeat(900 * 1024);

    await sink.send(Array.from({ length: 10 }, (_, i) => event(i, { big })));

    expect(calls.map((call) => call.lines.length)).toEqual([4, 4, 2]);
    for (const call of calls) expect(call.bytes).toBeLessThanOrEqual(FIREHOSE_MAX_BATCH_BYTES);
  });

  it('sends again only the records a call refused, until they are taken', async () => {
    // The first call refuses e1 and e3; the retry refuses e3 again; the third call takes it.
    const { client, calls } = fakeFirehose(
      (call, line) => (call === 0 && /"e[13]"/.test(line)) || (call === 1 && line.includes('"e3"')),
    );
    const waits: number[] = [];
    const sink = createFirehoseSink({
      client,
      deliveryStreamName: 'events',
      backoff: async (attempt) => void waits.push(attempt),
    });

    await sink.send([event(0), event(1), event(2), event(3)]);

    expect(calls.map((call) => call.lines.map((line) => JSON.parse(line).event_id))).toEqual([
      ['e0', 'e1', 'e2', 'e3'],
      ['e1', 'e3'],
      ['e3'],
    ]);
    expect(waits).toEqual([1, 2]);
  });

  it('gives up after maxAttempts, naming how many records Firehose kept refusing and why', async () => {
    const { client, calls } = fakeFirehose((_call, line) => line.includes('"e1"'));
    const sink = createFirehoseSink({
      client,
      deliveryStreamName: 'events',
      maxAttempts: 3,
      backoff: noWait,
    });

    const sent = sink.send([event(0), event(1)]);

    await expect(sent).rejects.toBeInstanceOf(WarehouseDeliveryError);
    await expect(sent).rejects.toThrow('Firehose refused 1 record(s) after every attempt');
    await expect(sent).rejects.toThrow('ServiceUnavailableException: Slow down.');
    expect(calls).toHaveLength(3);
  });

  it('lets an error of the call itself through (the SDK has retried it already)', async () => {
    const client: PutRecordBatchClient = {
      send: async () => {
        throw new Error('ResourceNotFoundException');
      },
    };
    const sink = createFirehoseSink({ client, deliveryStreamName: 'events', backoff: noWait });

    await expect(sink.send([event(0)])).rejects.toThrow('ResourceNotFoundException');
  });

  it('makes no call for no events', async () => {
    const { client, calls } = fakeFirehose();

    await createFirehoseSink({ client, deliveryStreamName: 'events' }).send([]);

    expect(calls).toEqual([]);
  });
});

describe('warehouse lines from the table stream', () => {
  const rawItem = {
    pk: 'TENANT#t1',
    sk: 'PEVENT#u1#e1',
    type: 'product-event',
    tenantId: 't1',
    userId: 'u1',
    eventId: 'e1',
    name: 'report_exported',
    occurredAt: '2026-12-02T10:00:00.000Z',
    receivedAt: '2026-12-02T10:00:01.000Z',
    properties: { rows: 12 },
    source: 'client',
    ttl: 1_800_000_000,
  };
  const insert = (item: Record<string, unknown>, sequenceNumber: string): DynamoDBRecord => ({
    eventName: 'INSERT',
    dynamodb: {
      SequenceNumber: sequenceNumber,
      NewImage: marshall(item) as never,
    },
  });

  it('turns a raw event item into its line, without keys or TTL', () => {
    expect(warehouseEventOfItem(rawItem)).toEqual({
      tenant_id: 't1',
      user_id: 'u1',
      event_id: 'e1',
      name: 'report_exported',
      source: 'client',
      occurred_at: '2026-12-02T10:00:00.000Z',
      received_at: '2026-12-02T10:00:01.000Z',
      properties: { rows: 12 },
    });
  });

  it('ignores any item that is not a raw product event', () => {
    expect(warehouseEventOfItem({ ...rawItem, type: 'audit' })).toBeUndefined();
    expect(warehouseEventOfItem({ type: 'product-event', tenantId: 't1' })).toBeUndefined();
  });

  it('writes the keys of a line in the column order', () => {
    const line = toWarehouseLine({ ...event(1), properties: {}, tenant_id: 'z' });
    expect(line).toBe(
      '{"tenant_id":"z","user_id":"u1","event_id":"e1","name":"report_exported","source":"client","occurred_at":"2026-12-02T10:00:00.000Z","received_at":"2026-12-02T10:00:01.000Z","properties":{}}\n',
    );
  });

  it('reports every raw event record of the batch failed when the sink fails, and nothing else', async () => {
    const records = [
      insert(rawItem, '100'),
      insert({ ...rawItem, type: 'audit' }, '101'),
      insert({ ...rawItem, eventId: 'e2', sk: 'PEVENT#u1#e2' }, '102'),
    ];
    const failures: number[] = [];

    const { response, delivered } = await deliverToWarehouse(records, {
      sink: {
        send: async () => {
          throw new Error('Firehose is down');
        },
      },
      onFailure: (_error, count) => void failures.push(count),
    });

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: '100' }, { itemIdentifier: '102' }]);
    expect(delivered).toBe(0);
    expect(failures).toEqual([2]);
  });

  it('sends the raw events of a batch in one call, skipping MODIFY and REMOVE records', async () => {
    const sent: WarehouseEvent[][] = [];
    const records = [
      insert(rawItem, '100'),
      { ...insert({ ...rawItem, eventId: 'e2' }, '101'), eventName: 'REMOVE' as const },
      { ...insert({ ...rawItem, eventId: 'e3' }, '102'), eventName: 'MODIFY' as const },
      insert({ ...rawItem, eventId: 'e4' }, '103'),
    ];

    const { response, delivered } = await deliverToWarehouse(records, {
      sink: { send: async (events) => void sent.push([...events]) },
    });

    expect(sent.map((call) => call.map((line) => line.event_id))).toEqual([['e1', 'e4']]);
    expect(delivered).toBe(2);
    expect(response.batchItemFailures).toEqual([]);
  });
});
