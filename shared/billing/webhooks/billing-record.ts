import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { Db } from '../../db/client.ts';
import { keys } from '../../db/keys.ts';
import type { TransactStep } from '../../db/transact.ts';
import { withoutKeys } from '../../tenancy/records.ts';
import { type BillingRecord, emptyBillingRecord } from './transitions.ts';
import { ConcurrentChangeError } from './webhook.errors.ts';

/**
 * Reads and writes the tenant's billing item (`keys.billing`) for the webhook and the dunning
 * sweep. Every write is conditional on the `version` that was read (optimistic locking), so two
 * events of the same tenant applied at once cannot overwrite each other's changes: the loser
 * fails its transaction and is processed again from fresh state.
 */

/** The billing item as the webhook left it, or the free-plan record when there is none. */
export async function readBillingRecord(db: Db, tenantId: string, now: string): Promise<BillingRecord> {
  const { Item } = await db.client.send(
    new GetCommand({ TableName: db.tableName, Key: keys.billing(tenantId), ConsistentRead: true }),
  );
  if (!Item) return emptyBillingRecord(tenantId, now);
  const stored = withoutKeys(Item) as Partial<BillingRecord>;
  const base = emptyBillingRecord(tenantId, now);
  return {
    ...base,
    ...stored,
    version: typeof stored.version === 'number' ? stored.version : null,
    statusUpdatedAt: stored.statusUpdatedAt ?? stored.stripeUpdatedAt ?? 0,
    startedAt: stored.startedAt ?? null,
  } as BillingRecord;
}

const VERSION_NAMES = { '#version': 'version' } as const;

/** The condition that the item still has the version that was read. */
function versionGuard(expected: number | null) {
  return expected === null
    ? { ConditionExpression: 'attribute_not_exists(#version)', values: {} }
    : { ConditionExpression: '#version = :expectedVersion', values: { ':expectedVersion': expected } };
}

/**
 * Writes `next` over the billing item, on condition that it is still at `previous.version`. Sets
 * the gsi1 dunning keys while the tenant is past due and not yet restricted (the sweep's query),
 * and removes them otherwise. Only the attributes of the record are set: anything else on the
 * item is left alone.
 */
export function billingWriteStep(db: Db, previous: BillingRecord, next: BillingRecord): TransactStep {
  const { version: _version, ...fields } = next;
  const inDunning = next.status === 'past_due' && !next.restricted && next.graceEndsAt !== null;
  const attributes: Record<string, unknown> = {
    type: 'billing',
    ...fields,
    version: (previous.version ?? 0) + 1,
    ...(inDunning && next.graceEndsAt ? keys.dunning(next.tenantId, next.graceEndsAt) : {}),
  };
  const names: Record<string, string> = { ...VERSION_NAMES };
  const values: Record<string, unknown> = {};
  const sets: string[] = [];
  Object.entries(attributes).forEach(([name, value], index) => {
    if (name === 'version') {
      sets.push('#version = :version');
      values[':version'] = value;
      return;
    }
    names[`#a${index}`] = name;
    values[`:a${index}`] = value;
    sets.push(`#a${index} = :a${index}`);
  });
  const guard = versionGuard(previous.version);
  const remove = inDunning ? '' : ' REMOVE gsi1pk, gsi1sk';
  return {
    item: {
      Update: {
        TableName: db.tableName,
        Key: keys.billing(next.tenantId),
        UpdateExpression: `SET ${sets.join(', ')}${remove}`,
        ConditionExpression: guard.ConditionExpression,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: { ...values, ...guard.values },
      },
    },
    onConditionFailed: () => new ConcurrentChangeError(`The billing state of tenant ${next.tenantId}`),
  };
}

/**
 * Holds a decision made from the billing item (e.g. "not past due, nothing to recover") to the
 * version it was made from, without writing it.
 */
export function billingCheckStep(db: Db, previous: BillingRecord): TransactStep {
  const guard = versionGuard(previous.version);
  return {
    item: {
      ConditionCheck: {
        TableName: db.tableName,
        Key: keys.billing(previous.tenantId),
        ConditionExpression: guard.ConditionExpression,
        ExpressionAttributeNames: VERSION_NAMES,
        ...(Object.keys(guard.values).length > 0 ? { ExpressionAttributeValues: guard.values } : {}),
      },
    },
    onConditionFailed: () => new ConcurrentChangeError(`The billing state of tenant ${previous.tenantId}`),
  };
}
