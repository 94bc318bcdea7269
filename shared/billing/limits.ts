import type { Db } from '../db/client.ts';
import { keys } from '../db/keys.ts';
import type { TransactStep } from '../db/transact.ts';
import { PaymentRequiredError } from '../http/errors.ts';
import type { TenantRecord } from '../tenancy/records.ts';
import type { TenantContext } from '../tenancy/tenant-context.ts';
import { effectivePlan, planLifting } from './entitlements.ts';
import { type Entitlements, type PlanId, planRank, plans } from './plans.ts';

/**
 * Plan limits and the usage counters they are checked against.
 *
 * The tenant item carries the counters, changed in the same transaction as the items they count:
 * - `memberCount`: active members (the seats in use);
 * - `pendingInvitationCount`: invitations holding a seat (their pending guard exists: not yet
 *   accepted, revoked, or reclaimed after expiry);
 * - `reservedSeats`: the two added up. DynamoDB conditions cannot add two attributes, so the
 *   invite condition needs the sum stored; {@link counterStep} derives its change from the other
 *   two, so it cannot drift from them;
 * - `projectCount`: projects.
 *
 * A limit is a condition on the counter in the transaction that adds (`projectCount < :limit`),
 * with the limit taken from the request's entitlements as a value: two requests racing for the
 * last slot cannot both win, and nothing relies on a read made before the write.
 *
 * After a downgrade or a final payment failure the limits may sit below the usage: everything
 * stays, but nothing new is added until the usage is back under the limit.
 */

/** The counters as stored; tenants made before a counter existed lack it (read as 0). */
export interface TenantCounters {
  readonly memberCount?: number;
  readonly pendingInvitationCount?: number;
  readonly reservedSeats?: number;
  readonly projectCount?: number;
}

/** What a tenant uses of its entitlements. */
export interface Usage {
  /** Active members. */
  readonly members: number;
  /** Invitations holding a seat. */
  readonly pendingInvitations: number;
  /** Members plus pending invitations: what an invitation is checked against. */
  readonly reservedSeats: number;
  readonly projects: number;
}

/** The counters of a new tenant: its owner, nothing else. */
export const NEW_TENANT_COUNTERS = {
  memberCount: 1,
  pendingInvitationCount: 0,
  reservedSeats: 1,
  projectCount: 0,
} as const satisfies Required<TenantCounters>;

/** The tenant's usage, from the counters on its item. */
export function usageOf(tenant: TenantRecord | TenantCounters): Usage {
  const counters = tenant as TenantCounters;
  const members = counters.memberCount ?? 0;
  const pendingInvitations = counters.pendingInvitationCount ?? 0;
  return {
    members,
    pendingInvitations,
    reservedSeats: counters.reservedSeats ?? members + pendingInvitations,
    projects: counters.projectCount ?? 0,
  };
}

export type LimitKind = 'seats' | 'projects';

const NOUNS: Record<LimitKind, readonly [string, string]> = {
  seats: ['seat', 'seats'],
  projects: ['project', 'projects'],
};
const noun = (kind: LimitKind, n: number) => NOUNS[kind][n === 1 ? 0 : 1];

/** 402: a plan limit is reached; the message names the limit and the plan that lifts it. */
export class PlanLimitError extends PaymentRequiredError {
  readonly limit: LimitKind;
  readonly plan: PlanId;
  /** The cheapest plan that makes room, if any plan does. */
  readonly upgradeTo: PlanId | undefined;

  constructor(detail: string, facts: { limit: LimitKind; plan: PlanId; upgradeTo: PlanId | undefined }) {
    super(detail);
    this.name = 'PlanLimitError';
    this.limit = facts.limit;
    this.plan = facts.plan;
    this.upgradeTo = facts.upgradeTo;
  }
}

/** The plan, above `plan`, that allows more than `used` of `kind`; undefined when none does. */
export function upgradeFor(kind: LimitKind, plan: PlanId, used: number): PlanId | undefined {
  const needed = Math.max(used, plans[plan].entitlements[kind]) + 1;
  const lifting = planLifting(kind, needed);
  return lifting !== undefined && planRank[lifting] > planRank[plan] ? lifting : undefined;
}

/**
 * The message of a reached limit, e.g. "The Free plan allows 3 projects; upgrade to Team for up
 * to 25." `used` above the limit (after a downgrade) is named too, so the customer sees why.
 */
export function limitMessage(kind: LimitKind, plan: PlanId, used: number): string {
  const { name, entitlements } = plans[plan];
  const limit = entitlements[kind];
  const counted = kind === 'seats' ? ' (members and pending invitations)' : '';
  const over = used > limit ? ` and this tenant has ${used}` : '';
  const head = `The ${name} plan allows ${limit} ${noun(kind, limit)}${counted}`;
  const upgrade = upgradeFor(kind, plan, used);
  if (upgrade) {
    return `${head}${over}; upgrade to ${plans[upgrade].name} for up to ${plans[upgrade].entitlements[kind]}.`;
  }
  const makeRoom = kind === 'seats' ? 'remove a member or revoke an invitation' : 'delete a project';
  return `${head}, the most any plan offers${over}; ${makeRoom} to make room.`;
}

/** The 402 for `kind` on `plan` with `used` in use. */
export function limitReached(kind: LimitKind, plan: PlanId, used: number): PlanLimitError {
  return new PlanLimitError(limitMessage(kind, plan, used), {
    limit: kind,
    plan,
    upgradeTo: upgradeFor(kind, plan, used),
  });
}

