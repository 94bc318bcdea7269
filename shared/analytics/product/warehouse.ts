import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBRecord } from 'aws-lambda';
import * as z from 'zod';
import { lazyValue } from '../../app/deferred.ts';
import type { PropertyValue } from './recorder.ts';

/**
 * Raw product events for the warehouse: every raw event item the recorder writes (`PEVENT#…`,
 * tracked by a client or derived from an audited action) is copied from the table's stream to
 * Amazon Data Firehose, which writes newline-delimited JSON to S3 by arrival date; a Glue table
 * over those objects lets Athena query the full history after the items expired by TTL.
 *
 * Delivery is from the stream, not the tracking request, so a Firehose error never fails a request
 * whose events were stored (the stream retries it), and server-side events take the same path.
 * It is at least once: a retried stream batch may write a line twice. The warehouse path writes
 * nothing to the table, so the DynamoDB aggregates are never counted twice; queries dedupe on
 * (tenant_id, user_id, event_id), which is unique per event.
 */

/** One raw event as the warehouse stores it: one JSON line, keys named as the Glue table's columns. */
export interface WarehouseEvent {
  readonly tenant_id: string;
  readonly user_id: string;
  readonly event_id: string;
  readonly name: string;
  /** `client` (tracking API) or `server` (an audited action). */
  readonly source: 'client' | 'server';
  /** ISO 8601, UTC. */
  readonly occurred_at: string;
  /** ISO 8601, UTC: when the API (or the audit consumer) recorded it. */
  readonly received_at: string;
  readonly properties: Readonly<Record<string, PropertyValue>>;
}

/** Where raw events are copied (Amazon Data Firehose in AWS and on moto; fakes in unit tests). */
export interface ProductEventSink {
  /** Resolves once every event was accepted; throws when some could not be (the caller retries all). */
  send(events: readonly WarehouseEvent[]): Promise<void>;
}

/** A Glue column of the warehouse table. */
export interface WarehouseColumn {
  readonly name: keyof WarehouseEvent;
  readonly type: string;
  readonly comment: string;
}

/**
 * The warehouse table's columns, in the order of a JSON line's keys (the CDK stack builds the Glue
 * table from this list). Times stay ISO strings (`from_iso8601_timestamp(occurred_at)` in Athena);
 * property values are read as strings (`CAST(properties['rows'] AS integer)`), as the Hive JSON
 * SerDe reads numbers and booleans into a string map.
 */
export const warehouseColumns: readonly WarehouseColumn[] = [
  { name: 'tenant_id', type: 'string', comment: 'The tenant the event happened in.' },
  { name: 'user_id', type: 'string', comment: 'The person (Cognito sub) who did it.' },
  {
    name: 'event_id',
    type: 'string',
    comment:
      "The client's idempotency key, or audit-<entryId>; unique per tenant and user: dedupe on it (delivery is at least once).",
  },
  { name: 'name', type: 'string', comment: 'snake_case event name, e.g. report_exported, project_created.' },
  { name: 'source', type: 'string', comment: 'client (tracking API) or server (an audited action).' },
  { name: 'occurred_at', type: 'string', comment: 'When it happened, ISO 8601 UTC.' },
  { name: 'received_at', type: 'string', comment: 'When Plinth recorded it, ISO 8601 UTC.' },
  { name: 'properties', type: 'map<string,string>', comment: 'Flat properties; values as strings.' },
];

/**
 * Where the objects go in the bucket. In AWS Firehose evaluates the expression to the UTC day the
 * records arrived, Hive style: `events/dt=2026-12-03/<object>.gz`, the Glue table's `dt` partition
 * (by partition projection). moto leaves `!{timestamp:…}` literal and appends its own
 * `YYYY/MM/DD/HH/`, so locally the same objects sit under
 * `events/dt=!{timestamp:yyyy-MM-dd}/2026/12/03/14/<object>`: one odd folder, then the date.
 */
