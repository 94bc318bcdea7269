import type * as z from 'zod';
import type { AlternateRepresentation } from '../http/route.ts';
import type {
  churnResponse,
  movementSumsSchema,
  movementsResponse,
  mrrSeriesResponse,
  npsSeriesResponse,
} from './metrics-api.schema.ts';

/**
 * The admin metrics series as CSV (RFC 4180: comma-separated, CRLF line ends, a header row, fields
 * quoted when they hold a comma, quote or line break). Amounts in minor units, rates as fractions,
 * as in JSON; null is an empty field. A field starting with `=`, `+`, `-` or `@` that is not a
 * number is prefixed with `'` so a spreadsheet does not run it as a formula.
 */

type Cell = string | number | boolean | null | undefined;

function field(value: Cell): string {
  if (value === null || value === undefined) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** A CSV document: the header row, then one row per entry. */
export function toCsv(columns: readonly string[], rows: readonly (readonly Cell[])[]): string {
  return [columns, ...rows].map((row) => `${row.map(field).join(',')}\r\n`).join('');
}

const movementColumns = [
  'new',
  'expansion',
  'contraction',
  'churn',
  'reactivation',
  'comp',
  'comp_end',
] as const;
const movementCells = (sums: z.infer<ReturnType<typeof movementSumsSchema>>) =>
  movementColumns.map((type) => sums[type]);

export const mrrCsv: AlternateRepresentation = {
  description:
    'One row per period: period, currency, mrr, arr, customers, the movements (new, expansion, contraction, churn, reactivation, comp, comp_end) and net_new_mrr.',
  render: (response: z.infer<ReturnType<typeof mrrSeriesResponse>>) =>
    toCsv(
      ['period', 'currency', 'mrr', 'arr', 'customers', ...movementColumns, 'net_new_mrr'],
      response.points.map((point) => [
        point.period,
        response.currency,
        point.mrr,
        point.arr,
        point.customers,
        ...movementCells(point.movements),
        point.netNewMrr,
      ]),
    ),
};

const churnMetricColumns = [
  ['mrr_start', 'mrrStart'],
  ['mrr_end', 'mrrEnd'],
  ['arr_start', 'arrStart'],
  ['arr_end', 'arrEnd'],
  ['customers_start', 'customersStart'],
  ['customers_end', 'customersEnd'],
  ['arpa', 'arpa'],
  ['net_new_mrr', 'netNewMrr'],
  ['new_customers', 'newCustomers'],
  ['logo_churn_rate', 'logoChurnRate'],
  ['nrr', 'nrr'],
  ['grr', 'grr'],
  ['gross_mrr_churn_rate', 'grossMrrChurnRate'],
  ['net_mrr_churn_rate', 'netMrrChurnRate'],
  ['quick_ratio', 'quickRatio'],
  ['ltv', 'ltv'],
  ['cac', 'cac'],
  ['ltv_to_cac', 'ltvToCac'],
  ['nps', 'nps'],
] as const;

export const churnCsv: AlternateRepresentation = {
  description:
    'One row per month: month, complete, through, currency, the monthly figures and rates (snake_case, as in JSON) and the movements.',
  render: (response: z.infer<ReturnType<typeof churnResponse>>) =>
    toCsv(
      [
        'month',
        'complete',
        'through',
        'currency',
        ...churnMetricColumns.map(([column]) => column),
        ...movementColumns,
      ],
      response.months.map((month) => [
        month.month,
        month.complete,
        month.through,
        response.currency,
        ...churnMetricColumns.map(([, key]) => month[key]),
        ...movementCells(month.movements),
      ]),
    ),
};

export const npsCsv: AlternateRepresentation = {
  description:
    "One row per day: day, the day's promoters, passives and detractors, and the window's counts and NPS (window_days days ending that day).",
  render: (response: z.infer<ReturnType<typeof npsSeriesResponse>>) =>
    toCsv(
      [
        'day',
        'promoters',
        'passives',
        'detractors',
        'window_days',
        'window_promoters',
        'window_passives',
        'window_detractors',
        'nps',
      ],
      response.points.map((point) => [
        point.day,
        point.answers.promoters,
        point.answers.passives,
        point.answers.detractors,
        response.windowDays,
        point.window.promoters,
        point.window.passives,
        point.window.detractors,
        point.nps,
      ]),
    ),
};

export const movementsCsv: AlternateRepresentation = {
  description:
    'One row per movement of the page: tenant_id, type, delta, mrr_before, mrr_after, plan_before, plan_after, currency, event_id, occurred_at. The next page’s cursor is in the `next-cursor` header (absent on the last page).',
  render: (response: z.infer<ReturnType<typeof movementsResponse>>) =>
    toCsv(
      [
        'tenant_id',
        'type',
        'delta',
        'mrr_before',
        'mrr_after',
        'plan_before',
        'plan_after',
        'currency',
        'event_id',
        'occurred_at',
      ],
      response.items.map((movement) => [
        movement.tenantId,
        movement.type,
        movement.delta,
        movement.mrrBefore,
        movement.mrrAfter,
        movement.planBefore,
        movement.planAfter,
        movement.currency,
        movement.eventId,
        movement.occurredAt,
      ]),
    ),
  headers: (response: z.infer<ReturnType<typeof movementsResponse>>): Record<string, string> =>
    response.nextCursor ? { 'next-cursor': response.nextCursor } : {},
};
