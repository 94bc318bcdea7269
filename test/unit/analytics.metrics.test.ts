import { describe, expect, it } from 'vitest';
import {
  addMovement,
  arpaOf,
  cacOf,
  countNpsScores,
  grossMrrChurnRateOf,
  grrOf,
  logoChurnRateOf,
  ltvOf,
  ltvToCacOf,
  netMrrChurnRateOf,
  noNpsAnswers,
  npsOf,
  nrrOf,
  type PeriodTotals,
  periodMetrics,
  pooledLogoChurnOf,
  quickRatioOf,
  startPeriod,
  sumMovements,
} from '#shared/analytics/metrics.ts';
import { type MrrChange, replayMrrChanges } from '#shared/analytics/movements.ts';
import type { PlanId } from '#shared/billing/plans.ts';

/**
 * The worked example of the README. March 2026 starts with four paying customers (S):
 *   A team monthly 2900, B business monthly 9900, C team annual 29000/12 = 2417, D team monthly 2900
 *   → MRR at the start 18117, |S| = 4.
 * In March: E's trial (from February) converts on the 3rd: new +2900; A upgrades to business on
 * the 5th: expansion +7000; D churns on the 10th (−2900) and comes back on the 25th (+2900,
 * reactivation); B's downgrade to team takes effect at its renewal on the 20th: contraction −7000;
 * C's annual plan ends on the 31st: churn −2417.
 * End: A 9900, B 2900, C 0, D 2900, E 2900 = 18600 with 4 paying customers.
 */
function march(): PeriodTotals {
  let n = 0;
  const at = (tenantId: string, amount: number, occurredAt: string, plan: PlanId = 'team'): MrrChange => ({
    eventId: `ev${String(++n).padStart(3, '0')}`,
    tenantId,
    amount,
    currency: 'usd',
    plan,
    occurredAt,
  });
  const history = [
    at('A', 2900, '2026-01-10T00:00:00Z'),
    at('B', 9900, '2026-01-11T00:00:00Z', 'business'),
    at('C', 2417, '2026-02-01T00:00:00Z'),
    at('D', 2900, '2026-02-02T00:00:00Z'),
    at('E', 0, '2026-02-20T00:00:00Z'), // trialing: MRR 0
    at('E', 2900, '2026-03-03T00:00:00Z'),
    at('A', 9900, '2026-03-05T00:00:00Z', 'business'),
    at('B', 9900, '2026-03-06T00:00:00Z', 'business'), // downgrade scheduled: nothing billed changes
    at('D', 0, '2026-03-10T00:00:00Z'),
    at('B', 2900, '2026-03-20T00:00:00Z'),
    at('D', 2900, '2026-03-25T00:00:00Z'),
    at('C', 0, '2026-03-31T23:59:59Z'),
  ];
  const { movements } = replayMrrChanges(history);
  return movements
    .filter((movement) => movement.month === '2026-03')
    .reduce(addMovement, startPeriod(18_117, 4));
}

const inputs = {
  spend: 600_000,
  // December, January, February: 1 of 5, 0 of 4 and 1 of 4 customers churned → pooled 2/13.
  lastCompleteMonths: [
    { churnedOfS: 1, startCustomers: 5 },
    { churnedOfS: 0, startCustomers: 4 },
    { churnedOfS: 1, startCustomers: 4 },
  ],
  nps: countNpsScores([10, 10, 9, 8, 3]),
};

