import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keys } from '#shared/db/keys.ts';
import { transactWrite } from '#shared/db/transact.ts';
import { outboxStep } from '#shared/events/outbox.ts';
import { subscriptionEvent } from '#shared/events/subscription-events.ts';
import { newId } from '#shared/ids.ts';
import { type ControlServer, runScheduleAt, startControlServer } from '../../scripts/local/control.ts';
import { createEventRunner, type EventRunner } from '../../scripts/local/runner.ts';
import { createTestStack, type TestStack } from '../support/harness.ts';
import { readStoredItem } from '../support/stripe-events.ts';

/**
 * `npm run schedule -- <name> [--time <ISO>]` asks the dev process's control endpoint to run a
 * schedule: here the same endpoint over a runner of a test stack, as `npm run dev` wires it.
 */

let stack: TestStack;
let runner: EventRunner;
let control: ControlServer;

beforeAll(async () => {
  stack = await createTestStack();
  Object.assign(process.env, stack.env);
  runner = createEventRunner({
    endpoint: stack.endpoint,
    region: stack.region,
    tableStreamArn: stack.tableStreamArn,
    rules: stack.rules,
    onError: () => undefined,
  });
  control = await startControlServer({ runner });
});
afterAll(async () => {
  await control?.close();
  await runner?.stop();
});

describe('the schedule command', () => {
  it('drains what the webhooks wrote, then runs the schedule at the time given', async () => {
    const tenantId = newId();
    const started = subscriptionEvent('Subscription Started v1', {
      eventId: newId(),
      tenantId,
      subscriptionId: 'sub_x',
      plan: 'team',
      interval: 'month',
      status: 'active',
      amount: { amount: 2900, currency: 'usd' },
      previousAmount: { amount: 0, currency: 'usd' },
      stripeEventId: 'evt_x',
      occurredAt: '2026-05-04T10:00:00.000Z',
    });
    const db = { client: stack.db, tableName: stack.tableName };
    await transactWrite(db, [outboxStep(db, started, new Date())]);

    const result = await runScheduleAt(control.url, 'metrics-rollup', '2026-05-05T00:05:00Z');

    expect(result).toEqual({ schedule: 'metrics-rollup', time: '2026-05-05T00:05:00.000Z' });
    expect(await readStoredItem(stack.db, stack.tableName, keys.metricsSnapshot('2026-05-04'))).toMatchObject(
      {
        mrr: 2900,
        customers: 1,
      },
    );
  });

  it('names the known schedules when asked for an unknown one', async () => {
    await expect(runScheduleAt(control.url, 'no-such-schedule')).rejects.toThrow(/metrics-rollup/);
  });

  it('refuses a time that is not ISO 8601', async () => {
    await expect(runScheduleAt(control.url, 'metrics-rollup', 'yesterday')).rejects.toThrow(
      /not an ISO time/,
    );
  });
});
