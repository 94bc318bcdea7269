import * as z from 'zod';
import { lazyValue } from '../app/deferred.ts';
import { planIdSchema } from '../billing/plans.ts';
import { pageOf, paginationQuery } from '../http/common.schema.ts';
import { daySchema } from './day.schema.ts';
import { movementTypes } from './movements.ts';

/**
 * The admin metrics API's schemas. Amounts are integers in minor units of `currency`; rates are
 * fractions rounded to 4 decimals; a metric whose denominator is zero is `null`.
 */

export { daySchema } from './day.schema.ts';
/** A UTC month, `YYYY-MM`. */
export const monthSchema = /* @__PURE__ */ lazyValue(() =>
  z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'a month as YYYY-MM'),
);
export const movementTypeSchema = /* @__PURE__ */ lazyValue(() => z.enum(movementTypes));

/** Longest range a series may ask for, in days (three years). */
export const MAX_SERIES_DAYS = 3 * 366;
/** Longest range of the churn report, in months. */
export const MAX_CHURN_MONTHS = 36;

export const summaryQuery = /* @__PURE__ */ lazyValue(() => z.strictObject({ date: daySchema() }));
export const mrrSeriesQuery = /* @__PURE__ */ lazyValue(() =>
  z
    .strictObject({ from: daySchema(), to: daySchema(), interval: z.enum(['day', 'month']).default('day') })
    .refine((range) => range.from <= range.to, { message: '`from` must not be after `to`', path: ['from'] })
    .refine((range) => (Date.parse(range.to) - Date.parse(range.from)) / 86_400_000 < MAX_SERIES_DAYS, {
      message: `at most ${MAX_SERIES_DAYS} days`,
      path: ['to'],
    }),
);
export const movementsQuery = /* @__PURE__ */ lazyValue(() =>
  paginationQuery().extend({
    month: monthSchema(),
    type: movementTypeSchema().optional(),
  }),
);
export const churnQuery = /* @__PURE__ */ lazyValue(() =>
  z
    .strictObject({ from: monthSchema(), to: monthSchema() })
    .refine((range) => range.from <= range.to, { message: '`from` must not be after `to`', path: ['from'] })
    .refine(
      (range) => {
        const months = (value: string) => Number(value.slice(0, 4)) * 12 + Number(value.slice(5, 7));
        return months(range.to) - months(range.from) < MAX_CHURN_MONTHS;
      },
      { message: `at most ${MAX_CHURN_MONTHS} months`, path: ['to'] },
    ),
);

const amount = /* @__PURE__ */ lazyValue(() => z.number().int());
const nullableAmount = /* @__PURE__ */ lazyValue(() => amount().nullable());
const rate = /* @__PURE__ */ lazyValue(() => z.number().nullable());

export const movementSumsSchema = /* @__PURE__ */ lazyValue(() =>
  z.object({
    new: amount(),
    expansion: amount(),
    contraction: amount(),
    churn: amount(),
    reactivation: amount(),
    /** Operators' comps starting (≤ 0) and ending (≥ 0): in MRR, never in churn or reactivation. */
    comp: amount(),
    comp_end: amount(),
  }),
);

/** The monthly metrics (a month, or a month to date). */
export const periodMetricsSchema = /* @__PURE__ */ lazyValue(() =>
  z.object({
    mrrStart: amount(),
    mrrEnd: amount(),
    arrStart: amount(),
    arrEnd: amount(),
    customersStart: z.number().int(),
    customersEnd: z.number().int(),
    arpa: nullableAmount(),
    movements: movementSumsSchema(),
    netNewMrr: amount(),
    newCustomers: z.number().int(),
    logoChurnRate: rate(),
    nrr: rate(),
    grr: rate(),
    grossMrrChurnRate: rate(),
    netMrrChurnRate: rate(),
    quickRatio: rate(),
    ltv: nullableAmount(),
    cac: nullableAmount(),
    ltvToCac: rate(),
    nps: z.number().nullable(),
  }),
);

export const summaryResponse = /* @__PURE__ */ lazyValue(() =>
  z.object({
    date: daySchema(),
    currency: z.string(),
    /** As of the end of the day, and that day's movements. */
    day: z.object({
      mrr: amount(),
      arr: amount(),
      customers: z.number().int(),
      movements: movementSumsSchema(),
      netNewMrr: amount(),
      newCustomers: z.number().int(),
    }),
    /** The month of `date`, from its first day through `date`. */
    monthToDate: periodMetricsSchema().extend({ month: monthSchema() }),
  }),
);

export const mrrSeriesResponse = /* @__PURE__ */ lazyValue(() =>
  z.object({
    currency: z.string(),
    interval: z.enum(['day', 'month']),
    points: z.array(
      z.object({
        /** `YYYY-MM-DD` or `YYYY-MM`; a month's figures are as of its last day within the range. */
        period: z.string(),
        mrr: amount(),
        arr: amount(),
        customers: z.number().int(),
        movements: movementSumsSchema(),
        netNewMrr: amount(),
      }),
    ),
  }),
);

