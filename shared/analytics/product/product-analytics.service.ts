import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { requireOperatorPermission } from '../../admin/operators.ts';
import type { Caller } from '../../auth/caller.ts';
import { assertFeature } from '../../billing/entitlements.ts';
import type { Db } from '../../db/client.ts';
import { keys } from '../../db/keys.ts';
import { BadRequestError, type FieldError } from '../../http/errors.ts';
import type { Clock } from '../../ids.ts';
import {
  definePolicy,
  type RateLimitDecision,
  type RateLimiter,
  type RateLimitPolicy,
} from '../../ratelimit/rate-limiter.ts';
import { authorize, type TenantContext } from '../../tenancy/tenant-context.ts';
import { daysBetween, isoWeekOf, isoWeekStart, monthOf, weeksBetween } from './periods.ts';
import {
  type DayRange,
  type DayRangeQuery,
  type FeaturesResponse,
  MAX_AHEAD_MS,
  MAX_BACKDATE_MS,
  type RetentionResponse,
  resolveDayRange,
  type TrackResponse,
  trackedEventSchema,
  type UsageResponse,
} from './product.schema.ts';
import type { ProductEvent, ProductEventRecorder } from './recorder.ts';

/**
 * Tracked events per tenant: a batch costs as many units as it has valid events. Generous for a
 * product's own clients, low enough that one tenant cannot flood the table.
 */
export const trackingPolicy = definePolicy({
  name: 'product-events-per-tenant',
  limit: 6000,
  windowSeconds: 60,
});

export interface ProductAnalyticsDeps {
  readonly db: Db;
  readonly clock: Clock;
  readonly recorder: ProductEventRecorder;
  readonly rateLimiter: RateLimiter;
  /** @default trackingPolicy */
  readonly trackingPolicy?: RateLimitPolicy;
}

/** Checks one event; returns it ready to record, or its field errors (relative to the event). */
export function validateTrackedEvent(
  input: unknown,
  now: Date,
): { event: ProductEvent; errors?: undefined } | { event?: undefined; errors: FieldError[] } {
  const parsed = trackedEventSchema().safeParse(input);
  if (!parsed.success) {
    return {
      errors: parsed.error.issues.flatMap((issue) => {
        const field = issue.path.map(String).join('.') || 'event';
        if (issue.code === 'unrecognized_keys') {
          return issue.keys.map((key) => ({ field: key, message: 'is not a known field' }));
        }
        return [{ field, message: issue.message }];
      }),
    };
  }
  const occurredAt = parsed.data.occurredAt ? new Date(parsed.data.occurredAt) : now;
  if (occurredAt.getTime() < now.getTime() - MAX_BACKDATE_MS) {
    return { errors: [{ field: 'occurredAt', message: 'is more than 7 days ago' }] };
  }
  if (occurredAt.getTime() > now.getTime() + MAX_AHEAD_MS) {
    return { errors: [{ field: 'occurredAt', message: 'is more than 5 minutes ahead' }] };
  }
  return {
    event: {
      eventId: parsed.data.id,
      name: parsed.data.name,
      occurredAt,
      properties: parsed.data.properties ?? {},
    },
  };
}

type Item = Record<string, unknown>;

