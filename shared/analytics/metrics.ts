import type { Movement, MovementType } from './movements.ts';

/**
 * The business metrics of a period (a calendar month M, UTC, or M to date), as pure functions.
 * Conventions (ChartMogul's and Baremetrics' published definitions):
 * - amounts are minor units of the catalogue currency, MRR normalised to a month;
 * - S = the customers paying at the start of M (MRR > 0);
 * - a zero denominator gives `null`, never 0 or infinity; rates are fractions (0.25), rounded only
 *   in the output.
 */

/** `numerator / denominator`, or null when the denominator is zero (or either side is null). */
export function ratio(numerator: number | null, denominator: number | null): number | null {
  if (numerator === null || denominator === null || denominator === 0) return null;
  return numerator / denominator;
}

/** ARR: 12 × MRR. */
export const arrOf = (mrr: number): number => 12 * mrr;

/** ARPA: MRR / paying customers. */
export const arpaOf = (mrr: number, payingCustomers: number): number | null => ratio(mrr, payingCustomers);

/** The month's MRR movements summed by type, as signed amounts (contraction and churn ≤ 0). */
export type MovementSums = Readonly<Record<MovementType, number>>;

export const emptyMovementSums: MovementSums = {
  new: 0,
  expansion: 0,
  contraction: 0,
  churn: 0,
  reactivation: 0,
  comp: 0,
  comp_end: 0,
};

/** Movement sums as stored before comps existed lack `comp` and `comp_end`: they were 0. */
export const withAllMovementTypes = (sums: Partial<MovementSums>): MovementSums => ({
  ...emptyMovementSums,
  ...sums,
});

/** Sums movements by type. */
export function sumMovements(movements: Iterable<Pick<Movement, 'type' | 'delta'>>): MovementSums {
  const sums = { ...emptyMovementSums };
  for (const movement of movements) sums[movement.type] += movement.delta;
  return sums;
}

/**
 * Net new MRR: the sum of all movements (new + expansion + reactivation + contraction + churn, and
 * comp + comp_end), so that start MRR + net new MRR = end MRR.
 */
export const netNewMrrOf = (sums: MovementSums): number =>
  sums.new + sums.expansion + sums.reactivation + sums.contraction + sums.churn + sums.comp + sums.comp_end;

/** Quick ratio: (new + expansion + reactivation) / (contraction + churn), magnitudes; comps left out. */
export const quickRatioOf = (sums: MovementSums): number | null =>
  ratio(sums.new + sums.expansion + sums.reactivation, -(sums.contraction + sums.churn));

/** Logo churn rate: customers of S not paying at the end of M / |S|. */
export const logoChurnRateOf = (churnedOfS: number, startCustomers: number): number | null =>
  ratio(churnedOfS, startCustomers);

/** NRR: MRR at the end of M of the customers in S / MRR of S at the start. */
export const nrrOf = (endMrrOfS: number, startMrr: number): number | null => ratio(endMrrOfS, startMrr);

/** GRR: as NRR, each customer's end MRR capped at their start MRR. */
export const grrOf = (cappedEndMrrOfS: number, startMrr: number): number | null =>
  ratio(cappedEndMrrOfS, startMrr);

/** Gross MRR churn rate: (churn + contraction MRR of the customers in S, magnitudes) / MRR at the start. */
export const grossMrrChurnRateOf = (lostMrrOfS: number, startMrr: number): number | null =>
  ratio(lostMrrOfS, startMrr);

/** Net MRR churn rate: 1 - NRR. */
export const netMrrChurnRateOf = (nrr: number | null): number | null => (nrr === null ? null : 1 - nrr);

/** One complete month's logo churn, for the pooled rate LTV uses. */
export interface LogoChurnSample {
  readonly churnedOfS: number;
  readonly startCustomers: number;
}