/**
 * The 402 an invitee gets when the tenant has no seat left for them (after a downgrade): they
 * cannot upgrade, so the message says who can.
 */
export function noSeatToJoin(tenantName: string, plan: PlanId, members: number): PlanLimitError {
  const { name, entitlements } = plans[plan];
  const upgrade = upgradeFor('seats', plan, members);
  const fix = upgrade
    ? `an admin of ${tenantName} can upgrade to ${plans[upgrade].name} for up to ${plans[upgrade].entitlements.seats}`
    : `an admin of ${tenantName} can remove a member to make room`;
  return new PlanLimitError(
    `${tenantName} has no seat left: the ${name} plan allows ${entitlements.seats} ${noun('seats', entitlements.seats)}; ${fix}.`,
    { limit: 'seats', plan, upgradeTo: upgrade },
  );
}

/** Whether one more of `kind` fits: the decision the transaction's condition makes exact. */
export function hasRoom(kind: LimitKind, usage: Usage, entitlements: Entitlements): boolean {
  const used = kind === 'seats' ? usage.reservedSeats : usage.projects;
  return used < entitlements[kind];
}

/** A limit as the repositories take it: the most allowed, and the error when it is reached. */
export interface Limit {
  readonly max: number;
  readonly reached: () => Error;
}

/** The tenant's project limit at request time. */
export function projectLimit(ctx: TenantContext): Limit {
  const plan = effectivePlan(ctx.billing);
  return {
    max: ctx.entitlements.projects,
    reached: () => limitReached('projects', plan, usageOf(ctx.tenant).projects),
  };
}

/** The tenant's seat limit at request time, for invitations (members plus pending invitations). */
export function seatLimit(ctx: TenantContext): Limit {
  const plan = effectivePlan(ctx.billing);
  return {
    max: ctx.entitlements.seats,
    reached: () => limitReached('seats', plan, usageOf(ctx.tenant).reservedSeats),
  };
}

/** Refuses a new project with a 402 when the tenant's counter already says it is at its limit. */
export function assertProjectRoom(ctx: TenantContext): void {
  if (!hasRoom('projects', usageOf(ctx.tenant), ctx.entitlements)) throw projectLimit(ctx).reached();
}

type Counter = 'memberCount' | 'pendingInvitationCount' | 'reservedSeats' | 'projectCount' | 'ownerCount';

/** Changes to the tenant's counters, each +1 or -1. */
export interface CounterChange {
  readonly members?: 1 | -1;
  readonly pendingInvitations?: 1 | -1;
  readonly projects?: 1 | -1;
  readonly owners?: 1 | -1;
}

/** A condition on the tenant item, checked in the same transaction as the counter change. */
export type TenantCondition =
  /** The tenant is active (not suspended or deleted). */
  | { readonly kind: 'active' }
  /** The counter is below `max` (an absent counter is 0). */
  | {
      readonly kind: 'below';
      readonly counter: 'memberCount' | 'reservedSeats' | 'projectCount';
      readonly max: number;
    }
  /** Another owner remains after this one goes. */
  | { readonly kind: 'another-owner' };

/**
 * The one Update of the tenant item in a transaction: every counter change of the operation (a
 * transaction may touch an item once) plus its conditions. `reservedSeats` follows members and
 * pending invitations. Absent counters count from 0 (`if_not_exists`), so tenants written before
 * a counter existed keep working. The tenant item must exist: an Update never creates one.
 */
export function counterStep(
  db: Db,
  tenantId: string,
  change: CounterChange,
  options: { conditions?: readonly TenantCondition[]; onConditionFailed?: () => Error } = {},
): TransactStep {
  const reserved = (change.members ?? 0) + (change.pendingInvitations ?? 0);
  const deltas: [Counter, number][] = [
    ['memberCount', change.members ?? 0],
    ['pendingInvitationCount', change.pendingInvitations ?? 0],
    ['reservedSeats', reserved],
    ['projectCount', change.projects ?? 0],
    ['ownerCount', change.owners ?? 0],
  ];
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const sets: string[] = [];
  for (const [counter, delta] of deltas) {
    if (delta === 0) continue;
    names[`#${counter}`] = counter;
    values[`:${counter}Delta`] = delta;
    values[':zero'] = 0;
    sets.push(`#${counter} = if_not_exists(#${counter}, :zero) + :${counter}Delta`);
  }
  const clauses = ['attribute_exists(pk)'];
  for (const condition of options.conditions ?? []) {
    if (condition.kind === 'active') {
      names['#status'] = 'status';
      values[':active'] = 'active';
      clauses.push('#status = :active');
    } else if (condition.kind === 'another-owner') {
      names['#ownerCount'] = 'ownerCount';
      values[':oneOwner'] = 1;
      clauses.push('#ownerCount > :oneOwner');
    } else {
      const { counter, max } = condition;
      names[`#${counter}`] = counter;
      values[`:${counter}Max`] = max;
      // An absent counter is 0, which is below any positive limit.
      clauses.push(
        max > 0
          ? `(attribute_not_exists(#${counter}) OR #${counter} < :${counter}Max)`
          : `#${counter} < :${counter}Max`,
      );
    }
  }
  if (sets.length === 0) throw new Error('counterStep needs at least one counter change');
  return {
    item: {
      Update: {
        TableName: db.tableName,
        Key: keys.tenant(tenantId),
        UpdateExpression: `SET ${sets.join(', ')}`,
        ConditionExpression: clauses.join(' AND '),
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      },
    },
    ...(options.onConditionFailed ? { onConditionFailed: options.onConditionFailed } : {}),
  };
}
