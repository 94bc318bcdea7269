import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Db } from '../db/client.ts';
import { keys } from '../db/keys.ts';
import { transactWrite } from '../db/transact.ts';
import { outboxStep } from '../events/outbox.ts';
import { subscriptionEvent } from '../events/subscription-events.ts';
import { ConflictError } from '../http/errors.ts';
import type { IdGenerator } from '../ids.ts';
import { billingWriteStep, readBillingRecord } from './webhooks/billing-record.ts';
import { recurringAmountOf, restrictForNonPayment } from './webhooks/transitions.ts';
import { ConcurrentChangeError } from './webhooks/webhook.errors.ts';

export interface DunningSweepDeps {
  readonly db: Db;
  readonly newId: IdGenerator;
  /** Due tenants read per query page. @default 100 */
  readonly pageSize?: number;
}

export interface DunningSweepResult {
  /** Tenants the index listed as due. */
  readonly due: number;
  /** Tenants restricted by this run. */
  readonly restricted: number;
  /** Tenants that no longer qualified (paid, restricted by another run, grace extended). */
  readonly skipped: number;
}

const DEFAULT_PAGE_SIZE = 100;
/** Attempts per tenant when a webhook changes its billing item at the same moment. */
const MAX_ATTEMPTS = 3;

/**
 * Restricts one tenant whose grace period is over: re-reads its billing item (the index may lag),
 * and in one transaction sets `restricted`, drops its dunning index keys and writes
 * `Subscription Restricted`, on condition that the item is still the version read, so a payment
 * applied meanwhile wins. Returns whether it restricted the tenant.
 */
async function restrictTenant(deps: DunningSweepDeps, tenantId: string, now: Date): Promise<boolean> {
  const at = now.toISOString();
  for (let attempt = 1; ; attempt++) {
    const previous = await readBillingRecord(deps.db, tenantId, at);
    const transition = restrictForNonPayment(previous, at);
    if (!transition) return false;
    const event = subscriptionEvent('Subscription Restricted v1', {
      eventId: deps.newId(),
      tenantId,
      subscriptionId: transition.next.subscriptionId,
      plan: transition.next.plan,
      interval: transition.next.interval,
      status: transition.next.status,
      amount: recurringAmountOf(transition.next),
      previousAmount: recurringAmountOf(previous),
      stripeEventId: null,
      occurredAt: at,
    });
    try {
      await transactWrite(deps.db, [
        billingWriteStep(deps.db, previous, transition.next),
        outboxStep(deps.db, event, now),
      ]);
      return true;
    } catch (error) {
      const retryable = error instanceof ConcurrentChangeError || error instanceof ConflictError;
      if (!retryable || attempt >= MAX_ATTEMPTS) throw error;
    }
  }
}

/**
 * The scheduled dunning sweep: restricts every tenant whose grace period after a failed payment
 * ended by `now`. Reads only the due tenants (gsi1 `DUNNING`, sort key `<graceEndsAt>#<tenantId>`
 * up to `now`), page by page; never scans. Safe to run twice at once or again after a failure:
 * each restriction is conditional, and a restricted tenant leaves the index.
 */
export async function runDunningSweep(deps: DunningSweepDeps, now: Date): Promise<DunningSweepResult> {
  const due = keys.dunningDue(now.toISOString());
  let exclusiveStartKey: Record<string, unknown> | undefined;
  let count = 0;
  let restricted = 0;
  do {
    const page = await deps.db.client.send(
      new QueryCommand({
        TableName: deps.db.tableName,
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :pk AND gsi1sk <= :before',
        ExpressionAttributeValues: { ':pk': due.gsi1pk, ':before': due.gsi1skBefore },
        ProjectionExpression: 'tenantId',
        Limit: deps.pageSize ?? DEFAULT_PAGE_SIZE,
        ExclusiveStartKey: exclusiveStartKey,
      }),
    );
    for (const item of page.Items ?? []) {
      if (typeof item.tenantId !== 'string') continue;
      count += 1;
      if (await restrictTenant(deps, item.tenantId, now)) restricted += 1;
    }
    exclusiveStartKey = page.LastEvaluatedKey;
  } while (exclusiveStartKey);
  return { due: count, restricted, skipped: count - restricted };
}