export function createProductAnalyticsService(deps: ProductAnalyticsDeps) {
  const { db } = deps;

  const queryAll = async (key: { pk: string; skFrom: string; skTo: string }): Promise<Item[]> => {
    const items: Item[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await db.client.send(
        new QueryCommand({
          TableName: db.tableName,
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
          ExpressionAttributeValues: { ':pk': key.pk, ':from': key.skFrom, ':to': key.skTo },
          ExclusiveStartKey: start,
        }),
      );
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start);
    return items;
  };

  const countOf = (item: Item | undefined) => (typeof item?.count === 'number' ? item.count : 0);

  /** Per day (every day of the range), the events by name and the active users of a scope. */
  const dailyUsage = async (scope: string | undefined, range: DayRange) => {
    const items = await queryAll(keys.productDays(scope, range.from, range.to));
    return daysBetween(range.from, range.to).map((date) => {
      const events: Record<string, number> = {};
      let activeUsers = 0;
      for (const item of items) {
        if (item.day === date && typeof item.name === 'string') events[item.name] = countOf(item);
        if (item.kind === 'day' && item.period === date) activeUsers = countOf(item);
      }
      return { date, activeUsers, events };
    });
  };

  const usage = async (scope: string | undefined, range: DayRange): Promise<UsageResponse> => {
    const fromWeek = isoWeekOf(new Date(`${range.from}T00:00:00Z`));
    const toWeek = isoWeekOf(new Date(`${range.to}T00:00:00Z`));
    const fromMonth = range.from.slice(0, 7);
    const toMonth = range.to.slice(0, 7);
    const [days, weekItems, monthItems] = await Promise.all([
      dailyUsage(scope, range),
      queryAll(keys.productPeriods(scope, 'week', fromWeek, toWeek)),
      queryAll(keys.productPeriods(scope, 'month', fromMonth, toMonth)),
    ]);
    const weeks: UsageResponse['weeks'] = [];
    for (let monday = isoWeekStart(fromWeek); ; monday = new Date(monday.getTime() + 7 * 86_400_000)) {
      const week = isoWeekOf(monday);
      weeks.push({ week, activeUsers: countOf(weekItems.find((item) => item.period === week)) });
      if (week === toWeek) break;
    }
    const months: UsageResponse['months'] = [];
    for (let month = fromMonth; month <= toMonth; ) {
      months.push({ month, activeUsers: countOf(monthItems.find((item) => item.period === month)) });
      const [year, m] = month.split('-').map(Number) as [number, number];
      month = monthOf(new Date(Date.UTC(year, m, 1)));
    }
    return { from: range.from, to: range.to, days, weeks, months };
  };

  const retention = async (scope: string | undefined, range: DayRange): Promise<RetentionResponse> => {
    const fromWeek = isoWeekOf(new Date(`${range.from}T00:00:00Z`));
    const toWeek = isoWeekOf(new Date(`${range.to}T00:00:00Z`));
    const cells = await queryAll(keys.productCohorts(scope, fromWeek, toWeek));
    const byCohort = new Map<string, Map<string, number>>();
    let lastWeek: string | undefined;
    for (const cell of cells) {
      if (typeof cell.cohortWeek !== 'string' || typeof cell.week !== 'string') continue;
      const weeks = byCohort.get(cell.cohortWeek) ?? new Map<string, number>();
      weeks.set(cell.week, countOf(cell));
      byCohort.set(cell.cohortWeek, weeks);
      if (!lastWeek || cell.week > lastWeek) lastWeek = cell.week;
    }
    const cohorts = [...byCohort.entries()]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([cohortWeek, weeks]) => {
        const users = weeks.get(cohortWeek) ?? 0;
        const last = lastWeek ? weeksBetween(cohortWeek, lastWeek) : 0;
        const start = isoWeekStart(cohortWeek).getTime();
        return {
          cohortWeek,
          users,
          weeks: Array.from({ length: last + 1 }, (_, k) => {
            const week = isoWeekOf(new Date(start + k * 7 * 86_400_000));
            const activeUsers = weeks.get(week) ?? 0;
            return { k, week, activeUsers, rate: users === 0 ? null : activeUsers / users };
          }),
        };
      });
    return { from: range.from, to: range.to, cohorts };
  };

  /** A lone `from` far back would span more than a year to today: a 400 like the schema's. */
  const rangeOf = (query: DayRangeQuery): DayRange => {
    try {
      return resolveDayRange(query, deps.clock());
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
      throw new BadRequestError('The request query is invalid.', [
        { field: 'query.from', message: error.message },
      ]);
    }
  };

  const readTenant = (ctx: TenantContext) => {
    authorize(ctx, 'analytics:read');
    assertFeature(ctx.billing, ctx.entitlements, 'analytics');
  };
  const readPlatform = (caller: Caller) => {
    requireOperatorPermission(caller, 'metrics:read');
  };

  return {
    /**
     * Validates each event on its own, counts the valid ones against the tenant's rate limit (a
     * refusal records nothing) and records them for the caller. The warehouse copy is not made here:
     * the raw event items reach Firehose from the table's stream (./product-stream.ts), so a
     * Firehose error never fails a request whose events were stored.
     * A batch without one valid event is a 400 naming every event's errors.
     */
    async track(
      ctx: TenantContext,
      body: { events: readonly unknown[] },
    ): Promise<{ result: TrackResponse; rateLimits: RateLimitDecision[] }> {
      const now = deps.clock();
      const valid: ProductEvent[] = [];
      const rejected: TrackResponse['rejected'] = [];
      body.events.forEach((input, index) => {
        const outcome = validateTrackedEvent(input, now);
        if (outcome.event) valid.push(outcome.event);
        else rejected.push({ index, errors: outcome.errors });
      });
      if (valid.length === 0) {
        throw new BadRequestError(
          'No event of the batch is valid.',
          rejected.flatMap(({ index, errors }) =>
            errors.map((error) => ({ field: `body.events.${index}.${error.field}`, message: error.message })),
          ),
        );
      }
      const rateLimits = await deps.rateLimiter.enforce([
        {
          policy: deps.trackingPolicy ?? trackingPolicy,
          subject: ctx.tenantId,
          cost: valid.length,
          refusal: 'This tenant has sent too many product events; retry after the time in Retry-After.',
        },
      ]);
      const outcome = await deps.recorder.record(ctx.tenantId, ctx.caller.userId, valid, 'client');
      return {
        result: { accepted: outcome.accepted.length, duplicates: outcome.duplicates, rejected },
        rateLimits,
      };
    },

    /** Per day of the range: events by name and active users; with the range's weeks and months (admins, owners). */
    async tenantUsage(ctx: TenantContext, query: DayRangeQuery): Promise<UsageResponse> {
      readTenant(ctx);
      return usage(ctx.tenantId, rangeOf(query));
    },

    /** The weekly retention cohorts whose week lies in the range (admins, owners). */
    async tenantRetention(ctx: TenantContext, query: DayRangeQuery): Promise<RetentionResponse> {
      readTenant(ctx);
      return retention(ctx.tenantId, rangeOf(query));
    },

    /** Platform-wide retention cohorts (platform admins). */
    async platformRetention(caller: Caller, query: DayRangeQuery): Promise<RetentionResponse> {
      readPlatform(caller);
      return retention(undefined, rangeOf(query));
    },

    /** Platform-wide events per name over the range, most used first, with DAU, WAU and MAU (platform admins). */
    async platformFeatures(caller: Caller, query: DayRangeQuery): Promise<FeaturesResponse> {
      readPlatform(caller);
      const range = rangeOf(query);
      const { days, weeks, months } = await usage(undefined, range);
      const totals = new Map<string, number>();
      for (const day of days) {
        for (const [name, count] of Object.entries(day.events))
          totals.set(name, (totals.get(name) ?? 0) + count);
      }
      const features = [...totals.entries()]
        .map(([name, events]) => ({ name, events }))
        .sort((a, b) => b.events - a.events || (a.name < b.name ? -1 : 1));
      return { from: range.from, to: range.to, features, days, weeks, months };
    },
  };
}

export type ProductAnalyticsService = ReturnType<typeof createProductAnalyticsService>;
