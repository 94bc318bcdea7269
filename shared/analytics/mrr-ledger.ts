import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { isLiveStatus } from '../billing/subscription-status.ts';
import type { Db } from '../db/client.ts';
import { keys } from '../db/keys.ts';
import { type TransactStep, transactWrite } from '../db/transact.ts';
import { ConflictError } from '../http/errors.ts';
import type { Clock } from '../ids.ts';
import { applyMrrChange, type Movement, type MrrChange, type TenantMrrState } from './movements.ts';

/**
 * The MRR ledger in the table: per tenant its MRR state, and the movements by month and time.
 * Recording a change is one transaction: the event's mark (each event id once), the tenant's new
 * state (on condition that it is still the version read, so two deliveries racing for one tenant
 * apply one after the other), the movement if the MRR moved, and the movement's day marked dirty
 * for the rollup (so a late movement for a day already rolled up is rolled up again).
 */

/** Marks outlive every redelivery (SQS keeps a message at most 14 days). */
const MARK_TTL_SECONDS = 30 * 24 * 60 * 60;
/** Attempts when another delivery for the same tenant wins the race for its state. */
const MAX_ATTEMPTS = 5;

export type RecordOutcome = 'recorded' | 'unchanged' | 'stale' | 'duplicate';

export interface MrrLedgerDeps {
  readonly db: Db;
  readonly clock: Clock;
}

/** The event was applied before (its mark exists). */
class DuplicateMrrEventError extends Error {
  constructor(eventId: string) {
    super(`Subscription event ${eventId} was already applied to MRR.`);
    this.name = 'DuplicateMrrEventError';
  }
}

/** The tenant's MRR state changed since it was read. */
class MrrStateChangedError extends Error {
  constructor(tenantId: string) {
    super(`The MRR state of tenant ${tenantId} changed meanwhile.`);
    this.name = 'MrrStateChangedError';
  }
}

interface StoredState {
  readonly state: TenantMrrState | undefined;
  readonly version: number | null;
}

/** The tenant's MRR state and its version (undefined and null: no change recorded yet). */
export async function readMrrState(db: Db, tenantId: string): Promise<StoredState> {
  const { Item } = await db.client.send(
    new GetCommand({ TableName: db.tableName, Key: keys.mrrState(tenantId), ConsistentRead: true }),
  );
  if (!Item) return { state: undefined, version: null };
  const state: TenantMrrState = {
    tenantId: Item.tenantId,
    mrr: Item.mrr,
    currency: Item.currency,
    plan: Item.plan,
    everPaid: Item.everPaid,
    monthStartMrr: Item.monthStartMrr,
    occurredAt: Item.occurredAt,
    eventId: Item.eventId,
    comped: Item.comped === true,
  };
  return { state, version: typeof Item.version === 'number' ? Item.version : 0 };
}

/** The stored form of a movement (also what the admin API lists). */
export function movementItem(movement: Movement, recordedAt: string) {
  return {
    ...keys.mrrMovement(movement.month, movement.type, movement.occurredAt, movement.eventId),
    type: 'mrr-movement',
    movementType: movement.type,
    tenantId: movement.tenantId,
    delta: movement.delta,
    mrrBefore: movement.mrrBefore,
    mrrAfter: movement.mrrAfter,
    planBefore: movement.planBefore,
    planAfter: movement.planAfter,
    currency: movement.currency,
    eventId: movement.eventId,
    occurredAt: movement.occurredAt,
    day: movement.day,
    month: movement.month,
    monthStartMrr: movement.monthStartMrr,
    recordedAt,
  };
}

