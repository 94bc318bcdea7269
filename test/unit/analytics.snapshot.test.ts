import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Movement, type MrrChange, replayMrrChanges } from '#shared/analytics/movements.ts';
import { type MetricsSnapshot, nextDay, rollDay, snapshotMetrics } from '#shared/analytics/snapshot.ts';
import type { PlanId } from '#shared/billing/plans.ts';

let n = 0;
const at = (tenantId: string, amount: number, occurredAt: string, plan: PlanId = 'team'): MrrChange => ({
  eventId: `ev${String(++n).padStart(4, '0')}`,
  tenantId,
  amount,
  currency: 'usd',
  plan,
  occurredAt,
});

/** Rolls every day from `from` through `to`, each from the one before. */
function rollRange(movements: readonly Movement[], from: string, to: string, start?: MetricsSnapshot) {
  const snapshots: MetricsSnapshot[] = [];
  let previous = start;
  for (let day = from; day <= to; day = nextDay(day)) {
    previous = rollDay(
      previous,
      day,
      movements.filter((movement) => movement.day === day),
    );
    snapshots.push(previous);
  }
  return snapshots;
}

describe('rollDay', () => {
  it("adds the day's movements to the previous day's MRR and customers", () => {
    const { movements } = replayMrrChanges([
      at('A', 2900, '2026-03-02T10:00:00Z'),
      at('B', 9900, '2026-03-03T10:00:00Z', 'business'),
      at('A', 9900, '2026-03-03T11:00:00Z', 'business'),
    ]);
    const [, third] = rollRange(movements, '2026-03-02', '2026-03-03');

    expect(third).toMatchObject({
      day: '2026-03-03',
      currency: 'usd',
      mrr: 19_800,
      customers: 2,
      dayMovementCount: 2,
      dayNewCustomers: 1,
      dayMovements: { new: 9900, expansion: 7000, contraction: 0, churn: 0, reactivation: 0 },
    });
  });

  it('ignores movements dated another day', () => {
    const { movements } = replayMrrChanges([at('A', 2900, '2026-03-05T10:00:00Z')]);
    expect(rollDay(undefined, '2026-03-04', movements).mrr).toBe(0);
  });

  it("starts a month's totals from the MRR and customers at the end of the month before", () => {
    const { movements } = replayMrrChanges([
      at('A', 2900, '2026-02-27T10:00:00Z'),
      at('A', 0, '2026-03-01T10:00:00Z'),
    ]);
    const snapshots = rollRange(movements, '2026-02-27', '2026-03-01');

    expect(snapshots.at(-1)?.month).toMatchObject({
      startMrr: 2900,
      startCustomers: 1,
      endMrr: 0,
      churnedOfS: 1,
    });
  });

  it('keeps the logo churn of the last three complete months for LTV', () => {
    const { movements } = replayMrrChanges([
      at('A', 2900, '2025-12-15T00:00:00Z'),
      at('B', 2900, '2025-12-16T00:00:00Z'),
      at('A', 0, '2026-01-10T00:00:00Z'),
      at('C', 2900, '2026-02-10T00:00:00Z'),
      at('B', 0, '2026-03-10T00:00:00Z'),
    ]);
    const last = rollRange(movements, '2025-12-15', '2026-04-01').at(-1);

    // December (|S| 0), January (1 of 2), February (0 of 1), March (1 of 2): the last three.
    expect(last?.previousMonths).toEqual([
      { churnedOfS: 1, startCustomers: 2 },
      { churnedOfS: 0, startCustomers: 1 },
      { churnedOfS: 1, startCustomers: 2 },
    ]);
  });

  it('gives the worked example of the README at the end of March', () => {
    const { movements } = replayMrrChanges([
      at('A', 2900, '2026-01-10T00:00:00Z'),
      at('B', 9900, '2026-01-11T00:00:00Z', 'business'),
      at('C', 2417, '2026-02-01T00:00:00Z'),
      at('D', 2900, '2026-02-02T00:00:00Z'),
      at('E', 0, '2026-02-20T00:00:00Z'),
      at('E', 2900, '2026-03-03T00:00:00Z'),
      at('A', 9900, '2026-03-05T00:00:00Z', 'business'),
      at('D', 0, '2026-03-10T00:00:00Z'),
      at('B', 2900, '2026-03-20T00:00:00Z'),
      at('D', 2900, '2026-03-25T00:00:00Z'),
      at('C', 0, '2026-03-31T23:59:59Z'),
    ]);
    const march31 = rollRange(movements, '2026-01-10', '2026-03-31').at(-1);
    if (!march31) throw new Error('no snapshot');

    const metrics = snapshotMetrics(march31);

    expect(metrics).toMatchObject({ mrrStart: 18_117, mrrEnd: 18_600, customersEnd: 4, arpa: 4650 });
    expect(metrics.logoChurnRate).toBe(0.25);
    expect(metrics.nrr).toBeCloseTo(15_700 / 18_117, 12);
    expect(metrics.grr).toBeCloseTo(8700 / 18_117, 12);
    // January and February lost nobody: pooled churn 0, so LTV has no finite value.
    expect(metrics.ltv).toBeNull();
  });
});

const T0 = Date.parse('2026-01-01T00:00:00Z');
const historyArb = fc
  .array(
    fc.record({
      tenantId: fc.constantFrom('ta', 'tb', 'tc'),
      amount: fc.constantFrom(0, 2417, 2900, 9900),
      gapHours: fc.integer({ min: 1, max: 100 }),
    }),
    { maxLength: 30 },
  )
  .map((steps) => {
    let time = T0;
    return steps.map((step) => {
      time += step.gapHours * 3_600_000;
      return at(step.tenantId, step.amount, new Date(time).toISOString());
    });
  });

describe('rollup properties', () => {
  it('gives the same snapshot when a day is rolled up twice, whatever the order of its movements', () => {
    fc.assert(
      fc.property(historyArb, fc.integer({ min: 0, max: 120 }), fc.integer(), (history, offset, seed) => {
        const { movements } = replayMrrChanges(history);
        const day = new Date(T0 + offset * 86_400_000).toISOString().slice(0, 10);
        const snapshots = rollRange(movements, '2026-01-01', day);
        const previous = snapshots.at(-2);
        const ofDay = movements.filter((movement) => movement.day === day);
        const shuffled = fc.sample(fc.shuffledSubarray(ofDay, { minLength: ofDay.length }), {
          seed,
          numRuns: 1,
        })[0];

        const once = rollDay(previous, day, ofDay);
        const twice = rollDay(previous, day, shuffled ?? []);

        expect(twice).toEqual(once);
        expect(once).toEqual(snapshots.at(-1));
      }),
    );
  });

  it('ends with the MRR and paying customers of every tenant after its last change', () => {
    fc.assert(
      fc.property(historyArb, (history) => {
        const { movements, states } = replayMrrChanges(history);
        const last = rollRange(movements, '2026-01-01', '2026-05-31').at(-1);
        const mrrs = [...states.values()].map((state) => state.mrr);

        expect(last?.mrr).toBe(mrrs.reduce((a, b) => a + b, 0));
        expect(last?.customers).toBe(mrrs.filter((mrr) => mrr > 0).length);
      }),
    );
  });
});
