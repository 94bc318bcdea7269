import { describe, expect, it } from 'vitest';
import { mrrChangeOf } from '#shared/analytics/movements.consumer.ts';
import {
  applyMrrChange,
  classifyMovement,
  type MrrChange,
  replayMrrChanges,
  type TenantMrrState,
} from '#shared/analytics/movements.ts';
import { monthlyAmountOf } from '#shared/billing/webhooks/amount.ts';

const TENANT = '01jf00000000000000000000tt';

let seq = 0;
function change(amount: number, occurredAt: string, overrides: Partial<MrrChange> = {}): MrrChange {
  seq += 1;
  return {
    eventId: `ev${String(seq).padStart(4, '0')}`,
    tenantId: TENANT,
    amount,
    currency: 'usd',
    plan: 'team',
    occurredAt,
    ...overrides,
  };
}

/** Applies a change that must not be stale. */
function applied(state: TenantMrrState | undefined, next: MrrChange) {
  const outcome = applyMrrChange(state, next);
  if (outcome.kind !== 'applied') throw new Error('unexpectedly stale');
  return outcome;
}

describe('classifyMovement', () => {
  it('calls the first 0 → >0 of a tenant new', () => {
    expect(classifyMovement(0, 2900, false)).toBe('new');
  });

  it('calls 0 → >0 after an earlier payment a reactivation', () => {
    expect(classifyMovement(0, 2900, true)).toBe('reactivation');
  });

  it('calls a rise from a paying MRR an expansion', () => {
    expect(classifyMovement(2900, 9900, true)).toBe('expansion');
  });

  it('calls a fall that stays above zero a contraction', () => {
    expect(classifyMovement(9900, 2900, true)).toBe('contraction');
  });

  it('calls a fall to zero churn', () => {
    expect(classifyMovement(2900, 0, true)).toBe('churn');
  });

  it('records no movement when the MRR does not change', () => {
    expect(classifyMovement(2900, 2900, true)).toBeNull();
  });
});

describe('applyMrrChange', () => {
  it('records a new movement with amounts, plans, event id and the event time', () => {
    const { movement } = applied(undefined, change(2900, '2026-03-03T10:00:00Z', { eventId: 'evA' }));
    expect(movement).toEqual({
      tenantId: TENANT,
      type: 'new',
      delta: 2900,
      mrrBefore: 0,
      mrrAfter: 2900,
      planBefore: 'free',
      planAfter: 'team',
      currency: 'usd',
      eventId: 'evA',
      occurredAt: '2026-03-03T10:00:00.000Z',
      day: '2026-03-03',
      month: '2026-03',
      monthStartMrr: 0,
    });
  });

  it('records nothing for a trial (MRR 0) and a new movement when it converts', () => {
    const trial = applied(undefined, change(0, '2026-02-20T00:00:00Z'));
    expect(trial.movement).toBeNull();
    const converted = applied(trial.state, change(2900, '2026-03-06T00:00:00Z'));
    expect(converted.movement).toMatchObject({ type: 'new', delta: 2900, day: '2026-03-06' });
  });

  it('counts an annual plan at a twelfth of its price', () => {
    const annual = monthlyAmountOf({
      currency: 'usd',
      items: [{ unitAmount: 29_000, quantity: 1, interval: 'year', intervalCount: 1 }],
    });
    const { movement } = applied(undefined, change(annual, '2026-03-01T00:00:00Z'));
    expect(movement).toMatchObject({ type: 'new', delta: 2417 });
  });

  it('dates a downgrade at period end by the renewal, not by when it was scheduled', () => {
    const start = applied(undefined, change(9900, '2026-02-20T00:00:00Z', { plan: 'business' })).state;
    // Scheduling the downgrade changes nothing billed: same amount, no movement.
    const scheduled = applied(start, change(9900, '2026-03-05T00:00:00Z', { plan: 'business' }));
    expect(scheduled.movement).toBeNull();
    const renewed = applied(scheduled.state, change(2900, '2026-03-20T00:00:00Z'));
    expect(renewed.movement).toMatchObject({
      type: 'contraction',
      delta: -7000,
      planBefore: 'business',
      planAfter: 'team',
      day: '2026-03-20',
    });
  });

  it('records churn then reactivation in one month, both against the same month start', () => {
    const paying = applied(undefined, change(2900, '2026-02-01T00:00:00Z')).state;
    const churned = applied(paying, change(0, '2026-03-10T00:00:00Z'));
    const back = applied(churned.state, change(2900, '2026-03-25T00:00:00Z'));
    expect(churned.movement).toMatchObject({ type: 'churn', delta: -2900, monthStartMrr: 2900 });
    expect(back.movement).toMatchObject({ type: 'reactivation', delta: 2900, monthStartMrr: 2900 });
  });

  it('ignores a change older than the one the state holds', () => {
    const state = applied(undefined, change(9900, '2026-03-10T00:00:00Z')).state;
    expect(applyMrrChange(state, change(2900, '2026-03-09T00:00:00Z')).kind).toBe('stale');
  });

  it('measures a movement from the MRR held, not from what the event says came before', () => {
    const state = applied(undefined, change(2900, '2026-03-01T00:00:00Z')).state;
    // The event of a 2900 → 5800 change overtaken: the state went straight on to 9900.
    const next = applied(state, change(9900, '2026-03-02T00:00:00Z'));
    expect(next.movement).toMatchObject({ type: 'expansion', mrrBefore: 2900, delta: 7000 });
  });

  it('takes the month start from the state when the first change of a month comes', () => {
    const january = applied(undefined, change(2900, '2026-01-15T00:00:00Z')).state;
    const march = applied(january, change(9900, '2026-03-02T00:00:00Z'));
    expect(march.state.monthStartMrr).toBe(2900);
    expect(march.movement?.monthStartMrr).toBe(2900);
  });
});