/** Reads a stored movement item back. */
export function movementFromItem(item: Record<string, unknown>): Movement {
  return {
    tenantId: item.tenantId as string,
    type: item.movementType as Movement['type'],
    delta: item.delta as number,
    mrrBefore: item.mrrBefore as number,
    mrrAfter: item.mrrAfter as number,
    planBefore: item.planBefore as Movement['planBefore'],
    planAfter: item.planAfter as Movement['planAfter'],
    currency: item.currency as string,
    eventId: item.eventId as string,
    occurredAt: item.occurredAt as string,
    day: item.day as string,
    month: item.month as string,
    monthStartMrr: item.monthStartMrr as number,
  };
}

/**
 * Whether the tenant's MRR state carries the reconciliation's index entry: while it pays, or while
 * its subscription is live at MRR 0 (trialing, unpaid), so a lost conversion still gets compared.
 * A churned tenant (canceled, incomplete_expired, free) leaves the index: the reconciliation reads
 * what may pay, not every tenant that ever subscribed.
 */
export function isSubscribed(state: TenantMrrState, change: Pick<MrrChange, 'status'>): boolean {
  return state.mrr > 0 || (change.status !== undefined && isLiveStatus(change.status));
}

function stepsFor(
  db: Db,
  change: MrrChange,
  stored: StoredState,
  next: TenantMrrState,
  movement: Movement | null,
  now: Date,
): TransactStep[] {
  const at = now.toISOString();
  const seconds = Math.floor(now.getTime() / 1000);
  const steps: TransactStep[] = [
    {
      item: {
        Put: {
          TableName: db.tableName,
          Item: {
            ...keys.mrrEventMark(change.tenantId, change.eventId),
            type: 'mrr-event',
            eventId: change.eventId,
            appliedAt: at,
            ttl: seconds + MARK_TTL_SECONDS,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      onConditionFailed: () => new DuplicateMrrEventError(change.eventId),
    },
    {
      item: {
        Put: {
          TableName: db.tableName,
          Item: {
            ...keys.mrrState(change.tenantId),
            ...(isSubscribed(next, change) ? keys.mrrSubscribed(change.tenantId) : {}),
            type: 'mrr-state',
            ...next,
            version: (stored.version ?? 0) + 1,
            updatedAt: at,
          },
          ...(stored.version === null
            ? { ConditionExpression: 'attribute_not_exists(pk)' }
            : {
                ConditionExpression: 'version = :version',
                ExpressionAttributeValues: { ':version': stored.version },
              }),
        },
      },
      onConditionFailed: () => new MrrStateChangedError(change.tenantId),
    },
  ];
  if (movement) {
    steps.push(
      {
        item: {
          Put: {
            TableName: db.tableName,
            Item: movementItem(movement, at),
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
        onConditionFailed: () => new DuplicateMrrEventError(change.eventId),
      },
      {
        item: {
          Put: {
            TableName: db.tableName,
            Item: {
              ...keys.metricsDirtyDay(movement.day),
              type: 'metrics-dirty',
              day: movement.day,
              markedAt: at,
            },
          },
        },
      },
    );
  }
  return steps;
}

/**
 * Applies one subscription change to the tenant's MRR: `recorded` with a movement, `unchanged`
 * when the MRR did not move (the state still takes the change's time), `stale` when a newer change
 * was applied already (nothing written), `duplicate` when this event was applied before.
 */
export async function recordMrrChange(deps: MrrLedgerDeps, change: MrrChange): Promise<RecordOutcome> {
  for (let attempt = 1; ; attempt++) {
    const stored = await readMrrState(deps.db, change.tenantId);
    const outcome = applyMrrChange(stored.state, change);
    if (outcome.kind === 'stale') return 'stale';
    try {
      await transactWrite(
        deps.db,
        stepsFor(deps.db, change, stored, outcome.state, outcome.movement, deps.clock()),
      );
      return outcome.movement ? 'recorded' : 'unchanged';
    } catch (error) {
      if (error instanceof DuplicateMrrEventError) return 'duplicate';
      const retryable = error instanceof MrrStateChangedError || error instanceof ConflictError;
      if (!retryable || attempt >= MAX_ATTEMPTS) throw error;
    }
  }
}