/** Pooled logo churn: customers churned / sum of |S| over the months given. */
export function pooledLogoChurnOf(months: readonly LogoChurnSample[]): number | null {
  let churned = 0;
  let start = 0;
  for (const month of months) {
    churned += month.churnedOfS;
    start += month.startCustomers;
  }
  return ratio(churned, start);
}

/** LTV: ARPA at the end of M / pooled logo churn of the last 3 complete months. */
export const ltvOf = (arpa: number | null, pooledLogoChurn: number | null): number | null =>
  ratio(arpa, pooledLogoChurn);

/** CAC: acquisition spend of M / new customers of M (a spend not recorded is null). */
export const cacOf = (spend: number | null, newCustomers: number): number | null =>
  ratio(spend, newCustomers);

/** LTV:CAC. */
export const ltvToCacOf = (ltv: number | null, cac: number | null): number | null => ratio(ltv, cac);

/** NPS answers counted by kind: promoters (9-10), passives (7-8), detractors (0-6). */
export interface NpsCounts {
  readonly promoters: number;
  readonly passives: number;
  readonly detractors: number;
}

export const noNpsAnswers: NpsCounts = { promoters: 0, passives: 0, detractors: 0 };

/** The kind of one answer. */
export const npsKindOf = (score: number): keyof NpsCounts =>
  score >= 9 ? 'promoters' : score >= 7 ? 'passives' : 'detractors';

/** Counts answers by kind. */
export function countNpsScores(scores: Iterable<number>): NpsCounts {
  const counts = { ...noNpsAnswers };
  for (const score of scores) counts[npsKindOf(score)] += 1;
  return counts;
}

/**
 * NPS: percent promoters (9-10) minus percent detractors (0-6) of the answers given, on the usual
 * −100…100 scale (it is a score, not a rate); null without answers.
 */
export function npsOfCounts(counts: NpsCounts): number | null {
  const share = ratio(
    counts.promoters - counts.detractors,
    counts.promoters + counts.passives + counts.detractors,
  );
  return share === null ? null : share * 100;
}

/** NPS of a list of scores. */
export const npsOf = (scores: Iterable<number>): number | null => npsOfCounts(countNpsScores(scores));

/**
 * What a period accumulates from its movements, starting from the MRR and customers at its start.
 * Every field changes by a movement alone, so a rollup keeps it from the day before plus the day's
 * movements, never re-reading tenants.
 */
export interface PeriodTotals {
  readonly startMrr: number;
  readonly startCustomers: number;
  readonly endMrr: number;
  readonly endCustomers: number;
  readonly sums: MovementSums;
  /** Tenants that paid for the first time (count of `new` movements). */
  readonly newCustomers: number;
  /** Sum over S of each customer's current MRR. */
  readonly endMrrOfS: number;
  /** Sum over S of min(current MRR, MRR at the start). */
  readonly cappedEndMrrOfS: number;
  /** Customers of S not paying now. */
  readonly churnedOfS: number;
  /** Churn and contraction MRR of the customers in S (magnitudes). */
  readonly lostMrrOfS: number;
}

/** The totals of a period that has had no movement yet. */
export function startPeriod(startMrr: number, startCustomers: number): PeriodTotals {
  return {
    startMrr,
    startCustomers,
    endMrr: startMrr,
    endCustomers: startCustomers,
    sums: emptyMovementSums,
    newCustomers: 0,
    endMrrOfS: startMrr,
    cappedEndMrrOfS: startMrr,
    churnedOfS: 0,
    lostMrrOfS: 0,
  };
}

/** Comp movements: in MRR, customers and ARPA, never in churn, retention or the quick ratio. */
export const isCompMovement = (type: MovementType): boolean => type === 'comp' || type === 'comp_end';

/**
 * The totals after one more movement of the period. A comp or its end moves MRR and the paying
 * customers (a comped tenant pays nothing), but not the retention figures of S (logo churn, NRR,
 * GRR, MRR churn): a comped customer of S is neither churned nor contracted.
 */
