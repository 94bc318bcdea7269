import type { SQSRecord } from 'aws-lambda';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { processMovementRecords } from '#shared/analytics/movements.consumer.ts';
import { type Reconciliation, readReconciliation } from '#shared/analytics/reconcile.ts';
import type { SubscriptionStatus } from '#shared/billing/billing.schema.ts';
import type { Db } from '#shared/db/client.ts';
import { subscriptionEvent } from '#shared/events/subscription-events.ts';
import { newId, systemClock } from '#shared/ids.ts';
import { eventMetricNames } from '#shared/observability/metric-names.ts';
import { createLambdaContext } from '../../scripts/local/lambda-context.ts';
import { mirrorSubscription } from '../support/billing-state.ts';
import { createTestStack, type TestStack } from '../support/harness.ts';

/**
 * metrics-reconcile against moto: ledger states recorded by the movements consumer, billing items
 * as the webhooks leave them, and the daily job comparing the two as of the day's end.
 */

let stack: TestStack;
let db: Db;
let metrics: typeof import('#shared/observability/metrics.ts')['metrics'];
let reconcile: (event: { time: string; date?: string }) => Promise<Reconciliation>;

beforeAll(async () => {
  stack = await createTestStack();
  db = { client: stack.db, tableName: stack.tableName };
  Object.assign(process.env, stack.env);
  ({ metrics } = await import('#shared/observability/metrics.ts'));
  const scheduled = await import('#functions/metrics-reconcile/handler.ts');
  reconcile = (event) =>
    scheduled.handler(
      event,
      createLambdaContext('metrics-reconcile', { region: 'us-east-1', timeoutMs: 300_000, memoryMb: 256 }),
    );
});

const epoch = (iso: string) => Math.floor(Date.parse(iso) / 1000);

/** Records one subscription change in the ledger through the movements consumer. */
async function ledger(tenantId: string, amount: number, occurredAt: string, status: SubscriptionStatus) {
  const { detail } = subscriptionEvent('Subscription Changed v1', {
    eventId: newId(),
    tenantId,
    subscriptionId: 'sub_x',
    plan: 'team',
    interval: 'month',
    status,
    amount: { amount, currency: 'usd' },
    previousAmount: { amount: 0, currency: 'usd' },
    stripeEventId: 'evt_x',
    occurredAt,
  });
  const body = JSON.stringify({
    id: newId(),
    source: 'plinth',
    'detail-type': 'Subscription Changed v1',
    detail,
  });
  const reply = await processMovementRecords([{ messageId: newId(), body } as SQSRecord], {
    db,
    clock: systemClock,
  });
  expect(reply.batchItemFailures).toEqual([]);
}

/** The billing item as the webhook leaves it after a Stripe event at `at`. */
async function billing(tenantId: string, amount: number, at: string, status: SubscriptionStatus = 'active') {
  await mirrorSubscription(stack, tenantId, {
    status,
    monthlyAmount: { amount, currency: 'usd' },
    stripeUpdatedAt: epoch(at),
  });
}

const tenants = {
  drifting: newId(),
  changedLater: newId(),
  agreeing: newId(),
  lostConversion: newId(),
  churned: newId(),
};

describe('metrics-reconcile', () => {
  beforeAll(async () => {
    // The ledger missed an upgrade from 2900 to 9900 the same day.
    await ledger(tenants.drifting, 2900, '2026-05-01T09:00:00.000Z', 'active');
    await billing(tenants.drifting, 9900, '2026-05-01T10:00:00.000Z');
    // Upgraded at Stripe the day after: the ledger has not seen it yet, and need not have.
    await ledger(tenants.changedLater, 2900, '2026-05-01T09:00:00.000Z', 'active');
    await billing(tenants.changedLater, 9900, '2026-05-02T08:00:00.000Z');
    await ledger(tenants.agreeing, 2900, '2026-05-01T09:00:00.000Z', 'active');
    await billing(tenants.agreeing, 2900, '2026-05-01T09:00:00.000Z');
    // A trial the ledger holds at 0 whose conversion to paying never reached it.
    await ledger(tenants.lostConversion, 0, '2026-04-20T09:00:00.000Z', 'trialing');
    await billing(tenants.lostConversion, 2900, '2026-05-01T11:00:00.000Z');
    // Paid, then canceled: leaves the index.
    await ledger(tenants.churned, 2900, '2026-04-01T09:00:00.000Z', 'active');
    await ledger(tenants.churned, 0, '2026-04-10T09:00:00.000Z', 'canceled');
    await billing(tenants.churned, 2900, '2026-04-10T09:00:00.000Z', 'canceled');
  });

  it('reports a tenant whose billing state disagrees with its MRR from the movements', async () => {
    const result = await reconcile({ time: '2026-05-02T01:00:00.000Z' });

    expect(result.date).toBe('2026-05-01');
    expect(result.tenants).toContainEqual(
      expect.objectContaining({
        tenantId: tenants.drifting,
        ledgerMrr: 2900,
        billingMrr: 9900,
        drift: -7000,
        billingStatus: 'active',
      }),
    );
  });

  it('does not report a tenant whose billing state changed after the day', async () => {
    const result = await reconcile({ time: '2026-05-02T01:00:00.000Z' });

    expect(result.tenants.map((drift) => drift.tenantId)).not.toContain(tenants.changedLater);
    expect(result.tenantsSkipped).toBe(1);
  });

  it('finds a live subscription the ledger holds at zero MRR', async () => {
    const result = await reconcile({ time: '2026-05-02T01:00:00.000Z' });

    expect(result.tenants).toContainEqual(
      expect.objectContaining({ tenantId: tenants.lostConversion, ledgerMrr: 0, billingMrr: 2900 }),
    );
  });

  it('reads only the tenants in the index: agreeing ones raise nothing and churned ones are not read', async () => {
    const result = await reconcile({ time: '2026-05-02T01:00:00.000Z' });

    expect(result.tenants.map((drift) => drift.tenantId).sort()).toEqual(
      [tenants.drifting, tenants.lostConversion].sort(),
    );
    expect(result).toMatchObject({ tenantsChecked: 3, drifts: 2, netDrift: -9900, absoluteDrift: 9900 });
    // Four index entries and their four billing items.
    expect(result.itemsRead).toBe(8);
  });

  it('counts the drifting tenants in the metric its alarm watches', async () => {
    const addMetric = vi.spyOn(metrics, 'addMetric');

    await reconcile({ time: '2026-05-02T01:00:00.000Z' });

    expect(addMetric).toHaveBeenCalledWith(eventMetricNames.mrrDrifts, 'Count', 2);
    addMetric.mockRestore();
  });

  it('keeps the latest run of a day: a drift fixed meanwhile is no longer listed', async () => {
    await ledger(tenants.drifting, 9900, '2026-05-01T10:00:00.000Z', 'active');

    await reconcile({ time: '2026-05-02T01:00:00.000Z' });
    const stored = await readReconciliation(db, '2026-05-01');

    expect(stored?.tenants.map((drift) => drift.tenantId)).toEqual([tenants.lostConversion]);
    expect(stored).toMatchObject({ date: '2026-05-01', drifts: 1 });
  });
});
