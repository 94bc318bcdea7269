import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addMovement,
  grossMrrChurnRateOf,
  netNewMrrOf,
  noNpsAnswers,
  periodMetrics,
  startPeriod,
  sumMovements,
} from '#shared/analytics/metrics.ts';
import { type Movement, type MrrChange, monthOf, replayMrrChanges } from '#shared/analytics/movements.ts';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const HOUR = 3_600_000;

/**
 * A history of subscription changes in the order they happened: a few tenants, amounts including
 * zero (trials, cancellations), each at its own time (hours apart, over about four months).
 */
const historyArb: fc.Arbitrary<MrrChange[]> = fc
  .array(
    fc.record({
      tenantId: fc.constantFrom('ta', 'tb', 'tc', 'td'),
      amount: fc.oneof(fc.constantFrom(0, 0, 2417, 2900, 9900), fc.integer({ min: 0, max: 50_000 })),
      gap: fc.integer({ min: 1, max: 200 }),
    }),
    { maxLength: 40 },
  )
  .map((steps) => {
    let time = T0;
    return steps.map((step, index) => {
      time += step.gap * HOUR;
      return {
        eventId: `ev${String(index).padStart(3, '0')}`,
        tenantId: step.tenantId,
        amount: step.amount,
        currency: 'usd',
        plan: step.amount > 5000 ? ('business' as const) : ('team' as const),
        occurredAt: new Date(time).toISOString(),
      };
    });
  });

/**
 * A history with operators' comps: paying tenants (never 0 but for a comp) whose comps start (MRR
 * to 0, `comp`) and end (back to a price).
 */
const compHistoryArb: fc.Arbitrary<MrrChange[]> = fc
  .array(
    fc.record({
      tenantId: fc.constantFrom('ta', 'tb', 'tc', 'td'),
      amount: fc.constantFrom(2417, 2900, 9900),
      comp: fc.boolean(),
      gap: fc.integer({ min: 1, max: 200 }),
    }),
    { maxLength: 40 },
  )
  .map((steps) => {
    let time = T0;
    return steps.map((step, index) => {
      time += step.gap * HOUR;
      return {
        eventId: `ev${String(index).padStart(3, '0')}`,
        tenantId: step.tenantId,
        amount: step.comp ? 0 : step.amount,
        currency: 'usd',
        plan: step.amount > 5000 ? ('business' as const) : ('team' as const),
        occurredAt: new Date(time).toISOString(),
        ...(step.comp ? { comp: true } : {}),
      };
    });
  });

/** A history and the same events in an arbitrary arrival order. */
const shuffledHistoryArb = historyArb.chain((history) =>
  fc.tuple(fc.constant(history), fc.shuffledSubarray(history, { minLength: history.length })),
);

const sum = (values: Iterable<number>) => [...values].reduce((a, b) => a + b, 0);
const byEventId = (movements: Movement[]) =>
  [...movements].sort((a, b) => a.eventId.localeCompare(b.eventId));

/** Interleaves the tenants' own sequences in a random way: each tenant's order is kept. */
function interleave(history: MrrChange[], picks: number[]): MrrChange[] {
  const queues = new Map<string, MrrChange[]>();
  for (const change of history) queues.set(change.tenantId, [...(queues.get(change.tenantId) ?? []), change]);
  const out: MrrChange[] = [];
  let i = 0;
  while (out.length < history.length) {
    const open = [...queues.values()].filter((queue) => queue.length > 0);
    const queue = open[(picks[i++ % Math.max(1, picks.length)] ?? 0) % open.length];
    const next = queue?.shift();
    if (next) out.push(next);
  }
  return out;
}

