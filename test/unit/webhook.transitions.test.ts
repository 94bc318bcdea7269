import { describe, expect, it } from 'vitest';
import { entitlementsOf } from '#shared/billing/entitlements.ts';
import { plans } from '#shared/billing/plans.ts';
import type { SubscriptionSnapshot } from '#shared/billing/webhooks/subscription-snapshot.ts';
import {
  applyInvoicePaid,
  applyPaymentFailed,
  applySubscriptionSnapshot,
  type BillingRecord,
  emptyBillingRecord,
  isAmbiguousSnapshot,
  recurringAmountOf,
  restrictForNonPayment,
  type TransitionMeta,
} from '#shared/billing/webhooks/transitions.ts';

const TENANT = '01jf00000000000000000000tt';
const T0 = Math.floor(Date.parse('2026-03-01T12:00:00.000Z') / 1000);
const NOW = '2026-03-01T12:00:05.000Z';

const meta = (created: number): TransitionMeta => ({ created, now: NOW, graceDays: 7 });

function snapshot(overrides: Partial<SubscriptionSnapshot> = {}): SubscriptionSnapshot {
  return {
    subscriptionId: 'sub_1',
    customerId: 'cus_1',
    status: 'active',
    plan: 'team',
    interval: 'month',
    currentPeriodEnd: '2026-04-01T12:00:00.000Z',
    cancelAtPeriodEnd: false,
    trialEnd: null,
    monthlyAmount: { amount: 2900, currency: 'usd' },
    ...overrides,
  };
}

const empty = () => emptyBillingRecord(TENANT, NOW);

/** Applies a snapshot that must not be stale and returns the move. */
function applied(previous: BillingRecord, snap: SubscriptionSnapshot, created: number) {
  const outcome = applySubscriptionSnapshot(previous, snap, meta(created));
  if (outcome.kind !== 'applied') throw new Error(`unexpectedly stale: ${outcome.reason}`);
  return outcome;
}

/** A tenant with a live subscription applied at T0. */
const activeRecord = (overrides: Partial<SubscriptionSnapshot> = {}) =>
  applied(empty(), snapshot(overrides), T0).next;

describe('a second live subscription', () => {
  it("keeps the first subscription's plan and records the second as a duplicate", () => {
    const previous = activeRecord();
    const outcome = applySubscriptionSnapshot(
      previous,
      snapshot({ subscriptionId: 'sub_2', plan: 'business', interval: 'year' }),
      meta(T0 + 5),
    );
    expect(outcome).toMatchObject({ kind: 'applied', duplicate: 'detected', emits: [] });
    if (outcome.kind !== 'applied') return;
    expect(outcome.next).toMatchObject({ subscriptionId: 'sub_1', plan: 'team', interval: 'month' });
    expect(outcome.next.duplicateSubscriptions).toEqual([
      {
        subscriptionId: 'sub_2',
        status: 'active',
        plan: 'business',
        interval: 'year',
        detectedAt: '2026-03-01T12:00:05.000Z',
        stripeUpdatedAt: T0 + 5,
      },
    ]);
  });

  it('does not flip the plan back and forth as both subscriptions send updates', () => {
    let record = activeRecord();
    for (const [n, id] of [
      [1, 'sub_2'],
      [2, 'sub_1'],
      [3, 'sub_2'],
    ] as const) {
      const plan = id === 'sub_2' ? 'business' : 'team';
      record = applied(record, snapshot({ subscriptionId: id, plan }), T0 + n).next;
      expect(record).toMatchObject({ subscriptionId: 'sub_1', plan: 'team' });
    }
    expect(record.duplicateSubscriptions.map((d) => d.subscriptionId)).toEqual(['sub_2']);
  });

  it('drops the duplicate when it ends', () => {
    const withDuplicate = applied(activeRecord(), snapshot({ subscriptionId: 'sub_2' }), T0 + 5).next;
    const outcome = applySubscriptionSnapshot(
      withDuplicate,
      snapshot({ subscriptionId: 'sub_2', status: 'canceled' }),
      meta(T0 + 6),
    );
    expect(outcome).toMatchObject({ kind: 'applied', duplicate: 'ended', emits: [] });
    if (outcome.kind === 'applied') expect(outcome.next.duplicateSubscriptions).toEqual([]);
  });

  it('asks for verification of a live other subscription older than the held state', () => {
    const previous = applied(activeRecord(), snapshot({ cancelAtPeriodEnd: true }), T0 + 20).next;
    const outcome = applySubscriptionSnapshot(previous, snapshot({ subscriptionId: 'sub_0' }), meta(T0 + 10));
    expect(outcome.kind).toBe('verify');
  });

  it('lets the duplicate take over once the first has ended, and no longer lists it', () => {
    const withDuplicate = applied(activeRecord(), snapshot({ subscriptionId: 'sub_2' }), T0 + 5).next;
    const ended = applied(withDuplicate, snapshot({ status: 'canceled' }), T0 + 6).next;
    const move = applied(ended, snapshot({ subscriptionId: 'sub_2', plan: 'business' }), T0 + 6);
    expect(move.next).toMatchObject({
      subscriptionId: 'sub_2',
      plan: 'business',
      duplicateSubscriptions: [],
    });
  });
});

