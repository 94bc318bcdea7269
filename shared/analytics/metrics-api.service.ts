import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type * as z from 'zod';
import { requireOperatorPermission } from '../admin/operators.ts';
import type { Caller } from '../auth/caller.ts';
import type { Db } from '../db/client.ts';
import { decodeCursor, encodeCursor } from '../db/cursor.ts';
import { keys } from '../db/keys.ts';
import { queryPrefixPage } from '../db/page.ts';
import { NotFoundError } from '../http/errors.ts';
import { arrOf, emptyMovementSums, type MovementSums, netNewMrrOf, type PeriodMetrics } from './metrics.ts';
import type {
  churnQuery,
  churnResponse,
  movementsQuery,
  movementsResponse,
  mrrSeriesQuery,
  mrrSeriesResponse,
  periodMetricsSchema,
  summaryResponse,
} from './metrics-api.schema.ts';
import { movementFromItem } from './mrr-ledger.ts';
import { npsCountsThrough } from './nps.ts';
import { readSnapshot, readSnapshots } from './rollup.ts';
import { METRICS_CURRENCY, type MetricsSnapshot, snapshotMetrics } from './snapshot.ts';
import { readSpend } from './spend.ts';

/**
 * The admin metrics API: reads the rollup's snapshots and the recorded movements. Platform-wide
 * data, so the caller must be in the `platform-admin` group (403 otherwise, as for every admin
 * route: there is no tenant membership to hide behind a 404).
 */

export interface MetricsApiDeps {
  readonly db: Db;
}

/** Rates are rounded in the output only. */
const round4 = (value: number | null) => (value === null ? null : Math.round(value * 10_000) / 10_000);
const roundAmount = (value: number | null) => (value === null ? null : Math.round(value));

type PeriodView = z.infer<ReturnType<typeof periodMetricsSchema>>;

/** The output form of a period's metrics: amounts in whole minor units, rates to 4 decimals. */
export function periodView(metrics: PeriodMetrics): PeriodView {
  return {
    ...metrics,
    arpa: roundAmount(metrics.arpa),
    logoChurnRate: round4(metrics.logoChurnRate),
    nrr: round4(metrics.nrr),
    grr: round4(metrics.grr),
    grossMrrChurnRate: round4(metrics.grossMrrChurnRate),
    netMrrChurnRate: round4(metrics.netMrrChurnRate),
    quickRatio: round4(metrics.quickRatio),
    ltv: roundAmount(metrics.ltv),
    cac: roundAmount(metrics.cac),
    ltvToCac: round4(metrics.ltvToCac),
    nps: metrics.nps === null ? null : Math.round(metrics.nps * 10) / 10,
  };
}

function addSums(a: MovementSums, b: MovementSums): MovementSums {
  return {
    new: a.new + b.new,
    expansion: a.expansion + b.expansion,
    contraction: a.contraction + b.contraction,
    churn: a.churn + b.churn,
    reactivation: a.reactivation + b.reactivation,
    comp: a.comp + b.comp,
    comp_end: a.comp_end + b.comp_end,
  };
}

function requireAdmin(caller: Caller): void {
  requireOperatorPermission(caller, 'metrics:read');
}

/** The last day of a month (`YYYY-MM`). */
function lastDayOf(month: string): string {
  const [year, m] = month.split('-').map(Number) as [number, number];
  return new Date(Date.UTC(year, m, 0)).toISOString().slice(0, 10);
}

