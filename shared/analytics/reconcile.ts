import { randomUUID } from 'node:crypto';
import { BatchGetCommand, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { BillingState } from '../billing/billing.schema.ts';
import { recurringAmountOf } from '../billing/webhooks/amount.ts';
import type { Db } from '../db/client.ts';
import { keys } from '../db/keys.ts';
import { type Clock, systemClock } from '../ids.ts';
import { withoutKeys } from '../tenancy/records.ts';

/**
 * The MRR reconciliation: the ledger (each tenant's MRR state, which the movements add up to) against
 * the billing state the webhooks mirror from Stripe, the source of truth. Run daily for the day
 * before; a tenant whose two MRRs differ is a drift (a subscription event lost on its way to the
 * movements consumer, a bug in the classification, a billing item changed by hand).
 *
 * Which tenants: those the ledger lists in its sparse index (MRR > 0, or a live subscription at MRR
 * 0: trialing, unpaid), one gsi1 query, then their billing items by BatchGetItem. This job may read
 * every such tenant; the rollup never does. A tenant the ledger has never seen at all (every one of
 * its subscription events lost) is not in the index and is not found here: its events are in the
 * movements queue's dead-letter queue, which has its own alarm.
 *
 * As of when: the billing state says when Stripe last changed it (`stripeUpdatedAt`). A tenant whose
 * billing state or ledger state changed after the end of the day is skipped (counted, not compared):
 * the ledger may not have caught up yet, and what happened after the day is the next run's.
 */

/** Drift items expire after this long; the day's summary stays. */
const DRIFT_TTL_SECONDS = 400 * 24 * 60 * 60;
/** BatchGetItem takes at most 100 keys per call. */
const BATCH = 100;

export interface TenantDrift {
  readonly tenantId: string;
  /** The MRR the movements add up to (the ledger's MRR state). */
  readonly ledgerMrr: number;
  /** The MRR the billing state counts (its monthly amount while active or past due). */
  readonly billingMrr: number;
  /** ledgerMrr - billingMrr: positive when the metrics count more than Stripe bills. */
  readonly drift: number;
  readonly currency: string;
  readonly billingStatus: BillingState['status'];
  readonly billingPlan: BillingState['plan'];
  /** When Stripe last changed the billing state (ISO; null: no billing item). */
  readonly billingAsOf: string | null;
  /** When the change the ledger last applied happened (ISO). */
  readonly ledgerAsOf: string;
}

export interface ReconciliationSummary {
  readonly date: string;
  readonly runId: string;
  readonly reconciledAt: string;
  /** Tenants compared. */
  readonly tenantsChecked: number;
  /** Tenants whose billing or ledger state changed after the day (not compared). */
  readonly tenantsSkipped: number;
  /** Tenants whose two MRRs disagree. */
  readonly drifts: number;
  /** The sum of the drifts (ledger - billing) and of their absolute values, minor units. */
  readonly netDrift: number;
  readonly absoluteDrift: number;
  /** Items read from the table (the index, the billing items). */
  readonly itemsRead: number;
}

export interface Reconciliation extends ReconciliationSummary {
  readonly tenants: readonly TenantDrift[];
}

export interface ReconcileDeps {
  readonly db: Db;
  /** @default systemClock */
  readonly clock?: Clock;
}

interface LedgerEntry {
  readonly tenantId: string;
  readonly mrr: number;
  readonly currency: string;
  readonly occurredAt: string;
}

/** The end of a UTC day, as epoch milliseconds (exclusive). */
const endOfDay = (day: string) => Date.parse(`${day}T00:00:00.000Z`) + 86_400_000;

/**
 * Compares one tenant's ledger and billing state as of the end of `day`: the drift, `skipped` when
 * either changed after the day, or null when they agree. Pure.
 */
export function compareTenant(
  day: string,
  ledger: LedgerEntry,
  billing: Pick<BillingState, 'status' | 'plan' | 'monthlyAmount' | 'stripeUpdatedAt'> | undefined,
): TenantDrift | 'skipped' | null {
  const end = endOfDay(day);
  const billingAt = billing ? billing.stripeUpdatedAt * 1000 : 0;
  if (billingAt >= end || Date.parse(ledger.occurredAt) >= end) return 'skipped';
  const billingMrr = billing ? recurringAmountOf(billing).amount : 0;
  if (billingMrr === ledger.mrr) return null;
  return {
    tenantId: ledger.tenantId,
    ledgerMrr: ledger.mrr,
    billingMrr,
    drift: ledger.mrr - billingMrr,
    currency: billing?.monthlyAmount.currency ?? ledger.currency,
    billingStatus: billing?.status ?? 'none',
    billingPlan: billing?.plan ?? 'free',
    billingAsOf: billing && billing.stripeUpdatedAt > 0 ? new Date(billingAt).toISOString() : null,
    ledgerAsOf: ledger.occurredAt,
  };
}

async function ledgerEntries(db: Db): Promise<LedgerEntry[]> {
  const entries: LedgerEntry[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await db.client.send(
      new QueryCommand({
        TableName: db.tableName,
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :pk',
        ExpressionAttributeValues: { ':pk': keys.mrrSubscribedIndex().gsi1pk },
        ExclusiveStartKey: start,
      }),
    );
    for (const item of page.Items ?? []) {
      entries.push({
        tenantId: String(item.tenantId),
        mrr: Number(item.mrr),
        currency: String(item.currency),
        occurredAt: String(item.occurredAt),
      });
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return entries;
}

async function billingStates(db: Db, tenantIds: readonly string[]): Promise<Map<string, BillingState>> {
  const states = new Map<string, BillingState>();
  for (let i = 0; i < tenantIds.length; i += BATCH) {
    let request: Record<string, { Keys: Record<string, unknown>[]; ConsistentRead: boolean }> | undefined = {
      [db.tableName]: {
        Keys: tenantIds.slice(i, i + BATCH).map((tenantId) => keys.billing(tenantId)),
        ConsistentRead: true,
      },
    };
    while (request && Object.keys(request).length > 0) {
      const result = await db.client.send(new BatchGetCommand({ RequestItems: request }));
      for (const item of result.Responses?.[db.tableName] ?? []) {
        const state = withoutKeys(item) as BillingState;
        states.set(state.tenantId, state);
      }
      request = result.UnprocessedKeys as typeof request;
    }
  }
  return states;
}

/**
 * Reconciles `day` (a UTC day): compares every indexed tenant, writes one drift item per tenant that
 * disagrees and then the day's summary (which names the run, so a re-run replaces what an earlier
 * run found without deleting anything), and returns both.
 */
export async function reconcileDay(deps: ReconcileDeps, day: string): Promise<Reconciliation> {
  const { db } = deps;
  const reconciledAt = (deps.clock ?? systemClock)().toISOString();
  const runId = `${reconciledAt}-${randomUUID().slice(0, 8)}`;
  const ledger = await ledgerEntries(db);
  const billing = await billingStates(
    db,
    ledger.map((entry) => entry.tenantId),
  );
  const tenants: TenantDrift[] = [];
  let skipped = 0;
  for (const entry of ledger) {
    const outcome = compareTenant(day, entry, billing.get(entry.tenantId));
    if (outcome === 'skipped') skipped += 1;
    else if (outcome) tenants.push(outcome);
  }
  const ttl = Math.floor(Date.parse(reconciledAt) / 1000) + DRIFT_TTL_SECONDS;
  for (const drift of tenants) {
    await db.client.send(
      new PutCommand({
        TableName: db.tableName,
        Item: { ...keys.metricsDrift(day, runId, drift.tenantId), type: 'metrics-drift', ...drift, ttl },
      }),
    );
  }
  const summary: ReconciliationSummary = {
    date: day,
    runId,
    reconciledAt,
    tenantsChecked: ledger.length - skipped,
    tenantsSkipped: skipped,
    drifts: tenants.length,
    netDrift: tenants.reduce((sum, drift) => sum + drift.drift, 0),
    absoluteDrift: tenants.reduce((sum, drift) => sum + Math.abs(drift.drift), 0),
    itemsRead: ledger.length + billing.size,
  };
  await db.client.send(
    new PutCommand({
      TableName: db.tableName,
      Item: { ...keys.metricsReconciliation(day), type: 'metrics-reconciliation', ...summary },
    }),
  );
  return { ...summary, tenants };
}

/** The latest reconciliation of `day` with its drifts, or undefined when the day was not reconciled. */
export async function readReconciliation(db: Db, day: string): Promise<Reconciliation | undefined> {
  const { Item } = await db.client.send(
    new GetCommand({ TableName: db.tableName, Key: keys.metricsReconciliation(day), ConsistentRead: true }),
  );
  if (!Item) return undefined;
  const summary = withoutKeys(Item) as unknown as ReconciliationSummary;
  const range = keys.metricsDriftsOfRun(day, summary.runId);
  const tenants: TenantDrift[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await db.client.send(
      new QueryCommand({
        TableName: db.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': range.pk, ':prefix': range.skPrefix },
        ConsistentRead: true,
        ExclusiveStartKey: start,
      }),
    );
    for (const item of page.Items ?? []) {
      tenants.push(withoutKeys(item) as unknown as TenantDrift);
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return { ...summary, tenants };
}
