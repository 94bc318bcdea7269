import type { SubscriptionEventType } from '../../events/subscription-events.ts';
import type {
  BillingDispute,
  BillingState,
  DuplicateSubscription,
  SubscriptionStatus,
} from '../billing.schema.ts';
import { freeBillingState } from '../free-billing-state.ts';
import { grantsPaidPlan } from '../subscription-status.ts';
import { recurringAmountOf } from './amount.ts';
import { isoFromEpoch, type SubscriptionSnapshot } from './subscription-snapshot.ts';

/**
 * The pure state machine of the mirrored billing state: how a subscription snapshot, a payment
 * outcome or the end of a grace period moves a tenant's billing item, and which subscription
 * events each move yields. No I/O: the webhook handlers and the dunning sweep read the item, call
 * these, and write the result with its events in one transaction.
 *
 * Order safety. Events arrive late, twice or out of order, so state only moves forward:
 * - the subscription's fields (plan, interval, amount, period, cancel flags) take a snapshot only
 *   from an event at least as new as the one they hold (`stripeUpdatedAt`);
 * - `status` is moved by snapshots and by payment outcomes (`invoice.paid`/`payment_failed`), so it
 *   keeps the time of whichever set it last (`statusUpdatedAt`) and an older one leaves it alone;
 * - `canceled` and `incomplete_expired` are final for a subscription: nothing moves it back;
 * - a tenant follows one subscription: a second live one is recorded as a duplicate (the first
 *   keeps deciding the plan) until it ends, or until the first ends and it takes over.
 */

/** A duplicate subscription with the time of the event that last described it. */
export interface DuplicateSubscriptionRecord extends DuplicateSubscription {
  readonly stripeUpdatedAt: number;
}

/** A dispute with the time of the event that last described it. */
export interface DisputeRecord extends BillingDispute {
  readonly stripeUpdatedAt: number;
}

/** The billing item as stored: the mirrored state plus the bookkeeping that keeps it in order. */
export interface BillingRecord extends Omit<BillingState, 'duplicateSubscriptions' | 'disputes'> {
  readonly duplicateSubscriptions: readonly DuplicateSubscriptionRecord[];
  readonly disputes: readonly DisputeRecord[];
  /** Optimistic lock: each write adds one and expects what it read (null: never written by us). */
  readonly version: number | null;
  /** `created` of the event that last set `status` (a snapshot or a payment outcome). */
  readonly statusUpdatedAt: number;
  /** When a subscription of this tenant first went live: a later one is a reactivation. */
  readonly startedAt: string | null;
}

/** Statuses a subscription never leaves. */
const FINAL: ReadonlySet<SubscriptionStatus> = new Set(['canceled', 'incomplete_expired']);

/** Live for the lifecycle events and MRR: the paid plan applies (see subscription-status.ts). */
export const isLive = grantsPaidPlan;

/** The subscription events that describe a change of the billing item itself. */
export type LifecycleEventType = Extract<
  SubscriptionEventType,
  | 'Subscription Started v1'
  | 'Subscription Changed v1'
  | 'Subscription Past Due v1'
  | 'Subscription Restricted v1'
  | 'Subscription Canceled v1'
  | 'Subscription Reactivated v1'
>;

/** A move of the billing item: the new record and the lifecycle events it yields, in order. */
export interface Transition {
  readonly previous: BillingRecord;
  readonly next: BillingRecord;
  readonly emits: readonly LifecycleEventType[];
}

export interface TransitionMeta {
  /** The Stripe event's `created` (epoch seconds). */
  readonly created: number;
  /** Processing time (ISO), stored as `updatedAt`. */
  readonly now: string;
  /** Days of full access after a payment fails. */
  readonly graceDays: number;
}

/** The record of a tenant that has no billing item yet. */
export function emptyBillingRecord(tenantId: string, now: string): BillingRecord {
  return {
    ...freeBillingState(tenantId, now),
    duplicateSubscriptions: [],
    disputes: [],
    version: null,
    statusUpdatedAt: 0,
    startedAt: null,
  };
}

const addDays = (iso: string, days: number): string =>
  new Date(Date.parse(iso) + days * 24 * 60 * 60 * 1000).toISOString();