export function createMetricsApi({ db }: MetricsApiDeps) {
  return {
    /** `GET /admin/metrics/summary?date=`: the day's figures and its month to date. */
    async summary(caller: Caller, date: string): Promise<z.infer<ReturnType<typeof summaryResponse>>> {
      requireAdmin(caller);
      const [snapshot, spend, nps] = await Promise.all([
        readSnapshot(db, date),
        readSpend(db, date.slice(0, 7)),
        npsCountsThrough(db, date),
      ]);
      if (!snapshot) throw new NotFoundError(`The metrics of ${date} are not rolled up (yet).`);
      return {
        date,
        currency: snapshot.currency,
        day: {
          mrr: snapshot.mrr,
          arr: arrOf(snapshot.mrr),
          customers: snapshot.customers,
          movements: snapshot.dayMovements,
          netNewMrr: netNewMrrOf(snapshot.dayMovements),
          newCustomers: snapshot.dayNewCustomers,
        },
        monthToDate: {
          month: date.slice(0, 7),
          ...periodView(snapshotMetrics(snapshot, { spend: spend?.total ?? null, nps })),
        },
      };
    },

    /** `GET /admin/metrics/mrr`: MRR per day, or per month as of its last day in the range. */
    async mrrSeries(
      caller: Caller,
      query: z.infer<ReturnType<typeof mrrSeriesQuery>>,
    ): Promise<z.infer<ReturnType<typeof mrrSeriesResponse>>> {
      requireAdmin(caller);
      const snapshots = await readSnapshots(db, query.from, query.to);
      const point = (period: string, snapshot: MetricsSnapshot, movements: MovementSums) => ({
        period,
        mrr: snapshot.mrr,
        arr: arrOf(snapshot.mrr),
        customers: snapshot.customers,
        movements,
        netNewMrr: netNewMrrOf(movements),
      });
      if (query.interval === 'day') {
        return {
          currency: METRICS_CURRENCY,
          interval: 'day',
          points: snapshots.map((snapshot) => point(snapshot.day, snapshot, snapshot.dayMovements)),
        };
      }
      const months = new Map<string, { last: MetricsSnapshot; movements: MovementSums }>();
      for (const snapshot of snapshots) {
        const month = snapshot.day.slice(0, 7);
        const sofar = months.get(month)?.movements ?? emptyMovementSums;
        months.set(month, { last: snapshot, movements: addSums(sofar, snapshot.dayMovements) });
      }
      return {
        currency: METRICS_CURRENCY,
        interval: 'month',
        points: [...months].map(([month, { last, movements }]) => point(month, last, movements)),
      };
    },

    /** `GET /admin/metrics/movements?month=&type=`: a month's movements, oldest first, paginated. */
    async movements(
      caller: Caller,
      query: z.infer<ReturnType<typeof movementsQuery>>,
    ): Promise<z.infer<ReturnType<typeof movementsResponse>>> {
      requireAdmin(caller);
      const toView = movementFromItem;
      if (!query.type) {
        const page = await queryPrefixPage(
          db,
          { pk: keys.mrrMovementsOfMonth(query.month).pk, skPrefix: query.month },
          'metrics-movements',
          query,
        );
        return { items: page.items.map(toView), nextCursor: page.nextCursor };
      }
      const { gsi1pk } = keys.mrrMovementsOfMonthByType(query.month, query.type);
      const binding = { partition: gsi1pk, scope: 'metrics-movements-by-type' };
      const result = await db.client.send(
        new QueryCommand({
          TableName: db.tableName,
          IndexName: 'gsi1',
          KeyConditionExpression: 'gsi1pk = :pk',
          ExpressionAttributeValues: { ':pk': gsi1pk },
          Limit: query.limit,
          ExclusiveStartKey: decodeCursor(query.cursor, binding, 'gsi1pk', {
            from: query.month,
            to: `${query.month}~`,
          }),
        }),
      );
      return {
        items: (result.Items ?? []).map(toView),
        nextCursor: encodeCursor(result.LastEvaluatedKey, binding),
      };
    },

    /** `GET /admin/metrics/churn?from=&to=`: the monthly rates, as of each month's last rolled-up day. */
    async churn(
      caller: Caller,
      query: z.infer<ReturnType<typeof churnQuery>>,
    ): Promise<z.infer<ReturnType<typeof churnResponse>>> {
      requireAdmin(caller);
      const snapshots = await readSnapshots(db, `${query.from}-01`, lastDayOf(query.to));
      const lastOfMonth = new Map<string, MetricsSnapshot>();
      for (const snapshot of snapshots) lastOfMonth.set(snapshot.day.slice(0, 7), snapshot);
      const lasts = [...lastOfMonth.values()];
      const [spends, npsCounts] = await Promise.all([
        Promise.all(lasts.map((snapshot) => readSpend(db, snapshot.day.slice(0, 7)))),
        Promise.all(lasts.map((snapshot) => npsCountsThrough(db, snapshot.day))),
      ]);
      return {
        currency: METRICS_CURRENCY,
        months: [...lastOfMonth].map(([month, snapshot], index) => ({
          month,
          complete: snapshot.day === lastDayOf(month),
          through: snapshot.day,
          ...periodView(
            snapshotMetrics(snapshot, {
              spend: spends[index]?.total ?? null,
              ...(npsCounts[index] ? { nps: npsCounts[index] } : {}),
            }),
          ),
        })),
      };
    },
  };
}

export type MetricsApi = ReturnType<typeof createMetricsApi>;
