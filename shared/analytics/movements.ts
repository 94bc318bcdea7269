import type { SubscriptionStatus } from '../billing/billing.schema.ts';
import type { PlanId } from '../billing/plans.ts';

/**
 * MRR movements: one per change of a tenant's MRR, classified the way SaaS finance tools
 * (ChartMogul, Baremetrics) do. Pure: the movements consumer reads the tenant's MRR state, calls
 * {@link applyMrrChange}, and writes the new state with the movement in one transaction.
 *
 * - `new`: 0 → >0, the first time the tenant pays;
 * - `reactivation`: 0 → >0 after an earlier churn;
 * - `expansion`: up, from >0;
 * - `contraction`: down, still >0;
 * - `churn`: >0 → 0;
 * - `comp`: an operator's comp (a 100% coupon) took the tenant's MRR down (to 0): not churn;
 * - `comp_end`: the comp ended and the tenant pays again: not a reactivation (nor `new`).
 *
 * Comps are movements of their own so that MRR still adds up (start MRR + the sum of every
 * movement = end MRR) while churn, reactivation, the churn rates and the quick ratio leave them out.
 *
 * Order safety. The tenant's MRR state remembers the time of the change it last applied; a change
 * older than that is stale and ignored (the newer one already says what the MRR is). The amount
 * before a movement is the MRR the state holds, never what the event says it was, so the movements
 * of a tenant always add up to its current MRR, whatever order the events came in.
 */

export const movementTypes = [
  'new',
  'expansion',
  'contraction',
  'churn',
  'reactivation',
  'comp',
  'comp_end',
] as const;
export type MovementType = (typeof movementTypes)[number];

/** What analytics keeps per tenant to classify its next change. */
export interface TenantMrrState {
  readonly tenantId: string;
  /** Current MRR, minor units. */
  readonly mrr: number;
  readonly currency: string;
  readonly plan: PlanId;
  /** Whether the tenant ever paid: a later 0 → >0 is a reactivation, not new. */
  readonly everPaid: boolean;
  /** The tenant's MRR at the start of the (UTC) month of `occurredAt`. */
  readonly monthStartMrr: number;
  /** When the change this state reflects happened (ISO, the Stripe event's time). */
  readonly occurredAt: string;
  /** The subscription event that made this state. */
  readonly eventId: string;
  /**
   * Whether an operator's comp took this tenant's MRR away and still holds it (absent on states
   * stored before comps: no). Its end is then `comp_end`.
   */
  readonly comped?: boolean;
}

/** A change of a tenant's MRR as the subscription events tell it. */
export interface MrrChange {
  readonly eventId: string;
  readonly tenantId: string;
  /** The MRR after the change (the event's `amount`), minor units. */
  readonly amount: number;
  readonly currency: string;
  readonly plan: PlanId;
  /** When the change happened at Stripe (ISO). */
  readonly occurredAt: string;
  /**
   * The subscription's status after the change, when the event says (the ledger keeps a tenant in
   * the reconciliation's index while its status is live, even at MRR 0: a trial whose conversion
   * was lost is found).
   */
  readonly status?: SubscriptionStatus;
  /** After the change an operator's comp holds the subscription's MRR (the event's `comp`). */
  readonly comp?: boolean;
}

export interface Movement {
  readonly tenantId: string;
  readonly type: MovementType;
  /** mrrAfter - mrrBefore: positive for new, expansion, reactivation; negative otherwise. */
  readonly delta: number;
  readonly mrrBefore: number;
  readonly mrrAfter: number;
  readonly planBefore: PlanId;
  readonly planAfter: PlanId;
  readonly currency: string;
  /** The originating subscription event. */
  readonly eventId: string;
  /** When it happened (the Stripe event's time), and its UTC day and month. */
  readonly occurredAt: string;
  readonly day: string;
  readonly month: string;
  /**
   * The tenant's MRR at the start of the movement's month: > 0 means the tenant is one of the
   * month's starting customers (S), which the retention rates (NRR, GRR, logo churn) follow.
   */
  readonly monthStartMrr: number;
}