/**
 * The dunning fields for a record moving to `status`: entering `past_due` starts the grace period
 * at the event's time (a late delivery does not lengthen it); staying keeps it; leaving clears it
 * and lifts any restriction (payment recovered, or the plan fell to free after a final failure).
 */
function withDunning(
  previous: BillingRecord,
  status: SubscriptionStatus,
  created: number,
  graceDays: number,
) {
  if (status !== 'past_due') {
    return { pastDueSince: null, graceEndsAt: null, restricted: false };
  }
  if (previous.status === 'past_due' && previous.pastDueSince && previous.graceEndsAt) {
    return {
      pastDueSince: previous.pastDueSince,
      graceEndsAt: previous.graceEndsAt,
      restricted: previous.restricted,
    };
  }
  const since = isoFromEpoch(created);
  return { pastDueSince: since, graceEndsAt: addDays(since, graceDays), restricted: false };
}

/** The lifecycle events between two records of the same tenant. */
export function lifecycleEvents(previous: BillingRecord, next: BillingRecord): LifecycleEventType[] {
  const wasLive = isLive(previous.status);
  const nowLive = isLive(next.status);
  const events: LifecycleEventType[] = [];
  if (!wasLive && nowLive) {
    events.push(previous.startedAt ? 'Subscription Reactivated v1' : 'Subscription Started v1');
    if (next.status === 'past_due') events.push('Subscription Past Due v1');
    return events;
  }
  if (wasLive && !nowLive) return ['Subscription Canceled v1'];
  if (!wasLive && !nowLive) return [];
  if (previous.status !== 'past_due' && next.status === 'past_due') events.push('Subscription Past Due v1');
  if (previous.status === 'past_due' && next.status !== 'past_due')
    events.push('Subscription Reactivated v1');
  if (
    previous.subscriptionId !== next.subscriptionId ||
    previous.plan !== next.plan ||
    previous.interval !== next.interval ||
    previous.monthlyAmount.amount !== next.monthlyAmount.amount ||
    previous.monthlyAmount.currency !== next.monthlyAmount.currency ||
    // A trial converting to active (or a trial whose payment fails) changes MRR at the same price.
    recurringAmountOf(previous).amount !== recurringAmountOf(next).amount
  ) {
    events.push('Subscription Changed v1');
  }
  return events;
}

/** Completes a move: records when the tenant first went live, and lists its events. */
function settle(previous: BillingRecord, next: BillingRecord, created: number): Transition {
  const startedAt = previous.startedAt ?? (isLive(next.status) ? isoFromEpoch(created) : null);
  const settled: BillingRecord = { ...next, startedAt };
  return { previous, next: settled, emits: lifecycleEvents(previous, settled) };
}

export type SnapshotOutcome =
  | { readonly kind: 'stale'; readonly reason: string }
  /**
   * A live snapshot of another subscription, older than the held state: a late event of a
   * subscription that has ended since, or a second live subscription. Ask Stripe for its state now
   * and apply that with `current`.
   */
  | { readonly kind: 'verify'; readonly reason: string }
  | ({
      readonly kind: 'applied';
      /** How the snapshot touched the duplicate list, when it was of another subscription. */
      readonly duplicate?: 'detected' | 'updated' | 'ended';
    } & Transition);

export interface SnapshotOptions {
  /**
   * The snapshot was fetched from Stripe just now (the event's own was ambiguous): it is the
   * subscription's present state, dated by the event that caused the fetch.
   */
  readonly current?: boolean;
}

const withoutDuplicate = (previous: BillingRecord, subscriptionId: string) =>
  previous.duplicateSubscriptions.filter((d) => d.subscriptionId !== subscriptionId);

/**
 * A snapshot of another subscription while the held one is live. The held one keeps deciding the
 * plan (never flip between two); a live other one is recorded (or updated) as a duplicate, and
 * one that ended is dropped from the duplicates (or, never recorded, is a late event: stale).
 */
