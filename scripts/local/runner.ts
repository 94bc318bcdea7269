import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type _Record as StreamApiRecord,
} from '@aws-sdk/client-dynamodb-streams';
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type {
  Context,
  DynamoDBBatchResponse,
  DynamoDBRecord,
  DynamoDBStreamEvent,
  SQSBatchResponse,
  SQSEvent,
  SQSRecord,
} from 'aws-lambda';
import { busDefinition, type ScheduleDefinition } from '../../shared/events/bus.ts';
import { publisherStreamSettings } from '../../shared/events/publisher.ts';
import { type LocalAwsTarget, localClientConfig } from './aws.ts';
import { createLambdaContext, LOCAL_ACCOUNT_ID } from './lambda-context.ts';
import { type LocalMetrics, localFunctionName } from './metrics.ts';
import type { LocalRule } from './resources.ts';

/** SQS event sources receive up to ten messages per batch. */
const QUEUE_BATCH_SIZE = 10;
/** How long a received message stays invisible to other receivers while its consumer runs. */
const VISIBILITY_TIMEOUT_SECONDS = 30;
/** A drain that is still busy after this many passes is looping (a consumer feeding itself). */
const MAX_DRAIN_PASSES = 100;

/** What functions/outbox-publisher/handler.ts exports. */
export interface StreamHandlerModule {
  handler(event: DynamoDBStreamEvent, context: Context): Promise<DynamoDBBatchResponse | undefined>;
}

/** What a rule's consumer (functions/<consumer>/handler.ts) exports. */
export interface QueueConsumerModule {
  handler(event: SQSEvent, context: Context): Promise<SQSBatchResponse | undefined>;
}

/** What a schedule's target (functions/<target>/handler.ts) exports. */
export interface ScheduledHandlerModule {
  handler(event: { time: string }, context: Context): Promise<unknown>;
}

export const loadPublisherHandler = (): Promise<StreamHandlerModule> =>
  import('../../functions/outbox-publisher/handler.ts');
export const loadProductActivityHandler = (): Promise<StreamHandlerModule> =>
  import('../../functions/product-activity/handler.ts');
export const loadConsumerHandler = (name: string): Promise<QueueConsumerModule> =>
  import(`../../functions/${name}/handler.ts`);
export const loadScheduledHandler = (target: string): Promise<ScheduledHandlerModule> =>
  import(`../../functions/${target}/handler.ts`);

export interface EventRunnerOptions extends LocalAwsTarget {
  readonly tableStreamArn: string;
  /** The rules whose queues to drain, as createLocalResources made them. */
  readonly rules: readonly LocalRule[];
  /** @default busDefinition.schedules */
  readonly schedules?: readonly ScheduleDefinition[];
  /** @default loadPublisherHandler */
  readonly loadPublisher?: () => Promise<StreamHandlerModule>;
  /**
   * The second consumer of the table's stream (audit items → product events), with its own shard
   * iterator and retries, as its own event source mapping in AWS; `false` leaves it out.
   * @default loadProductActivityHandler
   */
  readonly loadProductActivity?: (() => Promise<StreamHandlerModule>) | false;
  /** @default loadConsumerHandler (functions/<name>/handler.ts); tests pass their own consumers. */
  readonly loadConsumer?: (name: string) => Promise<QueueConsumerModule>;
  /** @default loadScheduledHandler (functions/<target>/handler.ts) */
  readonly loadScheduled?: (target: string) => Promise<ScheduledHandlerModule>;
  /** Where the first read starts: the whole stream (default) or only what is written from now on. */
  readonly startingPosition?: 'TRIM_HORIZON' | 'LATEST';
  /** @default publisherStreamSettings.retryAttempts, as deployed */
  readonly streamRetryAttempts?: number;
  /** One line per batch handled; silent by default. */
  readonly log?: (line: string) => void;
  /** A handler threw, a batch was given up, or a poll failed; default `console.error`. */
  readonly onError?: (error: unknown, context: { source: string }) => void;
  /**
   * Counts a handler that throws as the function's Lambda `Errors` (scripts/local/metrics.ts); the
   * handlers' EMF lines reach it through the local server's capture, in the same process.
   */
  readonly metrics?: LocalMetrics;
  /** Names the local functions `plinth-<stage>-<name>` (contexts and metrics). @default 'local' */
  readonly stage?: string;
}