describe('replayMrrChanges', () => {
  it('applies each event id once', () => {
    const first = change(2900, '2026-03-01T00:00:00Z');
    const { movements } = replayMrrChanges([first, first, first]);
    expect(movements).toHaveLength(1);
  });
});

describe('comps', () => {
  const comped = (amount: number, occurredAt: string) => change(amount, occurredAt, { comp: true });

  it('records a comp, not churn, when a comp takes a paying tenant to 0', () => {
    const paying = applied(undefined, change(2900, '2026-03-01T00:00:00Z')).state;
    const outcome = applied(paying, comped(0, '2026-03-05T00:00:00Z'));
    expect(outcome.movement).toMatchObject({ type: 'comp', delta: -2900, mrrBefore: 2900, mrrAfter: 0 });
  });

  it('records comp_end, not a reactivation, when the comp ends and the tenant pays again', () => {
    const paying = applied(undefined, change(2900, '2026-03-01T00:00:00Z')).state;
    const compState = applied(paying, comped(0, '2026-03-05T00:00:00Z')).state;
    const outcome = applied(compState, change(9900, '2026-06-05T00:00:00Z'));
    expect(outcome.movement).toMatchObject({ type: 'comp_end', delta: 9900, mrrBefore: 0, mrrAfter: 9900 });
  });

  it('records a new customer, not comp_end, when a comped trial ends in its first payment', () => {
    const trial = applied(undefined, comped(0, '2026-03-01T00:00:00Z')).state;
    const outcome = applied(trial, change(2900, '2026-04-01T00:00:00Z'));
    expect(outcome.movement?.type).toBe('new');
  });

  it('records nothing when a comped tenant cancels (its MRR is already 0), and churn-free history after', () => {
    const paying = applied(undefined, change(2900, '2026-03-01T00:00:00Z')).state;
    const compState = applied(paying, comped(0, '2026-03-05T00:00:00Z')).state;
    const canceled = applied(compState, change(0, '2026-03-20T00:00:00Z', { status: 'canceled' }));
    expect(canceled.movement).toBeNull();
    const back = applied(canceled.state, change(2900, '2026-05-01T00:00:00Z'));
    expect(back.movement?.type).toBe('reactivation');
  });

  it('calls a comp starting on an unchanged MRR nothing', () => {
    expect(classifyMovement(0, 0, true, { before: false, after: true })).toBeNull();
  });
});

describe('what moves MRR', () => {
  const detail = {
    eventId: 'ev-r1',
    tenantId: TENANT,
    subscriptionId: 'sub_1',
    plan: 'team',
    interval: 'month',
    status: 'active',
    amount: { amount: 2900, currency: 'usd' },
    previousAmount: { amount: 2900, currency: 'usd' },
    stripeEventId: 'evt_1',
    occurredAt: '2026-03-05T00:00:00.000Z',
  };

  it('takes no MRR change from a refund: refunds never change MRR', () => {
    const refund = {
      ...detail,
      refundId: 're_1',
      chargeId: 'ch_1',
      refundAmount: { amount: 2900, currency: 'usd' },
      reason: null,
    };
    expect(
      mrrChangeOf({ id: 'b1', 'detail-type': 'Refund Issued v1', source: 'plinth', detail: refund }),
    ).toBeUndefined();
  });

  it("carries a subscription event's comp flag into the MRR change", () => {
    const change = mrrChangeOf({
      id: 'b2',
      'detail-type': 'Subscription Changed v1',
      source: 'plinth',
      detail: { ...detail, amount: { amount: 0, currency: 'usd' }, comp: true },
    });
    expect(change).toMatchObject({ amount: 0, comp: true });
  });
});
