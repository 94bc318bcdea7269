import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keys } from '#shared/db/keys.ts';
import { localPriceIds } from '../../scripts/local/stripe.ts';
import {
  createdFor,
  type StripeEventTarget,
  sendStripeEvent,
  UsageError,
} from '../../scripts/local/stripe-event.ts';
import {
  api,
  createTestStack,
  type LocalServer,
  signUpUser,
  startTestServer,
  type TestStack,
} from '../support/harness.ts';
import { startTestRunner, type TestRunner } from '../support/runner.ts';

/**
 * `npm run stripe:event -- <type> ... --at <ISO>` against a test stack's webhook endpoint: events
 * dated in the past move the billing state and date the MRR movements by that time.
 */

let stack: TestStack;
let server: LocalServer;
let runner: TestRunner;
let target: StripeEventTarget;
let tenantId: string;

beforeAll(async () => {
  stack = await createTestStack();
  server = await startTestServer(stack);
  runner = await startTestRunner(stack);
  const owner = await signUpUser(stack);
  const created = await api(server, owner.accessToken).post('/v1/tenants', {
    name: 'Replay',
    slug: `replay-${Date.now()}`,
  });
  expect(created.status).toBe(201);
  tenantId = created.body.id ?? created.body.tenantId;
  target = {
    webhookUrl: `${server.url}/webhooks/stripe`,
    stripe: { webhookSecret: stack.stripeWebhookSecret, priceIds: localPriceIds },
    statePath: join(await mkdtemp(join(tmpdir(), 'plinth-stripe-event-')), 'state.json'),
  };
}, 60_000);

afterAll(async () => {
  await runner?.stop();
  await server?.close();
});

async function movementsOf(month: string) {
  const { Items = [] } = await stack.db.send(
    new QueryCommand({
      TableName: stack.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': keys.mrrMovementsOfMonth(month).pk },
      ConsistentRead: true,
    }),
  );
  return Items.filter((item) => item.tenantId === tenantId).map((item) => ({
    type: item.movementType,
    delta: item.delta,
    occurredAt: item.occurredAt,
  }));
}

describe('stripe:event --at', () => {
  it('dates the events at the time given, and the movements by it', async () => {
    const sent = [
      ...(await sendStripeEvent(
        ['checkout.session.completed', '--tenant', tenantId, '--at', '2026-01-10T09:00:00Z'],
        target,
      )),
      ...(await sendStripeEvent(
        [
          'customer.subscription.updated',
          '--tenant',
          tenantId,
          '--plan',
          'business',
          '--at',
          '2026-02-05T12:00:00Z',
        ],
        target,
      )),
    ];
    await runner.drain();

    expect(sent.map((event) => [event.type, event.status, event.created])).toEqual([
      ['checkout.session.completed', 200, Date.parse('2026-01-10T09:00:00Z') / 1000],
      ['customer.subscription.created', 200, Date.parse('2026-01-10T09:00:01Z') / 1000],
      ['customer.subscription.updated', 200, Date.parse('2026-02-05T12:00:00Z') / 1000],
    ]);
    expect(await movementsOf('2026-01')).toEqual([
      { type: 'new', delta: 2900, occurredAt: '2026-01-10T09:00:01.000Z' },
    ]);
    expect(await movementsOf('2026-02')).toEqual([
      { type: 'expansion', delta: 7000, occurredAt: '2026-02-05T12:00:00.000Z' },
    ]);
  });

  it('refuses an --at that is not an ISO time, sending nothing', async () => {
    await expect(
      sendStripeEvent(['customer.subscription.deleted', '--tenant', tenantId, '--at', 'yesterday'], target),
    ).rejects.toThrow(UsageError);
    expect(await movementsOf('2026-03')).toEqual([]);
  });
});

describe('createdFor', () => {
  it('takes --at as given, also when older than the last event', () => {
    expect(createdFor('2026-01-01T00:00:00Z', 1_900_000_000, 1_800_000_000)).toBe(1_767_225_600);
  });

  it('without --at, is now but always after the last event sent', () => {
    expect(createdFor(undefined, 100, 150)).toBe(151);
    expect(createdFor(undefined, 200, 150)).toBe(200);
  });
});