function applyOtherSubscription(
  previous: BillingRecord,
  snapshot: SubscriptionSnapshot,
  meta: TransitionMeta,
  options: SnapshotOptions,
): SnapshotOutcome {
  const existing = previous.duplicateSubscriptions.find((d) => d.subscriptionId === snapshot.subscriptionId);
  if (existing && meta.created < existing.stripeUpdatedAt && !options.current) {
    return { kind: 'stale', reason: 'older than the duplicate subscription state already applied' };
  }
  if (!isLive(snapshot.status)) {
    if (!existing)
      return { kind: 'stale', reason: `another subscription (${previous.subscriptionId}) is live` };
    const next: BillingRecord = {
      ...previous,
      duplicateSubscriptions: withoutDuplicate(previous, snapshot.subscriptionId),
      updatedAt: meta.now,
    };
    return { kind: 'applied', duplicate: 'ended', previous, next, emits: [] };
  }
  if (!existing && !options.current && meta.created < previous.stripeUpdatedAt) {
    return { kind: 'verify', reason: `a live ${snapshot.subscriptionId} older than the held state` };
  }
  const entry: DuplicateSubscriptionRecord = {
    subscriptionId: snapshot.subscriptionId,
    status: snapshot.status,
    plan: snapshot.plan,
    interval: snapshot.interval,
    detectedAt: existing?.detectedAt ?? isoFromEpoch(meta.created),
    stripeUpdatedAt: meta.created,
  };
  const next: BillingRecord = {
    ...previous,
    duplicateSubscriptions: [...withoutDuplicate(previous, snapshot.subscriptionId), entry],
    updatedAt: meta.now,
  };
  return { kind: 'applied', duplicate: existing ? 'updated' : 'detected', previous, next, emits: [] };
}

/**
 * Applies a subscription snapshot (any `customer.subscription.*` event). Stale, and so ignored:
 * a snapshot older than the one held; a snapshot reviving a subscription already held as final.
 * A snapshot of another subscription while the held one is live goes to the duplicates (see
 * {@link applyOtherSubscription}); otherwise it takes over (the held one has ended).
 */
export function applySubscriptionSnapshot(
  previous: BillingRecord,
  snapshot: SubscriptionSnapshot,
  meta: TransitionMeta,
  options: SnapshotOptions = {},
): SnapshotOutcome {
  const sameSubscription = previous.subscriptionId === snapshot.subscriptionId;
  if (!sameSubscription && previous.subscriptionId && isLive(previous.status)) {
    return applyOtherSubscription(previous, snapshot, meta, options);
  }
  if (meta.created < previous.stripeUpdatedAt) {
    return { kind: 'stale', reason: 'older than the subscription state already applied' };
  }
  if (sameSubscription && FINAL.has(previous.status) && !FINAL.has(snapshot.status)) {
    return { kind: 'stale', reason: `the subscription has already ended (${previous.status})` };
  }

  const statusWins =
    !sameSubscription || FINAL.has(snapshot.status) || meta.created >= previous.statusUpdatedAt;
  const status = statusWins ? snapshot.status : previous.status;
  const next: BillingRecord = {
    ...previous,
    plan: snapshot.plan,
    interval: snapshot.interval,
    status,
    customerId: snapshot.customerId,
    subscriptionId: snapshot.subscriptionId,
    currentPeriodEnd: snapshot.currentPeriodEnd,
    cancelAtPeriodEnd: snapshot.cancelAtPeriodEnd,
    trialEnd: snapshot.trialEnd,
    ...withDunning(previous, status, meta.created, meta.graceDays),
    monthlyAmount: snapshot.monthlyAmount,
    comp: snapshot.comp ?? null,
    stripeUpdatedAt: meta.created,
    statusUpdatedAt: statusWins ? meta.created : previous.statusUpdatedAt,
    updatedAt: meta.now,
    // A duplicate that takes over (the held one ended) is a duplicate no more.
    duplicateSubscriptions: withoutDuplicate(previous, snapshot.subscriptionId),
  };
  return { kind: 'applied', ...settle(previous, next, meta.created) };
}

/**
 * Whether an event's snapshot of the held subscription has the same `created` second as the state
 * held and says something else: the two events' order cannot be told from them, so the
 * subscription's present state must be asked of Stripe.
 */
export function isAmbiguousSnapshot(
  previous: BillingRecord,
  snapshot: SubscriptionSnapshot,
  created: number,
): boolean {
  if (previous.subscriptionId !== snapshot.subscriptionId) return false;
  if (created !== previous.stripeUpdatedAt && created !== previous.statusUpdatedAt) return false;
  return (
    previous.status !== snapshot.status ||
    previous.plan !== snapshot.plan ||
    previous.interval !== snapshot.interval ||
    previous.monthlyAmount.amount !== snapshot.monthlyAmount.amount ||
    previous.monthlyAmount.currency !== snapshot.monthlyAmount.currency ||
    previous.currentPeriodEnd !== snapshot.currentPeriodEnd ||
    previous.cancelAtPeriodEnd !== snapshot.cancelAtPeriodEnd ||
    previous.trialEnd !== snapshot.trialEnd ||
    (previous.comp?.discountId ?? null) !== (snapshot.comp?.discountId ?? null)
  );
}

