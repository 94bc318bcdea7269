import * as z from 'zod';
import { lazyValue } from '../../app/deferred.ts';
import { daySchema } from '../day.schema.ts';

/**
 * The product analytics API's schemas: the tracking batch, one tracked event (validated one by one,
 * so a bad event is rejected alone), and the usage, retention and feature reads.
 */

/** Events per tracking request. */
export const MAX_EVENTS_PER_BATCH = 100;
/** The tracking route's body limit (the API's default is 16 KB): 100 events of up to ~2.5 KB. */
export const TRACKING_MAX_BODY_BYTES = 256 * 1024;
/** The serialized `properties` of one event, in UTF-8 bytes. */
export const MAX_PROPERTIES_BYTES = 2048;
/** How far back `occurredAt` may lie. */
export const MAX_BACKDATE_MS = 7 * 24 * 60 * 60 * 1000;
/** How far ahead `occurredAt` may lie (clock skew). */
export const MAX_AHEAD_MS = 5 * 60 * 1000;
/** Longest range the reads accept, in days. */
export const MAX_READ_DAYS = 366;

export const eventNameSchema = /* @__PURE__ */ lazyValue(() =>
  z
    .string()
    .max(64)
    .regex(
      /^[a-z][a-z0-9]*(_[a-z0-9]+)*$/,
      'snake_case: lower-case letters and digits joined by single underscores',
    ),
);

const propertyValue = /* @__PURE__ */ lazyValue(() =>
  z.union([z.string().max(1024), z.number().finite(), z.boolean()]),
);

/** One event as the client sends it; `occurredAt`'s window is checked against the clock separately. */
export const trackedEventSchema = /* @__PURE__ */ lazyValue(() =>
  z.strictObject({
    id: z
      .string()
      .min(1)
      .max(128)
      .regex(/^[A-Za-z0-9._:-]+$/, 'letters, digits and . _ : -')
      .describe("The client's idempotency key: an event sent again with the same id counts once."),
    name: eventNameSchema().describe('snake_case, up to 64 characters, e.g. `report_exported`.'),
    occurredAt: z.iso
      .datetime({ offset: true })
      .optional()
      .describe('When it happened: at most 7 days back and 5 minutes ahead; default now.'),
    properties: z
      .record(z.string().min(1).max(64), propertyValue())
      .optional()
      .refine(
        (value) => value === undefined || Buffer.byteLength(JSON.stringify(value)) <= MAX_PROPERTIES_BYTES,
        {
          message: `at most ${MAX_PROPERTIES_BYTES} bytes as JSON`,
        },
      )
      .describe('A flat object of strings, numbers and booleans, up to 2 KB as JSON.'),
  }),
);
export type TrackedEvent = z.infer<ReturnType<typeof trackedEventSchema>>;

export const trackBody = /* @__PURE__ */ lazyValue(() =>
  z.strictObject({
    events: z
      .array(
        // Each event is validated on its own by the service, so one bad event does not refuse the rest.
        z.unknown().describe('An event: `{ id, name, occurredAt?, properties? }` (see TrackedEvent).'),
      )
      .min(1)
      .max(MAX_EVENTS_PER_BATCH),
  }),
);

const fieldErrorSchema = /* @__PURE__ */ lazyValue(() =>
  z.object({ field: z.string(), message: z.string() }),
);

export const trackResponse = /* @__PURE__ */ lazyValue(() =>
  z.object({
    accepted: z.number().int().describe('Events recorded now.'),
    duplicates: z
      .number()
      .int()
      .describe('Events whose id had been recorded before (or repeats in the batch).'),
    rejected: z
      .array(z.object({ index: z.number().int(), errors: z.array(fieldErrorSchema()) }))
      .describe('Invalid events, by their index in `events`; nothing of them was recorded.'),
  }),
);
export type TrackResponse = z.infer<ReturnType<typeof trackResponse>>;

/** Days a read covers when the query names no range: the last 30 days, today included. */
export const DEFAULT_READ_DAYS = 30;

export const dayRangeQuery = /* @__PURE__ */ lazyValue(() =>
  z
    .strictObject({
      from: daySchema().optional().describe('First day (UTC), inclusive; default 29 days before `to`.'),
      to: daySchema().optional().describe('Last day (UTC), inclusive; default today.'),
    })
    .refine((range) => !range.from || !range.to || range.from <= range.to, {
      message: '`from` must not be after `to`',
      path: ['from'],
    })
    .refine(
      (range) =>
        !range.from ||
        !range.to ||
        (Date.parse(range.to) - Date.parse(range.from)) / 86_400_000 < MAX_READ_DAYS,
      { message: `at most ${MAX_READ_DAYS} days`, path: ['to'] },
    ),
);
export type DayRangeQuery = z.infer<ReturnType<typeof dayRangeQuery>>;

/** A resolved range: both days set. */
export interface DayRange {
  readonly from: string;
  readonly to: string;
}

/** Fills in the defaults of a range query against the clock (a lone `from` runs to today). */
export function resolveDayRange(query: DayRangeQuery, now: Date): DayRange {
  const to =
    query.to ??
    (query.from && query.from > now.toISOString().slice(0, 10) ? query.from : now.toISOString().slice(0, 10));
  const from =
    query.from ??
    new Date(Date.parse(`${to}T00:00:00Z`) - (DEFAULT_READ_DAYS - 1) * 86_400_000).toISOString().slice(0, 10);
  if ((Date.parse(to) - Date.parse(from)) / 86_400_000 >= MAX_READ_DAYS) {
    throw new RangeError(`at most ${MAX_READ_DAYS} days`);
  }
  return { from, to };
}

const count = /* @__PURE__ */ lazyValue(() => z.number().int());

export const usageResponse = /* @__PURE__ */ lazyValue(() =>
  z.object({
    from: daySchema(),
    to: daySchema(),
    days: z.array(
      z.object({
        date: daySchema(),
        activeUsers: count(),
        events: z.record(z.string(), count()).describe('Events per name that day.'),
      }),
    ),
    weeks: z
      .array(z.object({ week: z.string(), activeUsers: count() }))
      .describe('Distinct active users per ISO week touching the range (whole weeks).'),
    months: z
      .array(z.object({ month: z.string(), activeUsers: count() }))
      .describe('Distinct active users per calendar month touching the range (whole months).'),
  }),
);
export type UsageResponse = z.infer<ReturnType<typeof usageResponse>>;

export const retentionResponse = /* @__PURE__ */ lazyValue(() =>
  z.object({
    from: daySchema(),
    to: daySchema(),
    cohorts: z.array(
      z.object({
        cohortWeek: z.string().describe("ISO week of the users' first activity, e.g. `2026-W49`."),
        users: count().describe('Users whose first activity fell in that week.'),
        weeks: z.array(
          z.object({
            k: count().describe('Weeks after the cohort week (0 = the cohort week).'),
            week: z.string(),
            activeUsers: count(),
            rate: z.number().nullable().describe('activeUsers / users, a fraction; null when users is 0.'),
          }),
        ),
      }),
    ),
  }),
);
export type RetentionResponse = z.infer<ReturnType<typeof retentionResponse>>;

export const featuresResponse = /* @__PURE__ */ lazyValue(() =>
  z.object({
    from: daySchema(),
    to: daySchema(),
    features: z
      .array(z.object({ name: z.string(), events: count() }))
      .describe('Events per name over the range, platform-wide, most used first.'),
    days: usageResponse().shape.days,
    weeks: usageResponse().shape.weeks,
    months: usageResponse().shape.months,
  }),
);
export type FeaturesResponse = z.infer<ReturnType<typeof featuresResponse>>;
