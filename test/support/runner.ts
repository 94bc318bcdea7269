import { randomBytes } from 'node:crypto';
import {
  DeleteRuleCommand,
  EventBridgeClient,
  PutRuleCommand,
  PutTargetsCommand,
  RemoveTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { localClientConfig } from '../../scripts/local/aws.ts';
import {
  createEventRunner,
  loadConsumerHandler,
  type QueueConsumerModule,
  type ScheduledHandlerModule,
} from '../../scripts/local/runner.ts';
import type { TestStack } from './stack.ts';

/** An event as EventBridge delivers it to a queue target. */
export interface BusEvent<Detail = Record<string, unknown>> {
  readonly id: string;
  readonly source: string;
  readonly 'detail-type': string;
  readonly time: string;
  readonly detail: Detail;
}

export type ConsumerHandler = (event: SQSEvent) => Promise<SQSBatchResponse | undefined>;

export interface TestRunnerOptions {
  /** Consumers by name, used instead of functions/<name>/handler.ts (others load as usual). */
  readonly consumers?: Readonly<Record<string, ConsumerHandler>>;
  /** Schedule targets by name, used instead of functions/<target>/handler.ts. */
  readonly scheduled?: Readonly<Record<string, ScheduledHandlerModule['handler']>>;
}

export interface TestRunner {
  /** Moves everything pending (stream records, then queue messages, again and again) until quiet. */
  drain(): Promise<void>;
  /** Every event put on the stack's bus since the runner started, oldest first. */
  published(): Promise<BusEvent[]>;
  /** Calls the schedule's target with `{ time }`, as the deployed schedule does. */
  triggerSchedule(name: string, time?: Date | string): Promise<void>;
  /** The events in a rule's dead-letter queue (left there). */
  deadLetters(ruleName: string): Promise<BusEvent[]>;
  /** What the handlers threw while draining (the runner retries them; tests may assert on these). */
  readonly errors: readonly unknown[];
  stop(): Promise<void>;
}

/**
 * The local event runner for one test stack, in this test process: `drain()` carries outbox items
 * from the table's stream through the real publisher to the bus, and each rule's queue to its
 * consumer. A catch-all rule of its own (on a queue no consumer reads) records what reached the bus
 * for `published()`.
 *
 * Sets `process.env` to the stack's environment first, as `startTestServer` does: the handlers read
 * it at their first import. One runner per test file, started in `beforeAll`, stopped in `afterAll`.
 */
export async function startTestRunner(
  stack: TestStack,
  options: TestRunnerOptions = {},
): Promise<TestRunner> {
  Object.assign(process.env, stack.env);
  const config = localClientConfig(stack);
  const events = new EventBridgeClient(config);
  const sqs = new SQSClient(config);
  const recorder = await createRecorder(events, sqs, stack.eventBusName);

  const errors: unknown[] = [];
  const consumers = options.consumers ?? {};
  const scheduled = options.scheduled ?? {};
  const runner = createEventRunner({
    endpoint: stack.endpoint,
    region: stack.region,
    tableStreamArn: stack.tableStreamArn,
    rules: stack.rules,
    loadConsumer: async (name): Promise<QueueConsumerModule> => {
      const handler = consumers[name];
      return handler ? { handler } : loadConsumerHandler(name);
    },
    ...(Object.keys(scheduled).length > 0
      ? {
          loadScheduled: async (target: string): Promise<ScheduledHandlerModule> => {
            const handler = scheduled[target];
            return handler ? { handler } : import(`../../functions/${target}/handler.ts`);
          },
        }
      : {}),
    onError: (error) => errors.push(error),
  });

  const seen: BusEvent[] = [];
  return {
    drain: () => runner.drain(),
    triggerSchedule: (name, time) => runner.triggerSchedule(name, time),
    published: async () => {
      seen.push(...(await takeAll(sqs, recorder.queueUrl)));
      return [...seen];
    },
    deadLetters: async (ruleName) => {
      const rule = stack.rules.find((candidate) => candidate.ruleName === ruleName);
      if (!rule) throw new Error(`No rule ${ruleName} in this stack`);
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: rule.deadLetterQueueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 0,
          VisibilityTimeout: 0,
        }),
      );
      return Messages.map((message) => JSON.parse(message.Body ?? '{}') as BusEvent);
    },
    errors,
    stop: async () => {
      await runner.stop();
      await recorder.remove().catch(() => undefined);
      events.destroy();
      sqs.destroy();
    },
  };
}

/** A rule matching every event on the bus, delivering to a queue of its own. */
async function createRecorder(events: EventBridgeClient, sqs: SQSClient, eventBusName: string) {
  const name = `test-recorder-${randomBytes(4).toString('hex')}`;
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `${eventBusName}-${name}` }));
  if (!QueueUrl) throw new Error('CreateQueue returned no URL for the recorder');
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
  );
  await events.send(
    new PutRuleCommand({
      Name: name,
      EventBusName: eventBusName,
      // An empty prefix matches any source: every event on the bus.
      EventPattern: JSON.stringify({ source: [{ prefix: '' }] }),
      State: 'ENABLED',
    }),
  );
  await events.send(
    new PutTargetsCommand({
      Rule: name,
      EventBusName: eventBusName,
      Targets: [{ Id: 'recorder', Arn: Attributes?.QueueArn }],
    }),
  );
  return {
    queueUrl: QueueUrl,
    remove: async () => {
      await events.send(
        new RemoveTargetsCommand({ Rule: name, EventBusName: eventBusName, Ids: ['recorder'] }),
      );
      await events.send(new DeleteRuleCommand({ Name: name, EventBusName: eventBusName }));
    },
  };
}

/** Receives and deletes everything in the queue (short polls until one comes back empty). */
async function takeAll(sqs: SQSClient, queueUrl: string): Promise<BusEvent[]> {
  const taken: BusEvent[] = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
    );
    if (Messages.length === 0) return taken;
    taken.push(...Messages.map((message) => JSON.parse(message.Body ?? '{}') as BusEvent));
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: Messages.map((message, index) => ({
          Id: String(index),
          ReceiptHandle: message.ReceiptHandle ?? '',
        })),
      }),
    );
  }
}