describe('same-second snapshots', () => {
  it('calls a differing snapshot of the held subscription in the same second ambiguous', () => {
    expect(isAmbiguousSnapshot(activeRecord(), snapshot({ status: 'incomplete' }), T0)).toBe(true);
  });

  it('does not call an identical snapshot in the same second ambiguous', () => {
    expect(isAmbiguousSnapshot(activeRecord(), snapshot(), T0)).toBe(false);
  });

  it('does not call a snapshot of a later second ambiguous', () => {
    expect(isAmbiguousSnapshot(activeRecord(), snapshot({ status: 'incomplete' }), T0 + 1)).toBe(false);
  });
});

describe('subscription snapshots', () => {
  it('starts the first live subscription with Subscription Started', () => {
    const move = applied(empty(), snapshot(), T0);
    expect(move.emits).toEqual(['Subscription Started v1']);
    expect(move.next).toMatchObject({
      plan: 'team',
      interval: 'month',
      status: 'active',
      stripeUpdatedAt: T0,
    });
    expect(move.next.startedAt).toBe('2026-03-01T12:00:00.000Z');
  });

  it('records an incomplete subscription without any event', () => {
    const move = applied(empty(), snapshot({ status: 'incomplete' }), T0);
    expect(move.emits).toEqual([]);
    expect(move.next.startedAt).toBeNull();
  });

  it('emits Subscription Changed when a trial converts to active, since its MRR goes from 0 to the price', () => {
    const trialing = activeRecord({ status: 'trialing' });
    const move = applied(trialing, snapshot(), T0 + 10);
    expect(move.emits).toEqual(['Subscription Changed v1']);
    expect(recurringAmountOf(move.previous).amount).toBe(0);
    expect(recurringAmountOf(move.next).amount).toBe(2900);
  });

  it('emits nothing when an active subscription is renewed at the same price', () => {
    expect(applied(activeRecord(), snapshot(), T0 + 10).emits).toEqual([]);
  });

  it('emits Subscription Changed when the plan, interval or quantity changes', () => {
    const previous = activeRecord();
    const move = applied(
      previous,
      snapshot({ plan: 'business', monthlyAmount: { amount: 9900, currency: 'usd' } }),
      T0 + 10,
    );
    expect(move.emits).toEqual(['Subscription Changed v1']);
    expect(recurringAmountOf(move.previous).amount).toBe(2900);
    expect(recurringAmountOf(move.next).amount).toBe(9900);
  });

  it('ignores a snapshot older than the one applied', () => {
    const previous = applied(activeRecord(), snapshot({ plan: 'business' }), T0 + 20).next;
    const outcome = applySubscriptionSnapshot(previous, snapshot({ plan: 'team' }), meta(T0 + 10));
    expect(outcome.kind).toBe('stale');
  });

  it('applies a snapshot with the same time as the one applied', () => {
    const outcome = applySubscriptionSnapshot(
      activeRecord(),
      snapshot({ cancelAtPeriodEnd: true }),
      meta(T0),
    );
    expect(outcome.kind).toBe('applied');
  });

  it("ignores an ended subscription's late event while another subscription is live", () => {
    const previous = activeRecord({ subscriptionId: 'sub_new' });
    const outcome = applySubscriptionSnapshot(
      previous,
      snapshot({ subscriptionId: 'sub_old', status: 'canceled' }),
      meta(T0 + 5),
    );
    expect(outcome.kind).toBe('stale');
  });

  it('never revives a subscription already held as canceled', () => {
    const canceled = applied(activeRecord(), snapshot({ status: 'canceled' }), T0 + 10).next;
    const outcome = applySubscriptionSnapshot(canceled, snapshot({ status: 'active' }), meta(T0 + 20));
    expect(outcome.kind).toBe('stale');
  });

  it('emits Subscription Canceled on deletion and falls to the free plan', () => {
    const move = applied(activeRecord(), snapshot({ status: 'canceled' }), T0 + 10);
    expect(move.emits).toEqual(['Subscription Canceled v1']);
    expect(entitlementsOf(move.next)).toEqual(plans.free.entitlements);
    expect(recurringAmountOf(move.next).amount).toBe(0);
  });

  it('treats a new subscription after a cancellation as a reactivation', () => {
    const canceled = applied(activeRecord(), snapshot({ status: 'canceled' }), T0 + 10).next;
    const move = applied(canceled, snapshot({ subscriptionId: 'sub_2' }), T0 + 20);
    expect(move.emits).toEqual(['Subscription Reactivated v1']);
    expect(move.next.subscriptionId).toBe('sub_2');
  });

  it('starts the grace period at the event time when the subscription goes past due', () => {
    const move = applied(activeRecord(), snapshot({ status: 'past_due' }), T0 + 60);
    expect(move.emits).toEqual(['Subscription Past Due v1']);
    expect(move.next.pastDueSince).toBe('2026-03-01T12:01:00.000Z');
    expect(move.next.graceEndsAt).toBe('2026-03-08T12:01:00.000Z');
    expect(move.next.restricted).toBe(false);
  });

  it('keeps the grace period and the restriction while it stays past due', () => {
    const pastDue = applied(activeRecord(), snapshot({ status: 'past_due' }), T0 + 60).next;
    const restricted = { ...pastDue, restricted: true };
    const move = applied(
      restricted,
      snapshot({ status: 'past_due', cancelAtPeriodEnd: true }),
      T0 + 3 * 86_400,
    );
    expect(move.emits).toEqual([]);
    expect(move.next).toMatchObject({ graceEndsAt: pastDue.graceEndsAt, restricted: true });
  });

  it('reactivates and lifts the restriction when a past-due subscription is active again', () => {
    const pastDue = {
      ...applied(activeRecord(), snapshot({ status: 'past_due' }), T0 + 60).next,
      restricted: true,
    };
    const move = applied(pastDue, snapshot(), T0 + 120);
    expect(move.emits).toEqual(['Subscription Reactivated v1']);
    expect(move.next).toMatchObject({
      status: 'active',
      pastDueSince: null,
      graceEndsAt: null,
      restricted: false,
    });
  });

  it('drops an unpaid subscription to free entitlements and lifts the restriction', () => {
    const pastDue = {
      ...applied(activeRecord(), snapshot({ status: 'past_due' }), T0 + 60).next,
      restricted: true,
    };
    const move = applied(pastDue, snapshot({ status: 'unpaid' }), T0 + 20 * 86_400);
    expect(move.emits).toEqual(['Subscription Canceled v1']);
    expect(move.next.restricted).toBe(false);
    expect(entitlementsOf(move.next)).toEqual(plans.free.entitlements);
  });

  it('keeps the status set by a newer payment outcome when an older snapshot arrives', () => {
    const failed = applyPaymentFailed(activeRecord(), 'sub_1', meta(T0 + 100));
    if (!failed) throw new Error('expected a move');
    const move = applied(failed.next, snapshot({ status: 'active', cancelAtPeriodEnd: true }), T0 + 50);
    expect(move.next.status).toBe('past_due');
    expect(move.next.cancelAtPeriodEnd).toBe(true);
  });

  it('applies a deletion even when a payment outcome is newer', () => {
    const paid = applyInvoicePaid(activeRecord(), 'sub_1', meta(T0 + 100));
    if (!paid) throw new Error('expected a move');
    const move = applied(paid.next, snapshot({ status: 'canceled' }), T0 + 50);
    expect(move.next.status).toBe('canceled');
  });
});