/** Completes a move built in several steps: the events between the first and the last record. */
export function combineTransitions(first: Transition, last: Transition): Transition {
  return { previous: first.previous, next: last.next, emits: lifecycleEvents(first.previous, last.next) };
}

/**
 * `customer.discount.deleted` of the held comp's discount: the comp is over, and the subscription
 * charges its regular amount again. Undefined when the event does not end the comp held (another
 * discount, a comp already replaced, or an event older than the state held).
 */
export function applyCompEnded(
  previous: BillingRecord,
  discount: { readonly discountId: string; readonly subscriptionId: string | null },
  meta: TransitionMeta,
): Transition | undefined {
  const comp = previous.comp;
  if (!comp || comp.discountId !== discount.discountId) return undefined;
  if (discount.subscriptionId !== null && discount.subscriptionId !== previous.subscriptionId)
    return undefined;
  if (meta.created < previous.stripeUpdatedAt) return undefined;
  return settle(
    previous,
    {
      ...previous,
      comp: null,
      monthlyAmount: comp.regularMonthlyAmount,
      stripeUpdatedAt: meta.created,
      updatedAt: meta.now,
    },
    meta.created,
  );
}

/** Whether a payment outcome for `subscriptionId` speaks about the held subscription's status now. */
function paymentSpeaksFor(previous: BillingRecord, subscriptionId: string | null, created: number): boolean {
  return (
    subscriptionId !== null &&
    previous.subscriptionId === subscriptionId &&
    !FINAL.has(previous.status) &&
    created >= previous.statusUpdatedAt
  );
}

/** A payment outcome moves the status (`statusAfter`) and the dunning fields with it. */
function paymentOutcome(statusAfter: (status: SubscriptionStatus) => SubscriptionStatus) {
  return (
    previous: BillingRecord,
    subscriptionId: string | null,
    meta: TransitionMeta,
  ): Transition | undefined => {
    if (!paymentSpeaksFor(previous, subscriptionId, meta.created)) return undefined;
    const status = statusAfter(previous.status);
    return settle(
      previous,
      {
        ...previous,
        status,
        ...withDunning(previous, status, meta.created, meta.graceDays),
        statusUpdatedAt: meta.created,
        updatedAt: meta.now,
      },
      meta.created,
    );
  };
}

/**
 * `invoice.payment_failed`: a live, paying subscription goes `past_due` and its grace period starts.
 * Returns undefined when the held state does not change (another subscription's invoice, an older
 * event, a first invoice of an incomplete subscription, already past due: then only the event's
 * time is recorded, so an older snapshot cannot undo what this outcome says).
 */
export const applyPaymentFailed = paymentOutcome((status) =>
  status === 'active' || status === 'trialing' ? 'past_due' : status,
);

/**
 * `invoice.paid`: a `past_due` or `unpaid` subscription is active again at once, its grace period
 * and any restriction cleared. Returns undefined when the held state does not change.
 */
export const applyInvoicePaid = paymentOutcome((status) =>
  status === 'past_due' || status === 'unpaid' ? 'active' : status,
);

/**
 * The dunning sweep's move: a `past_due` tenant whose grace period ended by `now` is restricted
 * (writes get 402 until it pays). Undefined when it does not qualify (paid meanwhile, already
 * restricted, grace not over).
 */
export function restrictForNonPayment(previous: BillingRecord, now: string): Transition | undefined {
  if (previous.status !== 'past_due' || previous.restricted) return undefined;
  if (!previous.graceEndsAt || previous.graceEndsAt > now) return undefined;
  return {
    previous,
    next: { ...previous, restricted: true, updatedAt: now },
    emits: ['Subscription Restricted v1'],
  };
}

/** The MRR a state contributes; defined beside the amount itself (see amount.ts). */
export { recurringAmountOf } from './amount.ts';
