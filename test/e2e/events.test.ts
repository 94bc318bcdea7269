import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../shared/db/client.ts';
import { transactWrite } from '../../shared/db/transact.ts';
import { busDefinition, EVENT_SOURCE, type RuleDefinition } from '../../shared/events/bus.ts';
import { outboxStep } from '../../shared/events/outbox.ts';
import {
  type DomainEvent,
  type SubscriptionEventType,
  subscriptionEvent,
} from '../../shared/events/subscription-events.ts';
import { newId } from '../../shared/ids.ts';
import { createTestStack, type TestStack } from '../support/harness.ts';
import { type BusEvent, startTestRunner, type TestRunner } from '../support/runner.ts';

// The shared rules (as deployed) plus test rules whose consumers are this file's functions.
const testRules: RuleDefinition[] = [
  {
    name: 'test-started',
    description: 'Test rule: subscription starts, to a recording consumer',
    eventPattern: { source: [EVENT_SOURCE], 'detail-type': ['Subscription Started v1'] },
    consumer: 'recording',
  },
  {
    name: 'test-canceled',
    description: 'Test rule: cancellations, to a consumer that always fails',
    eventPattern: { source: [EVENT_SOURCE], 'detail-type': ['Subscription Canceled v1'] },
    consumer: 'failing',
  },
  {
    name: 'test-changed',
    description: 'Test rule: plan changes, to a consumer that fails some records once',
    eventPattern: { source: [EVENT_SOURCE], 'detail-type': ['Subscription Changed v1'] },
    consumer: 'flaky',
  },
];

const received: Record<string, BusEvent[]> = { recording: [], notifications: [], flaky: [] };
let failingCalls = 0;
const flakyFailedOnce = new Set<string>();
const scheduledCalls: { time: string }[] = [];

const recorder =
  (name: string) =>
  async (event: SQSEvent): Promise<SQSBatchResponse> => {
    received[name]?.push(...event.Records.map((record) => JSON.parse(record.body) as BusEvent));
    return { batchItemFailures: [] };
  };

let stack: TestStack;
let db: Db;
let runner: TestRunner;

beforeAll(async () => {
  stack = await createTestStack({ rules: [...busDefinition.rules, ...testRules] });
  db = { client: stack.db, tableName: stack.tableName };
  runner = await startTestRunner(stack, {
    consumers: {
      recording: recorder('recording'),
      notifications: recorder('notifications'),
      failing: async () => {
        failingCalls += 1;
        throw new Error('consumer failure');
      },
      // Reports each record whose event id it has not seen as failed, then accepts it on retry.
      flaky: async (event) => {
        const batchItemFailures = event.Records.flatMap((record) => {
          const { detail } = JSON.parse(record.body) as BusEvent<{ eventId: string }>;
          if (flakyFailedOnce.has(detail.eventId)) {
            received.flaky?.push(JSON.parse(record.body) as BusEvent);
            return [];
          }
          flakyFailedOnce.add(detail.eventId);
          return [{ itemIdentifier: record.messageId }];
        });
        return { batchItemFailures };
      },
    },
    scheduled: {
      'dunning-sweep': async (event) => {
        scheduledCalls.push(event);
      },
    },
  });
});

afterAll(async () => {
  await runner?.stop();
});

function event<T extends SubscriptionEventType>(detailType: T, tenantId = newId()): DomainEvent {
  const base = {
    eventId: newId(),
    tenantId,
    subscriptionId: 'sub_123',
    plan: 'team' as const,
    interval: 'month' as const,
    status: 'active' as const,
    amount: { amount: 2900, currency: 'usd' },
    previousAmount: { amount: 0, currency: 'usd' },
    stripeEventId: 'evt_123',
    occurredAt: '2026-11-20T10:00:00.000Z',
  };
  const invoice = { invoiceId: 'in_123', invoiceAmount: { amount: 2900, currency: 'usd' }, attemptCount: 1 };
  const detail =
    detailType === 'Payment Failed v1' || detailType === 'Invoice Paid v1' ? { ...base, ...invoice } : base;
  return subscriptionEvent(detailType, detail as never);
}

/** A state change's transaction as a use case writes it: here, only the outbox step. */
const write = (...events: DomainEvent[]) =>
  transactWrite(
    db,
    events.map((domainEvent) => outboxStep(db, domainEvent, new Date())),
  );

const eventIds = (events: readonly BusEvent[]) => events.map((busEvent) => busEvent.detail.eventId);

describe('the local event path', () => {
  it("carries an outbox event from the table through the stream, publisher and bus to its rule's consumer", async () => {
    const started = event('Subscription Started v1');
    await write(started);

    await runner.drain();

    expect(eventIds(received.recording ?? [])).toEqual([started.detail.eventId]);
    expect(received.recording?.[0]).toMatchObject({
      source: EVENT_SOURCE,
      'detail-type': 'Subscription Started v1',
      detail: started.detail,
    });
    expect(eventIds(await runner.published())).toContain(started.detail.eventId);
  });

  it('delivers billing notification events to the notifications consumer, and nothing else', async () => {
    const failed = event('Payment Failed v1');
    const started = event('Subscription Started v1');
    await write(failed, started);

    await runner.drain();

    expect(eventIds(received.notifications ?? [])).toContain(failed.detail.eventId);
    expect(eventIds(received.notifications ?? [])).not.toContain(started.detail.eventId);
  });

  it("moves an event whose consumer keeps failing to the rule's dead-letter queue after maxReceiveCount tries", async () => {
    const canceled = event('Subscription Canceled v1');
    await write(canceled);

    await runner.drain();

    expect(failingCalls).toBe(busDefinition.maxReceiveCount);
    expect(eventIds(await runner.deadLetters('test-canceled'))).toEqual([canceled.detail.eventId]);
    expect(runner.errors).toHaveLength(busDefinition.maxReceiveCount);
  });

  it('retries only the records a consumer reports as failed', async () => {
    const changes = [event('Subscription Changed v1'), event('Subscription Changed v1')];
    await write(...changes);

    await runner.drain();

    // Each was reported failed once, retried alone, and accepted: none lost, none in the DLQ.
    expect(eventIds(received.flaky ?? []).sort()).toEqual(
      changes.map((change) => change.detail.eventId).sort(),
    );
    expect(await runner.deadLetters('test-changed')).toEqual([]);
  });

  it('runs a schedule’s target with the scheduled time', async () => {
    await runner.triggerSchedule('dunning-sweep', new Date('2026-11-21T09:00:00Z'));

    expect(scheduledCalls).toEqual([{ time: '2026-11-21T09:00:00.000Z' }]);
  });
});