describe('payment outcomes', () => {
  it('moves an active subscription to past due when a payment fails', () => {
    const move = applyPaymentFailed(activeRecord(), 'sub_1', meta(T0 + 60));
    expect(move?.emits).toEqual(['Subscription Past Due v1']);
    expect(move?.next).toMatchObject({ status: 'past_due', graceEndsAt: '2026-03-08T12:01:00.000Z' });
  });

  it('keeps the first grace period when a retry fails again', () => {
    const first = applyPaymentFailed(activeRecord(), 'sub_1', meta(T0 + 60));
    const second = first && applyPaymentFailed(first.next, 'sub_1', meta(T0 + 3 * 86_400));
    expect(second?.emits).toEqual([]);
    expect(second?.next.graceEndsAt).toBe('2026-03-08T12:01:00.000Z');
  });

  it("leaves the state alone for another subscription's invoice", () => {
    expect(applyPaymentFailed(activeRecord(), 'sub_other', meta(T0 + 60))).toBeUndefined();
  });

  it('leaves the state alone for an outcome older than the status', () => {
    const paid = applyInvoicePaid(activeRecord(), 'sub_1', meta(T0 + 100));
    if (!paid) throw new Error('expected a move');
    expect(applyPaymentFailed(paid.next, 'sub_1', meta(T0 + 60))).toBeUndefined();
  });

  it('does not make an incomplete subscription past due', () => {
    const incomplete = applied(empty(), snapshot({ status: 'incomplete' }), T0).next;
    expect(applyPaymentFailed(incomplete, 'sub_1', meta(T0 + 60))?.next.status).toBe('incomplete');
  });

  it('recovers a restricted past-due subscription at once when an invoice is paid', () => {
    const failed = applyPaymentFailed(activeRecord(), 'sub_1', meta(T0 + 60));
    if (!failed) throw new Error('expected a move');
    const move = applyInvoicePaid({ ...failed.next, restricted: true }, 'sub_1', meta(T0 + 9 * 86_400));
    expect(move?.emits).toEqual(['Subscription Reactivated v1']);
    expect(move?.next).toMatchObject({
      status: 'active',
      restricted: false,
      pastDueSince: null,
      graceEndsAt: null,
    });
  });

  it('recovers an unpaid subscription when an invoice is paid', () => {
    const unpaid = applied(activeRecord(), snapshot({ status: 'unpaid' }), T0 + 60).next;
    const move = applyInvoicePaid(unpaid, 'sub_1', meta(T0 + 120));
    expect(move?.emits).toEqual(['Subscription Reactivated v1']);
    expect(move?.next.status).toBe('active');
  });

  it('records the time of a paid invoice without any event when already active', () => {
    const move = applyInvoicePaid(activeRecord(), 'sub_1', meta(T0 + 60));
    expect(move?.emits).toEqual([]);
    expect(move?.next.statusUpdatedAt).toBe(T0 + 60);
  });
});

describe('restrictForNonPayment', () => {
  const pastDue = () => {
    const failed = applyPaymentFailed(activeRecord(), 'sub_1', meta(T0));
    if (!failed) throw new Error('expected a move');
    return failed.next;
  };

  it('does nothing before the grace period ends', () => {
    expect(restrictForNonPayment(pastDue(), '2026-03-08T11:59:59.000Z')).toBeUndefined();
  });

  it('restricts once the grace period has ended', () => {
    const move = restrictForNonPayment(pastDue(), '2026-03-08T12:00:00.000Z');
    expect(move?.emits).toEqual(['Subscription Restricted v1']);
    expect(move?.next.restricted).toBe(true);
  });

  it('does nothing to a tenant already restricted or no longer past due', () => {
    expect(
      restrictForNonPayment({ ...pastDue(), restricted: true }, '2026-04-01T00:00:00.000Z'),
    ).toBeUndefined();
    expect(restrictForNonPayment(activeRecord(), '2026-04-01T00:00:00.000Z')).toBeUndefined();
  });
});