describe('the worked example (March 2026)', () => {
  const metrics = periodMetrics(march(), inputs);

  it('gives MRR and ARR at the start and the end', () => {
    expect(metrics).toMatchObject({ mrrStart: 18_117, mrrEnd: 18_600, arrStart: 217_404, arrEnd: 223_200 });
  });

  it('gives paying customers and ARPA at the end', () => {
    expect(metrics.customersStart).toBe(4);
    expect(metrics.customersEnd).toBe(4);
    expect(metrics.arpa).toBe(4650);
  });

  it('sums the movements by type and nets them', () => {
    expect(metrics.movements).toEqual({
      new: 2900,
      expansion: 7000,
      contraction: -7000,
      churn: -5317,
      reactivation: 2900,
      comp: 0,
      comp_end: 0,
    });
    expect(metrics.netNewMrr).toBe(483);
    expect(metrics.newCustomers).toBe(1);
  });

  it('counts only C as a lost logo, since D came back within the month', () => {
    expect(metrics.logoChurnRate).toBe(0.25);
  });

  it('gives NRR from the end MRR of S (15700 / 18117)', () => {
    expect(metrics.nrr).toBeCloseTo(15_700 / 18_117, 12);
    expect(metrics.netMrrChurnRate).toBeCloseTo(1 - 15_700 / 18_117, 12);
  });

  it('caps each customer of S at its start MRR for GRR (2900 + 2900 + 0 + 2900)', () => {
    expect(metrics.grr).toBeCloseTo(8700 / 18_117, 12);
  });

  it('counts churn and contraction of S for the gross MRR churn rate (7000 + 2900 + 2417)', () => {
    expect(metrics.grossMrrChurnRate).toBeCloseTo(12_317 / 18_117, 12);
  });

  it('gives the quick ratio over all movements (12800 / 12317)', () => {
    expect(metrics.quickRatio).toBeCloseTo(12_800 / 12_317, 12);
  });

  it('gives LTV from ARPA and the pooled churn of the last three months (4650 / (2/13))', () => {
    expect(metrics.ltv).toBeCloseTo(30_225, 9);
  });

  it('gives CAC and LTV:CAC', () => {
    expect(metrics.cac).toBe(600_000);
    expect(metrics.ltvToCac).toBeCloseTo(30_225 / 600_000, 12);
  });

  it('gives NPS as percent promoters minus percent detractors (60 − 20)', () => {
    expect(metrics.nps).toBeCloseTo(40, 12);
  });
});

describe('zero denominators', () => {
  it('gives a null ARPA without paying customers', () => {
    expect(arpaOf(0, 0)).toBeNull();
  });

  it('gives null logo churn, NRR, GRR and MRR churn rates without starting customers', () => {
    expect(logoChurnRateOf(0, 0)).toBeNull();
    expect(nrrOf(2900, 0)).toBeNull();
    expect(grrOf(0, 0)).toBeNull();
    expect(grossMrrChurnRateOf(0, 0)).toBeNull();
    expect(netMrrChurnRateOf(null)).toBeNull();
  });

  it('gives a null quick ratio when nothing was lost', () => {
    expect(quickRatioOf(sumMovements([{ type: 'new', delta: 2900 }]))).toBeNull();
  });

  it('gives a null LTV when nobody churned in the last three months', () => {
    const pooled = pooledLogoChurnOf([
      { churnedOfS: 0, startCustomers: 3 },
      { churnedOfS: 0, startCustomers: 3 },
    ]);
    expect(pooled).toBe(0);
    expect(ltvOf(2900, pooled)).toBeNull();
  });

  it('gives a null pooled churn without any earlier month', () => {
    expect(pooledLogoChurnOf([])).toBeNull();
  });

  it('gives a null CAC without new customers or without a recorded spend', () => {
    expect(cacOf(100_000, 0)).toBeNull();
    expect(cacOf(null, 3)).toBeNull();
    expect(ltvToCacOf(30_000, null)).toBeNull();
  });

  it('gives a null NPS without answers', () => {
    expect(npsOf([])).toBeNull();
  });

  it('gives every rate of an empty month as null and every amount as zero', () => {
    const metrics = periodMetrics(startPeriod(0, 0), {
      spend: null,
      lastCompleteMonths: [],
      nps: noNpsAnswers,
    });
    expect(metrics).toMatchObject({
      mrrEnd: 0,
      arpa: null,
      logoChurnRate: null,
      nrr: null,
      grr: null,
      quickRatio: null,
      ltv: null,
      cac: null,
      ltvToCac: null,
      nps: null,
    });
  });
});

describe('npsOf', () => {
  it('counts 7 and 8 as passives', () => {
    expect(npsOf([7, 8, 10, 0])).toBe(0);
  });

  it('is −100 when everyone is a detractor', () => {
    expect(npsOf([0, 6, 3])).toBe(-100);
  });
});
