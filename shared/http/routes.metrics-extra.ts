import {
  npsSeriesQuery,
  npsSeriesResponse,
  reconciliationQuery,
  reconciliationResponse,
} from '../analytics/metrics-api.schema.ts';
import { churnCsv, movementsCsv, mrrCsv, npsCsv } from '../analytics/metrics-csv.ts';
import { defineRoute, type RouteDefinition } from './route.ts';

/**
 * The admin metrics routes beside the rollup's (NPS series, MRR reconciliation), and the CSV
 * representations of the series routes. Spread into the route table (shared/http/routes.ts).
 */

/** The CSV representation each series route offers besides JSON (`Accept: text/csv`). */
export const metricsCsv = {
  mrr: { 'text/csv': mrrCsv },
  churn: { 'text/csv': churnCsv },
  nps: { 'text/csv': npsCsv },
  movements: { 'text/csv': movementsCsv },
} as const;

export const metricsExtraRoutes = {
  metricsNps: defineRoute({
    method: 'GET',
    path: '/admin/metrics/nps',
    area: 'metrics',
    auth: 'jwt',
    operator: 'metrics:read',
    operationId: 'getNpsSeries',
    summary:
      'NPS per day over the 90 days ending with it, and over the range, from the answer counts (platform admins).',
    query: npsSeriesQuery,
    response: npsSeriesResponse,
    representations: metricsCsv.nps,
    status: 200,
    problems: [403],
  }),

  metricsReconciliation: defineRoute({
    method: 'GET',
    path: '/admin/metrics/reconciliation',
    area: 'metrics',
    auth: 'jwt',
    operator: 'metrics:read',
    operationId: 'getMrrReconciliation',
    summary:
      "A day's MRR reconciliation: the tenants whose MRR from the movements disagrees with their billing state (platform admins).",
    query: reconciliationQuery,
    response: reconciliationResponse,
    status: 200,
    problems: [403, 404],
  }),
} as const satisfies Record<string, RouteDefinition>;
