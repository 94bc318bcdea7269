import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type * as z from 'zod';
import { requireOperatorPermission } from '../admin/operators.ts';
import type { Caller } from '../auth/caller.ts';
import type { Db } from '../db/client.ts';
import { keys } from '../db/keys.ts';
import { NotFoundError } from '../http/errors.ts';
import { type NpsCounts, noNpsAnswers, npsOfCounts } from './metrics.ts';
import type { npsSeriesQuery, npsSeriesResponse, reconciliationResponse } from './metrics-api.schema.ts';
import { NPS_WINDOW_DAYS } from './nps.ts';
import { readReconciliation } from './reconcile.ts';
import { nextDay } from './snapshot.ts';

/**
 * The admin metrics routes beside the rollup's series: NPS per day from the day counters, and the
 * MRR reconciliation's findings. Platform admins only (403 otherwise).
 */

export interface MetricsExtraDeps {
  readonly db: Db;
}

const DAY_MS = 86_400_000;
const daysBefore = (day: string, days: number) =>
  new Date(Date.parse(`${day}T00:00:00.000Z`) - days * DAY_MS).toISOString().slice(0, 10);
const roundNps = (value: number | null) => (value === null ? null : Math.round(value * 10) / 10);

function add(a: NpsCounts, b: NpsCounts, sign = 1): NpsCounts {
  return {
    promoters: a.promoters + sign * b.promoters,
    passives: a.passives + sign * b.passives,
    detractors: a.detractors + sign * b.detractors,
  };
}

function requireAdmin(caller: Caller): void {
  requireOperatorPermission(caller, 'metrics:read');
}

/** The NPS day counters from `from` through `to` (one query; days without answers are absent). */
async function npsDays(db: Db, from: string, to: string): Promise<Map<string, NpsCounts>> {
  const days = new Map<string, NpsCounts>();
  let start: Record<string, unknown> | undefined;
  do {
    const page = await db.client.send(
      new QueryCommand({
        TableName: db.tableName,
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
        ExpressionAttributeValues: { ':pk': keys.npsDays().pk, ':from': from, ':to': to },
        ExclusiveStartKey: start,
      }),
    );
    for (const item of page.Items ?? []) {
      days.set(String(item.sk), {
        promoters: Number(item.promoters ?? 0),
        passives: Number(item.passives ?? 0),
        detractors: Number(item.detractors ?? 0),
      });
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return days;
}

/**
 * The NPS series from day counters: per day its answers and the NPS of the window of
 * `windowDays` days ending with it (a sliding sum: each day adds its counts and drops the day that
 * left the window), and the range's own NPS. Pure.
 */
export function npsSeries(
  counters: ReadonlyMap<string, NpsCounts>,
  from: string,
  to: string,
  windowDays = NPS_WINDOW_DAYS,
): z.infer<ReturnType<typeof npsSeriesResponse>> {
  const of = (day: string) => counters.get(day) ?? noNpsAnswers;
  let window = noNpsAnswers;
  for (let day = daysBefore(from, windowDays - 1); day < from; day = nextDay(day))
    window = add(window, of(day));
  let range = noNpsAnswers;
  const points: z.infer<ReturnType<typeof npsSeriesResponse>>['points'] = [];
  for (let day = from; day <= to; day = nextDay(day)) {
    window = add(add(window, of(day)), of(daysBefore(day, windowDays)), -1);
    range = add(range, of(day));
    points.push({ day, answers: of(day), window, nps: roundNps(npsOfCounts(window)) });
  }
  return { windowDays, points, range: { ...range, nps: roundNps(npsOfCounts(range)) } };
}

export function createMetricsExtraApi({ db }: MetricsExtraDeps) {
  return {
    /** `GET /admin/metrics/nps?from=&to=`: NPS per day (90-day window) and over the range. */
    async nps(
      caller: Caller,
      query: z.infer<ReturnType<typeof npsSeriesQuery>>,
    ): Promise<z.infer<ReturnType<typeof npsSeriesResponse>>> {
      requireAdmin(caller);
      const counters = await npsDays(db, daysBefore(query.from, NPS_WINDOW_DAYS - 1), query.to);
      return npsSeries(counters, query.from, query.to);
    },

    /** `GET /admin/metrics/reconciliation?date=`: the day's latest reconciliation and its drifts. */
    async reconciliation(
      caller: Caller,
      date: string,
    ): Promise<z.infer<ReturnType<typeof reconciliationResponse>>> {
      requireAdmin(caller);
      const found = await readReconciliation(db, date);
      if (!found) throw new NotFoundError(`The MRR of ${date} is not reconciled (yet).`);
      return { ...found, tenants: [...found.tenants] };
    },
  };
}