export const movementSchema = /* @__PURE__ */ lazyValue(() =>
  z.object({
    tenantId: z.string(),
    type: movementTypeSchema(),
    delta: amount(),
    mrrBefore: amount(),
    mrrAfter: amount(),
    planBefore: planIdSchema(),
    planAfter: planIdSchema(),
    currency: z.string(),
    eventId: z.string(),
    occurredAt: z.iso.datetime(),
  }),
);
export const movementsResponse = /* @__PURE__ */ lazyValue(() => pageOf(movementSchema()));

export const churnResponse = /* @__PURE__ */ lazyValue(() =>
  z.object({
    currency: z.string(),
    months: z.array(
      periodMetricsSchema().extend({
        month: monthSchema(),
        /** Whether the month is rolled up through its last day (false: month to date). */
        complete: z.boolean(),
        through: daySchema(),
      }),
    ),
  }),
);

/** A marketing channel's name: lower-case letters, digits, `-` and `_`. */
const channelSchema = /* @__PURE__ */ lazyValue(() =>
  z.string().regex(/^[a-z0-9][a-z0-9_-]{0,47}$/, 'lower-case letters, digits, - and _, up to 48 characters'),
);

export const spendParams = /* @__PURE__ */ lazyValue(() => z.strictObject({ month: monthSchema() }));
export const spendBody = /* @__PURE__ */ lazyValue(() =>
  z
    .strictObject({
      /** Must be the catalogue currency: the metrics are in it. */
      currency: z.string().length(3),
      channels: z
        .array(z.strictObject({ channel: channelSchema(), amount: z.number().int().min(0).max(1e12) }))
        .max(50),
    })
    .refine((body) => new Set(body.channels.map((c) => c.channel)).size === body.channels.length, {
      message: 'each channel at most once',
      path: ['channels'],
    }),
);
export const spendResponse = /* @__PURE__ */ lazyValue(() =>
  z.object({
    month: monthSchema(),
    currency: z.string(),
    /** The sum of the channels' amounts: the acquisition spend CAC divides. */
    total: z.number().int(),
    channels: z.array(z.object({ channel: z.string(), amount: z.number().int() })),
    updatedAt: z.iso.datetime(),
    updatedBy: z.string(),
  }),
);

export const npsSeriesQuery = /* @__PURE__ */ lazyValue(() =>
  z
    .strictObject({ from: daySchema(), to: daySchema() })
    .refine((range) => range.from <= range.to, { message: '`from` must not be after `to`', path: ['from'] })
    .refine((range) => (Date.parse(range.to) - Date.parse(range.from)) / 86_400_000 < MAX_SERIES_DAYS, {
      message: `at most ${MAX_SERIES_DAYS} days`,
      path: ['to'],
    }),
);

const npsCountsSchema = /* @__PURE__ */ lazyValue(() =>
  z.object({
    promoters: z.number().int(),
    passives: z.number().int(),
    detractors: z.number().int(),
  }),
);

export const npsSeriesResponse = /* @__PURE__ */ lazyValue(() =>
  z.object({
    /** Days of answers each point's `nps` counts (the day and the days before it). */
    windowDays: z.number().int(),
    points: z.array(
      z.object({
        day: daySchema(),
        /** The answers given that day. */
        answers: npsCountsSchema(),
        /** The answers of the window ending that day, and their NPS (−100…100; null without answers). */
        window: npsCountsSchema(),
        nps: z.number().nullable(),
      }),
    ),
    /** The answers given within `from`…`to`, and their NPS. */
    range: npsCountsSchema().extend({ nps: z.number().nullable() }),
  }),
);

export const reconciliationQuery = /* @__PURE__ */ lazyValue(() => z.strictObject({ date: daySchema() }));

export const reconciliationResponse = /* @__PURE__ */ lazyValue(() =>
  z.object({
    date: daySchema(),
    reconciledAt: z.iso.datetime(),
    tenantsChecked: z.number().int(),
    /** Tenants whose billing or ledger state changed after the day, so not compared. */
    tenantsSkipped: z.number().int(),
    drifts: z.number().int(),
    /** Sum of the drifts (ledger - billing) and of their absolute values, minor units. */
    netDrift: amount(),
    absoluteDrift: amount(),
    tenants: z.array(
      z.object({
        tenantId: z.string(),
        /** The MRR the movements add up to. */
        ledgerMrr: amount(),
        /** The MRR the billing state (Stripe's, as mirrored) counts. */
        billingMrr: amount(),
        drift: amount(),
        currency: z.string(),
        billingStatus: z.string(),
        billingPlan: planIdSchema(),
        billingAsOf: z.iso.datetime().nullable(),
        ledgerAsOf: z.iso.datetime(),
      }),
    ),
  }),
);