describe('movement properties', () => {
  it('start MRR plus the sum of movements is the end MRR, in any arrival order', () => {
    fc.assert(
      fc.property(shuffledHistoryArb, ([, shuffled]) => {
        const { movements, states } = replayMrrChanges(shuffled);
        const endMrr = sum([...states.values()].map((state) => state.mrr));
        expect(0 + sum(movements.map((movement) => movement.delta))).toBe(endMrr);
      }),
    );
  });

  it('ends every tenant at the MRR of its latest change, in any arrival order', () => {
    fc.assert(
      fc.property(shuffledHistoryArb, ([history, shuffled]) => {
        const { states } = replayMrrChanges(shuffled);
        for (const [tenantId, state] of states) {
          const latest = history.filter((change) => change.tenantId === tenantId).at(-1);
          expect(state.mrr).toBe(latest?.amount);
        }
      }),
    );
  });

  it('gives the same movements when every event is delivered twice', () => {
    fc.assert(
      fc.property(historyArb, (history) => {
        const once = replayMrrChanges(history).movements;
        const twice = replayMrrChanges(history.flatMap((change) => [change, change])).movements;
        expect(twice).toEqual(once);
      }),
    );
  });

  it('gives the same movements when tenants interleave differently and redeliveries come late', () => {
    fc.assert(
      fc.property(
        historyArb,
        fc.array(fc.nat(), { minLength: 1, maxLength: 50 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        (history, picks, redeliveries) => {
          const once = replayMrrChanges(history).movements;
          const arrivals = interleave(history, picks);
          const late = redeliveries.flatMap((r) => (history.length ? [history[r % history.length]] : []));
          const replayed = replayMrrChanges([...arrivals, ...(late as MrrChange[])]).movements;
          expect(byEventId(replayed)).toEqual(byEventId(once));
        },
      ),
    );
  });

  it('accumulates a month from its movements exactly as computed from every tenant at its start and end', () => {
    fc.assert(
      fc.property(
        historyArb,
        fc.constantFrom('2026-01', '2026-02', '2026-03', '2026-04'),
        (history, month) => {
          const before = replayMrrChanges(history.filter((change) => monthOf(change.occurredAt) < month));
          const through = replayMrrChanges(history.filter((change) => monthOf(change.occurredAt) <= month));
          const start = new Map([...before.states].map(([id, state]) => [id, state.mrr]));
          const end = new Map([...through.states].map(([id, state]) => [id, state.mrr]));
          const inS = [...start].filter(([, mrr]) => mrr > 0);
          const monthMovements = through.movements.filter((movement) => movement.month === month);

          const totals = monthMovements.reduce(addMovement, startPeriod(sum(start.values()), inS.length));

          expect(totals.endMrr).toBe(sum(end.values()));
          expect(totals.endCustomers).toBe([...end.values()].filter((mrr) => mrr > 0).length);
          expect(totals.endMrrOfS).toBe(sum(inS.map(([id]) => end.get(id) ?? 0)));
          expect(totals.cappedEndMrrOfS).toBe(sum(inS.map(([id, s]) => Math.min(end.get(id) ?? 0, s))));
          expect(totals.churnedOfS).toBe(inS.filter(([id]) => (end.get(id) ?? 0) === 0).length);
          expect(totals.newCustomers).toBe(
            monthMovements.filter((movement) => movement.type === 'new').length,
          );
        },
      ),
    );
  });

  it('with comps, start MRR plus the sum of every movement (comps included) is the end MRR', () => {
    fc.assert(
      fc.property(
        compHistoryArb.chain((history) => fc.shuffledSubarray(history, { minLength: history.length })),
        (arrivals) => {
          const { movements, states } = replayMrrChanges(arrivals);
          const endMrr = sum([...states.values()].map((state) => state.mrr));
          expect(sum(movements.map((movement) => movement.delta))).toBe(endMrr);
          expect(netNewMrrOf(sumMovements(movements))).toBe(endMrr);
        },
      ),
    );
  });

  it('never calls a comp churn nor its end a reactivation', () => {
    fc.assert(
      fc.property(compHistoryArb, (history) => {
        const types = new Set(replayMrrChanges(history).movements.map((movement) => movement.type));
        expect(types.has('churn')).toBe(false);
        expect(types.has('reactivation')).toBe(false);
      }),
    );
  });

  it('leaves comps out of logo churn, MRR churn and the quick ratio, but not out of MRR and customers', () => {
    fc.assert(
      fc.property(
        compHistoryArb,
        fc.constantFrom('2026-01', '2026-02', '2026-03', '2026-04'),
        (history, month) => {
          const before = replayMrrChanges(history.filter((change) => monthOf(change.occurredAt) < month));
          const through = replayMrrChanges(history.filter((change) => monthOf(change.occurredAt) <= month));
          const start = [...before.states.values()].map((state) => state.mrr);
          const end = [...through.states.values()].map((state) => state.mrr);
          const monthMovements = through.movements.filter((movement) => movement.month === month);
          const totals = monthMovements.reduce(
            addMovement,
            startPeriod(sum(start), start.filter((mrr) => mrr > 0).length),
          );
          const metrics = periodMetrics(totals, { spend: null, lastCompleteMonths: [], nps: noNpsAnswers });

          expect(totals.endMrr).toBe(sum(end));
          expect(totals.endCustomers).toBe(end.filter((mrr) => mrr > 0).length);
          expect(totals.churnedOfS).toBe(0);
          expect(metrics.logoChurnRate === null || metrics.logoChurnRate === 0).toBe(true);
          // Only price changes between comps count as lost MRR (contractions of customers paying
          // at the start) and move the quick ratio: comps never enter them.
          const withoutComps = monthMovements.filter((m) => m.type !== 'comp' && m.type !== 'comp_end');
          const contractedOfS = withoutComps
            .filter((m) => m.type === 'contraction' && m.monthStartMrr > 0)
            .map((m) => -m.delta);
          expect(totals.lostMrrOfS).toBe(sum(contractedOfS));
          expect(metrics.grossMrrChurnRate).toBe(grossMrrChurnRateOf(sum(contractedOfS), sum(start)));
          const sums = sumMovements(withoutComps);
          const gained = sums.new + sums.expansion + sums.reactivation;
          const lost = -(sums.contraction + sums.churn);
          expect(metrics.quickRatio).toBe(lost === 0 ? null : gained / lost);
        },
      ),
    );
  });
});