export const warehouseLayout = {
  dataPrefix: 'events/dt=!{timestamp:yyyy-MM-dd}/',
  /** Where the data objects live, whatever the day (the Glue table's location). */
  dataRoot: 'events/',
  /** Records Firehose could not deliver, by error type and day (required with an expression above). */
  errorPrefix: 'errors/!{firehose:error-output-type}/dt=!{timestamp:yyyy-MM-dd}/',
  partitionKey: 'dt',
  partitionFormat: 'yyyy-MM-dd',
  /** The first day the partition projection knows; any earlier `dt` reads nothing. */
  partitionRangeStart: '2025-01-01',
} as const;

/**
 * How Firehose writes: it buffers up to 15 minutes (its maximum) or 128 MiB, so a quiet stage gets
 * about 96 objects a day, not thousands of small ones; objects are gzipped (`.gz`), which Athena
 * reads as such and which cuts the bytes it scans (and bills) several times for JSON.
 */
export const warehouseDelivery = {
  bufferingIntervalSeconds: 900,
  bufferingSizeMiB: 128,
  compression: 'GZIP',
} as const;

/** The raw event item as the recorder writes it (shared/analytics/product/recorder.ts). */
const rawEventItemSchema = /* @__PURE__ */ lazyValue(() =>
  z.object({
    type: z.literal('product-event'),
    tenantId: z.string().min(1),
    userId: z.string().min(1),
    eventId: z.string().min(1),
    name: z.string().min(1),
    source: z.enum(['client', 'server']),
    occurredAt: z.string(),
    receivedAt: z.string(),
    properties: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}),
  }),
);

/** The warehouse line of a raw event item; undefined for any other item. */
export function warehouseEventOfItem(item: Record<string, unknown>): WarehouseEvent | undefined {
  const parsed = rawEventItemSchema().safeParse(item);
  if (!parsed.success) return undefined;
  const event = parsed.data;
  return {
    tenant_id: event.tenantId,
    user_id: event.userId,
    event_id: event.eventId,
    name: event.name,
    source: event.source,
    occurred_at: event.occurredAt,
    received_at: event.receivedAt,
    properties: event.properties,
  };
}

/** The warehouse line of a stream record: an INSERT of a raw event item; undefined otherwise. */
export function warehouseEventOfRecord(record: DynamoDBRecord): WarehouseEvent | undefined {
  if (record.eventName !== 'INSERT') return undefined;
  const image = record.dynamodb?.NewImage;
  if (!image) return undefined;
  return warehouseEventOfItem(unmarshall(image as Record<string, AttributeValue>));
}

/** One newline-terminated JSON line, keys in the table's column order. */
export function toWarehouseLine(event: WarehouseEvent): string {
  const ordered: Record<string, unknown> = {};
  for (const column of warehouseColumns) ordered[column.name] = event[column.name];
  return `${JSON.stringify(ordered)}\n`;
}

/**
 * Copies the raw event INSERTs of a stream batch to the sink in one call. When the sink fails, every
 * one of them is reported failed (Lambda retries the batch from the first), so nothing is lost; what
 * the sink had already taken is written again (at least once).
 */
export async function deliverToWarehouse(
  records: readonly DynamoDBRecord[],
  deps: { sink: ProductEventSink; onFailure?: (error: unknown, count: number) => void },
): Promise<{ delivered: number; response: DynamoDBBatchResponse }> {
  const found = records.flatMap((record) => {
    const event = warehouseEventOfRecord(record);
    return event ? [{ event, sequenceNumber: record.dynamodb?.SequenceNumber ?? '' }] : [];
  });
  if (found.length === 0) return { delivered: 0, response: { batchItemFailures: [] } };
  try {
    await deps.sink.send(found.map(({ event }) => event));
    return { delivered: found.length, response: { batchItemFailures: [] } };
  } catch (error) {
    deps.onFailure?.(error, found.length);
    return {
      delivered: 0,
      response: {
        batchItemFailures: found.map(({ sequenceNumber }) => ({ itemIdentifier: sequenceNumber })),
      },
    };
  }
}