export type MrrOutcome =
  | { readonly kind: 'stale' }
  | { readonly kind: 'applied'; readonly state: TenantMrrState; readonly movement: Movement | null };

/** The UTC day (`YYYY-MM-DD`) of an ISO time. */
export const dayOf = (iso: string): string => new Date(iso).toISOString().slice(0, 10);
/** The UTC month (`YYYY-MM`) of an ISO time. */
export const monthOf = (iso: string): string => new Date(iso).toISOString().slice(0, 7);

/**
 * The movement type of an MRR change, or null when the MRR did not change. A comp starting that
 * lowers the MRR is `comp`; a comp ending that raises it is `comp_end`.
 */
export function classifyMovement(
  mrrBefore: number,
  mrrAfter: number,
  everPaid: boolean,
  comp: { readonly before: boolean; readonly after: boolean } = { before: false, after: false },
): MovementType | null {
  if (mrrAfter === mrrBefore) return null;
  if (!comp.before && comp.after && mrrAfter < mrrBefore) return 'comp';
  if (comp.before && !comp.after && mrrAfter > mrrBefore) return 'comp_end';
  if (mrrBefore === 0) return everPaid ? 'reactivation' : 'new';
  if (mrrAfter === 0) return 'churn';
  return mrrAfter > mrrBefore ? 'expansion' : 'contraction';
}

/**
 * Applies one change to a tenant's MRR state (undefined: the tenant never had one, MRR 0). A change
 * older than the state's is stale. A change at the same time is applied (one Stripe event may yield
 * several subscription events; the consumer's per-event mark keeps each to one application).
 */
export function applyMrrChange(state: TenantMrrState | undefined, change: MrrChange): MrrOutcome {
  const at = new Date(change.occurredAt).toISOString();
  if (state && at < state.occurredAt) return { kind: 'stale' };
  const mrrBefore = state?.mrr ?? 0;
  const mrrAfter = Math.max(0, change.amount);
  const everPaid = state?.everPaid ?? false;
  const monthStartMrr = state && monthOf(state.occurredAt) === monthOf(at) ? state.monthStartMrr : mrrBefore;
  const compedBefore = state?.comped ?? false;
  const compedAfter = change.comp ?? false;
  const type = classifyMovement(mrrBefore, mrrAfter, everPaid, { before: compedBefore, after: compedAfter });
  const next: TenantMrrState = {
    tenantId: change.tenantId,
    mrr: mrrAfter,
    currency: change.currency,
    plan: change.plan,
    everPaid: everPaid || mrrAfter > 0,
    monthStartMrr,
    occurredAt: at,
    eventId: change.eventId,
    // Comped only once a comp took MRR away: a comp of a tenant paying nothing yet (a trial) ends in
    // its first payment, which is `new`, not `comp_end`.
    comped: compedAfter && (compedBefore || type === 'comp'),
  };
  const movement: Movement | null = type && {
    tenantId: change.tenantId,
    type,
    delta: mrrAfter - mrrBefore,
    mrrBefore,
    mrrAfter,
    planBefore: state?.plan ?? 'free',
    planAfter: change.plan,
    currency: change.currency,
    eventId: change.eventId,
    occurredAt: at,
    day: dayOf(at),
    month: monthOf(at),
    monthStartMrr,
  };
  return { kind: 'applied', state: next, movement };
}

/**
 * Replays changes in arrival order the way the consumer does (each event id at most once, stale
 * ones ignored) and returns the movements and final states. The reference model for tests and for
 * backfills computed in memory.
 */
export function replayMrrChanges(
  changes: Iterable<MrrChange>,
  initial: ReadonlyMap<string, TenantMrrState> = new Map(),
): { movements: Movement[]; states: Map<string, TenantMrrState> } {
  const states = new Map(initial);
  const seen = new Set<string>();
  const movements: Movement[] = [];
  for (const change of changes) {
    if (seen.has(change.eventId)) continue;
    seen.add(change.eventId);
    const outcome = applyMrrChange(states.get(change.tenantId), change);
    if (outcome.kind === 'stale') continue;
    states.set(change.tenantId, outcome.state);
    if (outcome.movement) movements.push(outcome.movement);
  }
  return { movements, states };
}
