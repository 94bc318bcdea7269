import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSnapshots } from '#shared/analytics/rollup.ts';
import { demoHistory, postHistory } from '../../scripts/local/demo-history.ts';
import { localPriceIds } from '../../scripts/local/stripe.ts';
import { createTestStack, type LocalServer, startTestServer, type TestStack } from '../support/harness.ts';
import { startTestRunner, type TestRunner } from '../support/runner.ts';

/**
 * `npm run demo:history`, at a reduced size: a year of generated history posted as signed webhooks
 * to a test stack's endpoint, carried to the movements consumer, rolled up.
 */

let stack: TestStack;
let server: LocalServer;
let runner: TestRunner;
const now = Math.floor(Date.parse('2026-06-30T12:00:00Z') / 1000);

beforeAll(async () => {
  stack = await createTestStack();
  server = await startTestServer(stack);
  runner = await startTestRunner(stack);
}, 60_000);

afterAll(async () => {
  await runner?.stop();
  await server?.close();
});

describe('demo history', () => {
  it('is reproducible from its seed', () => {
    const shape = (seed: number) =>
      demoHistory({ tenants: 10, now, seed }).map((step) => [
        step.kind,
        step.plan,
        step.status,
        step.created,
      ]);

    expect(shape(3)).toEqual(shape(3));
    expect(shape(3)).not.toEqual(shape(4));
  });

  it('spans the year before `now`, oldest first', () => {
    const steps = demoHistory({ tenants: 20, now, seed: 7 });
    const times = steps.map((step) => step.created);

    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(Math.min(...times)).toBeGreaterThanOrEqual(now - 365 * 86_400);
    expect(Math.max(...times)).toBeLessThan(now);
  });

  it('produces non-empty daily snapshots through the real webhook path and the rollup', async () => {
    const steps = demoHistory({ tenants: 6, now, seed: 7 });
    const posted = await postHistory(steps, {
      webhookUrl: `${server.url}/webhooks/stripe`,
      webhookSecret: stack.stripeWebhookSecret,
      priceIds: localPriceIds,
    });
    await runner.drain();
    await runner.triggerSchedule('metrics-rollup', '2026-07-01T00:05:00Z');

    const snapshots = await readSnapshots(
      { client: stack.db, tableName: stack.tableName },
      '2025-06-30',
      '2026-06-30',
    );
    expect(posted.tenants).toBe(6);
    expect(snapshots.length).toBeGreaterThan(300);
    expect(snapshots.at(-1)?.day).toBe('2026-06-30');
    expect(Math.max(...snapshots.map((snapshot) => snapshot.mrr))).toBeGreaterThan(0);
    expect(snapshots.reduce((sum, snapshot) => sum + snapshot.dayMovementCount, 0)).toBeGreaterThan(0);
  }, 120_000);
});