export interface EventRunner {
  /** One pass: a stream batch to each stream consumer, then one batch of every rule's queue to its consumer. */
  poll(): Promise<number>;
  /** Polls until a pass finds nothing to do: every pending record and message has been handled. */
  drain(): Promise<void>;
  /** Calls the schedule's target with `{ time }` (ISO 8601; default now), after any running pass. */
  triggerSchedule(name: string, time?: Date | string): Promise<void>;
  /**
   * Polls in the background: again after `intervalMs` (default 250) while there is work, after
   * `idleIntervalMs` (default 1000) once a pass found none; with `schedules`, also runs them at their rate.
   */
  start(options?: { intervalMs?: number; idleIntervalMs?: number; schedules?: boolean }): void;
  /** Stops the background loop, waits for the pass in progress, and closes the clients. */
  stop(): Promise<void>;
}

export function createEventRunner(options: EventRunnerOptions): EventRunner {
  const config = localClientConfig(options);
  const streams = new DynamoDBStreamsClient(config);
  const sqs = new SQSClient(config);
  const schedules = options.schedules ?? busDefinition.schedules;
  const retryAttempts = options.streamRetryAttempts ?? publisherStreamSettings.retryAttempts;
  const onError = options.onError ?? ((error, { source }) => console.error(`[runner] ${source}:`, error));
  const log = options.log ?? (() => undefined);
  const stage = options.stage ?? 'local';
  const countError = (name: string) => options.metrics?.lambda('Errors', localFunctionName(stage, name));
  const lambdaContext = (name: string, region: string) =>
    createLambdaContext(name, { region, timeoutMs: 60_000, memoryMb: 256, stage });

  const once = <T>(load: () => Promise<T>) => {
    let loaded: Promise<T> | undefined;
    return () => {
      if (!loaded) {
        loaded = load();
        // A failed import (syntax error, bad env) is retried on the next poll, after a fix.
        loaded.catch(() => {
          loaded = undefined;
        });
      }
      return loaded;
    };
  };
  const publisher = once(options.loadPublisher ?? loadPublisherHandler);
  const consumerLoaders = new Map<string, () => Promise<QueueConsumerModule>>();
  const consumer = (name: string) => {
    let load = consumerLoaders.get(name);
    if (!load) {
      const loadConsumer = options.loadConsumer ?? loadConsumerHandler;
      load = once(() => loadConsumer(name));
      consumerLoaders.set(name, load);
    }
    return load();
  };

  // Every pass and schedule runs one at a time, as if each function had a reserved concurrency of 1.
  let queue: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(task: () => Promise<T>): Promise<T> => {
    const result = queue.then(task);
    queue = result.catch(() => undefined);
    return result;
  };

  // --- stream → its consumers (the publisher, product activity) -------------------------------
  // The emulator's table stream has one shard for its whole life.
  let shardId: string | undefined;
  const iteratorAt = async (
    type: 'TRIM_HORIZON' | 'LATEST' | 'AT_SEQUENCE_NUMBER' | 'AFTER_SEQUENCE_NUMBER',
    sequenceNumber?: string,
  ): Promise<string | undefined> => {
    if (!shardId) {
      const { StreamDescription } = await streams.send(
        new DescribeStreamCommand({ StreamArn: options.tableStreamArn }),
      );
      shardId = StreamDescription?.Shards?.[0]?.ShardId;
    }
    if (!shardId) return undefined;
    const { ShardIterator } = await streams.send(
      new GetShardIteratorCommand({
        StreamArn: options.tableStreamArn,
        ShardId: shardId,
        ShardIteratorType: type,
        ...(sequenceNumber ? { SequenceNumber: sequenceNumber } : {}),
      }),
    );
    return ShardIterator;
  };

  /**
   * One consumer of the stream, reading it at its own position, as each event source mapping does
   * in AWS. Every record is handed over; the consumers check their own filter again.
   */
  const streamPoller = (name: string, load: () => Promise<StreamHandlerModule>) => {
    let shardIterator: string | undefined;
    /**
     * Where to read next, once a record was seen: moto replaces the table (and its stream) with a
     * copy whenever a TransactWriteItems is cancelled, so an iterator taken before then never sees a
     * later record. A fresh iterator per poll, by sequence number, always reads the live stream.
     */
    let position:
      | { type: 'AT_SEQUENCE_NUMBER' | 'AFTER_SEQUENCE_NUMBER'; sequenceNumber: string }
      | undefined;
    let failedAttempts = 0;
    return async (): Promise<number> => {
      if (position) shardIterator = await iteratorAt(position.type, position.sequenceNumber);
      else if (!shardIterator || (options.startingPosition ?? 'TRIM_HORIZON') === 'TRIM_HORIZON') {
        shardIterator = await iteratorAt(options.startingPosition ?? 'TRIM_HORIZON');
      }
      if (!shardIterator) return 0;
      const { Records = [], NextShardIterator } = await streams.send(
        new GetRecordsCommand({ ShardIterator: shardIterator, Limit: publisherStreamSettings.batchSize }),
      );
      if (Records.length === 0) {
        shardIterator = NextShardIterator ?? shardIterator;
        return 0;
      }
      const records = Records.map((record) => toLambdaStreamRecord(record, options.tableStreamArn));
      const sequenceNumbers = records.map((record) => record.dynamodb?.SequenceNumber ?? '');
      const after = { type: 'AFTER_SEQUENCE_NUMBER' as const, sequenceNumber: sequenceNumbers.at(-1) ?? '' };

      // An import that fails (bad env, syntax) fails the poll and skips nothing.
      const { handler } = await load();
      let failed: string[];
      try {
        const result = await handler({ Records: records }, lambdaContext(name, options.region));
        failed = (result?.batchItemFailures ?? []).map((failure) => failure.itemIdentifier);
      } catch (error) {
        onError(error, { source: name });
        countError(name);
        failed = sequenceNumbers;
      }

      if (failed.length === 0) {
        failedAttempts = 0;
        position = after;
        log(`stream: ${records.length} record(s) → ${name}`);
        return records.length;
      }
      failedAttempts += 1;
      if (failedAttempts > retryAttempts) {
        onError(
          new Error(
            `stream records ${sequenceNumbers[0]}…${sequenceNumbers.at(-1)} failed ${failedAttempts} times; skipped (in AWS they would go to the ${name}'s on-failure queue)`,
          ),
          { source: name },
        );
        failedAttempts = 0;
        position = after;
        return records.length;
      }
      // As Lambda with ReportBatchItemFailures: the next batch starts at the lowest failed record.
      const lowest = failed.reduce((a, b) => (BigInt(a) <= BigInt(b) ? a : b));
      position = { type: 'AT_SEQUENCE_NUMBER', sequenceNumber: lowest };
      log(
        `stream: ${failed.length} of ${records.length} record(s) failed in ${name}; retrying from ${lowest}`,
      );
      return records.length;
    };
  };

  const streamPollers = [
    streamPoller('outbox-publisher', publisher),
    ...(options.loadProductActivity === false
      ? []
      : [streamPoller('product-activity', once(options.loadProductActivity ?? loadProductActivityHandler))]),
  ];

  // --- queues → consumers -------------------------------------------------------------------
  const pollQueue = async (rule: LocalRule): Promise<number> => {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: rule.queueUrl,
        MaxNumberOfMessages: QUEUE_BATCH_SIZE,
        WaitTimeSeconds: 0,
        VisibilityTimeout: VISIBILITY_TIMEOUT_SECONDS,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
    );
    if (Messages.length === 0) return 0;
    const records = Messages.map((message) => toSqsRecord(message, rule, options.region));
    const ids = new Set(records.map((record) => record.messageId));

    const { handler } = await consumer(rule.consumer);
    let failed: Set<string>;
    try {
      const result = await handler({ Records: records }, lambdaContext(rule.consumer, options.region));
      const reported = (result?.batchItemFailures ?? []).map((failure) => failure.itemIdentifier);
      // Lambda fails the whole batch when an identifier is empty or not one of the batch's.
      failed = reported.every((id) => ids.has(id)) ? new Set(reported) : ids;
    } catch (error) {
      onError(error, { source: `${rule.consumer} (rule ${rule.ruleName})` });
      countError(rule.consumer);
      failed = ids;
    }

    const entries = (keep: boolean) =>
      Messages.flatMap((message, index) =>
        failed.has(message.MessageId ?? '') === keep && message.ReceiptHandle
          ? [{ Id: String(index), ReceiptHandle: message.ReceiptHandle }]
          : [],
      );
    const done = entries(false);
    if (done.length > 0) {
      await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: rule.queueUrl, Entries: done }));
    }
    const retry = entries(true);
    if (retry.length > 0) {
      // Visible again at once (in AWS: when the visibility timeout ends), so a drain retries it now.
      await sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: rule.queueUrl,
          Entries: retry.map((entry) => ({ ...entry, VisibilityTimeout: 0 })),
        }),
      );
    }
    log(
      `${rule.ruleName}: ${records.length} message(s) → ${rule.consumer}${retry.length > 0 ? `, ${retry.length} failed` : ''}`,
    );
    return records.length;
  };

  const pass = async (): Promise<number> => {
    let handled = 0;
    for (const pollStream of streamPollers) handled += await pollStream();
    for (const rule of options.rules) handled += await pollQueue(rule);
    return handled;
  };

  const poll = () => exclusive(pass);

  const drain = () =>
    exclusive(async () => {
      for (let passes = 1; passes <= MAX_DRAIN_PASSES; passes++) {
        if ((await pass()) === 0) return;
      }
      throw new Error(
        `The event runner was still busy after ${MAX_DRAIN_PASSES} passes: is a consumer looping?`,
      );
    });

  const triggerSchedule = (name: string, time: Date | string = new Date()) => {
    const schedule = schedules.find((candidate) => candidate.name === name);
    if (!schedule) {
      return Promise.reject(
        new Error(
          `No schedule named ${JSON.stringify(name)}; known: ${schedules.map((s) => s.name).join(', ')}`,
        ),
      );
    }
    const iso = typeof time === 'string' ? new Date(time).toISOString() : time.toISOString();
    return exclusive(async () => {
      const loadScheduled = options.loadScheduled ?? loadScheduledHandler;
      const { handler } = await loadScheduled(schedule.target);
      try {
        await handler({ time: iso }, lambdaContext(schedule.target, options.region));
      } catch (error) {
        countError(schedule.target);
        throw error;
      }
      log(`schedule ${name}: ${schedule.target} ran for ${iso}`);
    });
  };

  // --- background loop ----------------------------------------------------------------------
  let timer: NodeJS.Timeout | undefined;
  const scheduleTimers: NodeJS.Timeout[] = [];
  let running = false;

  const start: EventRunner['start'] = ({
    intervalMs = 250,
    idleIntervalMs = 1_000,
    schedules: runSchedules = false,
  } = {}) => {
    if (running) return;
    running = true;
    // Each GetRecords leaves a shard iterator in moto's memory: poll less often while idle.
    const loop = () => {
      poll()
        .catch((error: unknown) => {
          onError(error, { source: 'poll' });
          return 0;
        })
        .then((handled) => {
          if (running) timer = setTimeout(loop, handled > 0 ? intervalMs : idleIntervalMs);
        });
    };
    loop();
    if (runSchedules) {
      for (const schedule of schedules) {
        scheduleTimers.push(
          setInterval(() => {
            triggerSchedule(schedule.name).catch((error: unknown) =>
              onError(error, { source: `schedule ${schedule.name}` }),
            );
          }, schedule.everyMinutes * 60_000),
        );
      }
    }
  };

  const stop = async () => {
    running = false;
    clearTimeout(timer);
    for (const scheduleTimer of scheduleTimers.splice(0)) clearInterval(scheduleTimer);
    await queue;
    streams.destroy();
    sqs.destroy();
  };

  return { poll, drain, triggerSchedule, start, stop };
}

