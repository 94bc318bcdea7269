import { plans } from '../billing/plans.ts';
import {
  addMovement,
  emptyMovementSums,
  type LogoChurnSample,
  type MovementSums,
  type NpsCounts,
  noNpsAnswers,
  type PeriodMetrics,
  type PeriodTotals,
  periodMetrics,
  startPeriod,
  sumMovements,
} from './metrics.ts';
import { type Movement, monthOf } from './movements.ts';

/**
 * A day's metrics snapshot, computed from the previous day's snapshot plus that day's movements
 * alone: no tenant is read. Deterministic: the same previous snapshot and the same movements (in
 * any order) give the same snapshot, so re-running a day changes nothing.
 */

/** Metrics are in the catalogue's currency (Plinth sells every plan in one). */
export const METRICS_CURRENCY = plans.team.currency;

/** How many complete months LTV pools its logo churn over. */
export const LTV_POOL_MONTHS = 3;

export interface MetricsSnapshot {
  /** The UTC day (`YYYY-MM-DD`); the figures are as of its end. */
  readonly day: string;
  readonly currency: string;
  readonly mrr: number;
  readonly customers: number;
  /** The day's own movements. */
  readonly dayMovements: MovementSums;
  readonly dayMovementCount: number;
  readonly dayNewCustomers: number;
  /** The month to date, through this day: start at the end of the previous month. */
  readonly month: PeriodTotals;
  /** Logo churn of the last complete months, oldest first (at most {@link LTV_POOL_MONTHS}). */
  readonly previousMonths: readonly LogoChurnSample[];
}

/** The snapshot before any movement: nothing paying. */
export function emptySnapshot(day: string): MetricsSnapshot {
  return {
    day,
    currency: METRICS_CURRENCY,
    mrr: 0,
    customers: 0,
    dayMovements: emptyMovementSums,
    dayMovementCount: 0,
    dayNewCustomers: 0,
    month: startPeriod(0, 0),
    previousMonths: [],
  };
}

/** The UTC day after `day`. */
export function nextDay(day: string): string {
  return new Date(Date.parse(`${day}T00:00:00.000Z`) + 86_400_000).toISOString().slice(0, 10);
}

/** The UTC day before `day`. */
export function previousDay(day: string): string {
  return new Date(Date.parse(`${day}T00:00:00.000Z`) - 86_400_000).toISOString().slice(0, 10);
}

/**
 * The snapshot of `day` from the snapshot of the day before (undefined: nothing before, all zero)
 * and the movements dated `day`. A new month starts its totals from the previous day's MRR and
 * customers, and the month that ended joins the logo churn LTV pools.
 */
export function rollDay(
  previous: MetricsSnapshot | undefined,
  day: string,
  movements: readonly Movement[],
): MetricsSnapshot {
  const before = previous ?? emptySnapshot(previousDay(day));
  const newMonth = monthOf(`${before.day}T00:00:00.000Z`) !== monthOf(`${day}T00:00:00.000Z`);
  const previousMonths =
    newMonth && previous
      ? [
          ...before.previousMonths,
          { churnedOfS: before.month.churnedOfS, startCustomers: before.month.startCustomers },
        ].slice(-LTV_POOL_MONTHS)
      : before.previousMonths;
  const monthStart = newMonth ? startPeriod(before.mrr, before.customers) : before.month;
  const ofDay = movements.filter((movement) => movement.day === day);
  const month = ofDay.reduce(addMovement, monthStart);
  return {
    day,
    currency: METRICS_CURRENCY,
    mrr: month.endMrr,
    customers: month.endCustomers,
    dayMovements: sumMovements(ofDay),
    dayMovementCount: ofDay.length,
    dayNewCustomers: ofDay.filter((movement) => movement.type === 'new').length,
    month,
    previousMonths,
  };
}

/** The month-to-date metrics a snapshot stands for (spend and NPS answers when recorded). */
export function snapshotMetrics(
  snapshot: MetricsSnapshot,
  inputs: { readonly spend?: number | null; readonly nps?: NpsCounts } = {},
): PeriodMetrics {
  return periodMetrics(snapshot.month, {
    spend: inputs.spend ?? null,
    lastCompleteMonths: snapshot.previousMonths,
    nps: inputs.nps ?? noNpsAnswers,
  });
}