export function addMovement(totals: PeriodTotals, movement: Movement): PeriodTotals {
  const paying = (mrr: number) => (mrr > 0 ? 1 : 0);
  const inS = movement.monthStartMrr > 0 && !isCompMovement(movement.type);
  const start = movement.monthStartMrr;
  const lost = movement.type === 'churn' || movement.type === 'contraction' ? -movement.delta : 0;
  return {
    ...totals,
    endMrr: totals.endMrr + movement.delta,
    endCustomers: totals.endCustomers + paying(movement.mrrAfter) - paying(movement.mrrBefore),
    sums: { ...totals.sums, [movement.type]: totals.sums[movement.type] + movement.delta },
    newCustomers: totals.newCustomers + (movement.type === 'new' ? 1 : 0),
    endMrrOfS: totals.endMrrOfS + (inS ? movement.delta : 0),
    cappedEndMrrOfS:
      totals.cappedEndMrrOfS +
      (inS ? Math.min(movement.mrrAfter, start) - Math.min(movement.mrrBefore, start) : 0),
    churnedOfS: totals.churnedOfS + (inS ? paying(movement.mrrBefore) - paying(movement.mrrAfter) : 0),
    lostMrrOfS: totals.lostMrrOfS + (inS ? lost : 0),
  };
}

/** The inputs of a period that do not come from movements. */
export interface PeriodInputs {
  /** Acquisition spend of the period (minor units), null when none was recorded. */
  readonly spend: number | null;
  /** Logo churn of the last 3 complete months before the period's month (fewer if unknown). */
  readonly lastCompleteMonths: readonly LogoChurnSample[];
  /** NPS answers of the last 90 days, by kind. */
  readonly nps: NpsCounts;
}

export interface PeriodMetrics {
  readonly mrrStart: number;
  readonly mrrEnd: number;
  readonly arrStart: number;
  readonly arrEnd: number;
  readonly customersStart: number;
  readonly customersEnd: number;
  readonly arpa: number | null;
  readonly movements: MovementSums;
  readonly netNewMrr: number;
  readonly newCustomers: number;
  readonly logoChurnRate: number | null;
  readonly nrr: number | null;
  readonly grr: number | null;
  readonly grossMrrChurnRate: number | null;
  readonly netMrrChurnRate: number | null;
  readonly quickRatio: number | null;
  readonly ltv: number | null;
  readonly cac: number | null;
  readonly ltvToCac: number | null;
  readonly nps: number | null;
}

/** Every metric of a period from its totals and inputs. */
export function periodMetrics(totals: PeriodTotals, inputs: PeriodInputs): PeriodMetrics {
  const arpa = arpaOf(totals.endMrr, totals.endCustomers);
  const nrr = nrrOf(totals.endMrrOfS, totals.startMrr);
  const ltv = ltvOf(arpa, pooledLogoChurnOf(inputs.lastCompleteMonths));
  const cac = cacOf(inputs.spend, totals.newCustomers);
  return {
    mrrStart: totals.startMrr,
    mrrEnd: totals.endMrr,
    arrStart: arrOf(totals.startMrr),
    arrEnd: arrOf(totals.endMrr),
    customersStart: totals.startCustomers,
    customersEnd: totals.endCustomers,
    arpa,
    movements: totals.sums,
    netNewMrr: netNewMrrOf(totals.sums),
    newCustomers: totals.newCustomers,
    logoChurnRate: logoChurnRateOf(totals.churnedOfS, totals.startCustomers),
    nrr,
    grr: grrOf(totals.cappedEndMrrOfS, totals.startMrr),
    grossMrrChurnRate: grossMrrChurnRateOf(totals.lostMrrOfS, totals.startMrr),
    netMrrChurnRate: netMrrChurnRateOf(nrr),
    quickRatio: quickRatioOf(totals.sums),
    ltv,
    cac,
    ltvToCac: ltvToCacOf(ltv, cac),
    nps: npsOfCounts(inputs.nps),
  };
}