/**
 * A GetRecords record as Lambda delivers it: the same fields, with the creation time in epoch
 * seconds. (Binary attributes would need base64; the table stores none.)
 */
export function toLambdaStreamRecord(record: StreamApiRecord, streamArn: string): DynamoDBRecord {
  const { dynamodb, eventID, eventName, eventSource, eventVersion, awsRegion } = record;
  const created = dynamodb?.ApproximateCreationDateTime;
  return {
    ...(eventID ? { eventID } : {}),
    ...(eventName ? { eventName } : {}),
    eventSource: eventSource ?? 'aws:dynamodb',
    eventVersion: eventVersion ?? '1.1',
    ...(awsRegion ? { awsRegion } : {}),
    eventSourceARN: streamArn,
    dynamodb: {
      ...(dynamodb as DynamoDBRecord['dynamodb']),
      ...(created ? { ApproximateCreationDateTime: Math.floor(created.getTime() / 1000) } : {}),
    },
  };
}

function toSqsRecord(message: Message, rule: LocalRule, region: string): SQSRecord {
  const attributes = message.Attributes ?? {};
  return {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    attributes: {
      ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
      SentTimestamp: attributes.SentTimestamp ?? String(Date.now()),
      SenderId: attributes.SenderId ?? LOCAL_ACCOUNT_ID,
      ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
    },
    messageAttributes: {},
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: rule.queueArn,
    awsRegion: region,
  };
}
