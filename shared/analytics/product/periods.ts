/**
 * The UTC periods product activity is counted in: a day (`YYYY-MM-DD`), an ISO 8601 week
 * (`YYYY-Www`, weeks start on Monday and belong to the year of their Thursday) and a calendar month
 * (`YYYY-MM`).
 */

const DAY_MS = 24 * 60 * 60 * 1000;

/** The UTC day of an instant, `YYYY-MM-DD`. */
export function dayOf(at: Date): string {
  return at.toISOString().slice(0, 10);
}

/** The calendar month of an instant (UTC), `YYYY-MM`. */
export function monthOf(at: Date): string {
  return at.toISOString().slice(0, 7);
}

/** The ISO week of an instant (UTC), `YYYY-Www`. */
export function isoWeekOf(at: Date): string {
  const day = Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate());
  // Monday = 0 … Sunday = 6; the week's Thursday decides its year.
  const weekday = (new Date(day).getUTCDay() + 6) % 7;
  const thursday = new Date(day + (3 - weekday) * DAY_MS);
  const year = thursday.getUTCFullYear();
  const week = Math.floor((thursday.getTime() - Date.UTC(year, 0, 1)) / (7 * DAY_MS)) + 1;
  return `${year}-W${String(week).padStart(2, '0')}`;
}

/** The Monday (UTC midnight) that starts an ISO week `YYYY-Www`. */
export function isoWeekStart(week: string): Date {
  const match = /^(\d{4})-W(\d{2})$/.exec(week);
  if (!match) throw new RangeError(`Not an ISO week: ${week}`);
  const year = Number(match[1]);
  const jan4 = Date.UTC(year, 0, 4);
  const mondayOfWeek1 = jan4 - ((new Date(jan4).getUTCDay() + 6) % 7) * DAY_MS;
  return new Date(mondayOfWeek1 + (Number(match[2]) - 1) * 7 * DAY_MS);
}

/** How many weeks `week` comes after `cohortWeek` (0 for the same week; negative before it). */
export function weeksBetween(cohortWeek: string, week: string): number {
  return Math.round((isoWeekStart(week).getTime() - isoWeekStart(cohortWeek).getTime()) / (7 * DAY_MS));
}

/** The end (exclusive) of the day, ISO week or month a period key names. */
export function periodEnd(period: ActivityPeriod): Date {
  switch (period.kind) {
    case 'day':
      return new Date(Date.parse(`${period.value}T00:00:00.000Z`) + DAY_MS);
    case 'week':
      return new Date(isoWeekStart(period.value).getTime() + 7 * DAY_MS);
    case 'month': {
      const [year, month] = period.value.split('-').map(Number) as [number, number];
      return new Date(Date.UTC(year, month, 1));
    }
  }
}

/** One day, ISO week or month in which a user can be active. */
export interface ActivityPeriod {
  readonly kind: 'day' | 'week' | 'month';
  readonly value: string;
}

/** The distinct days, weeks and months the instants fall in. */
export function periodsOf(instants: readonly Date[]): ActivityPeriod[] {
  const seen = new Map<string, ActivityPeriod>();
  for (const at of instants) {
    for (const period of [
      { kind: 'day', value: dayOf(at) },
      { kind: 'week', value: isoWeekOf(at) },
      { kind: 'month', value: monthOf(at) },
    ] as const) {
      seen.set(`${period.kind}:${period.value}`, period);
    }
  }
  return [...seen.values()];
}

/** The days from `from` to `to` (`YYYY-MM-DD`, both included). */
export function daysBetween(from: string, to: string): string[] {
  const days: string[] = [];
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`); t += DAY_MS) {
    days.push(new Date(t).toISOString().slice(0, 10));
  }
  return days;
}
