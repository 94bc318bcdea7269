import { describe, expect, it } from 'vitest';
import {
  dayOf,
  isoWeekOf,
  isoWeekStart,
  periodsOf,
  weeksBetween,
} from '#shared/analytics/product/periods.ts';
import { resolveDayRange } from '#shared/analytics/product/product.schema.ts';
import { validateTrackedEvent } from '#shared/analytics/product/product-analytics.service.ts';

const NOW = new Date('2026-12-02T12:00:00.000Z');

describe('ISO weeks', () => {
  it.each([
    ['2026-12-02T12:00:00Z', '2026-W49'],
    ['2026-11-30T00:00:00Z', '2026-W49'],
    ['2026-11-29T23:59:59Z', '2026-W48'],
    ['2021-01-01T00:00:00Z', '2020-W53'],
    ['2024-12-30T00:00:00Z', '2025-W01'],
    ['2026-01-01T00:00:00Z', '2026-W01'],
  ])('puts %s in %s', (at, week) => {
    expect(isoWeekOf(new Date(at))).toBe(week);
  });

  it('starts a week on its Monday', () => {
    expect(isoWeekStart('2025-W01').toISOString()).toBe('2024-12-30T00:00:00.000Z');
  });

  it('counts weeks across a year boundary', () => {
    expect(weeksBetween('2025-W52', '2026-W02')).toBe(2);
  });

  it('lists each day, week and month of a set of instants once', () => {
    const periods = periodsOf([NOW, new Date('2026-12-02T18:00:00Z'), new Date('2026-11-29T10:00:00Z')]);
    expect(periods).toEqual([
      { kind: 'day', value: '2026-12-02' },
      { kind: 'week', value: '2026-W49' },
      { kind: 'month', value: '2026-12' },
      { kind: 'day', value: '2026-11-29' },
      { kind: 'week', value: '2026-W48' },
      { kind: 'month', value: '2026-11' },
    ]);
  });
});

describe('tracked event validation', () => {
  it('defaults occurredAt to now and properties to none', () => {
    const outcome = validateTrackedEvent({ id: 'e1', name: 'report_exported' }, NOW);
    expect(outcome.event).toEqual({
      eventId: 'e1',
      name: 'report_exported',
      occurredAt: NOW,
      properties: {},
    });
  });

  it('rejects a name that is not snake_case', () => {
    const outcome = validateTrackedEvent({ id: 'e1', name: 'ReportExported' }, NOW);
    expect(outcome.errors?.map((e) => e.field)).toEqual(['name']);
  });

  it('rejects a name longer than 64 characters', () => {
    expect(validateTrackedEvent({ id: 'e1', name: 'a'.repeat(65) }, NOW).errors?.[0]?.field).toBe('name');
  });

  it('rejects an occurredAt more than 7 days back', () => {
    const outcome = validateTrackedEvent({ id: 'e1', name: 'x', occurredAt: '2026-11-25T11:59:59Z' }, NOW);
    expect(outcome.errors).toEqual([{ field: 'occurredAt', message: 'is more than 7 days ago' }]);
  });

  it('accepts an occurredAt exactly 7 days back', () => {
    expect(
      validateTrackedEvent({ id: 'e1', name: 'x', occurredAt: '2026-11-25T12:00:00Z' }, NOW).event,
    ).toBeDefined();
  });

  it('rejects an occurredAt more than 5 minutes ahead', () => {
    const outcome = validateTrackedEvent({ id: 'e1', name: 'x', occurredAt: '2026-12-02T12:05:01Z' }, NOW);
    expect(outcome.errors).toEqual([{ field: 'occurredAt', message: 'is more than 5 minutes ahead' }]);
  });

  it('rejects nested properties', () => {
    const outcome = validateTrackedEvent({ id: 'e1', name: 'x', properties: { a: { b: 1 } } }, NOW);
    expect(outcome.errors?.[0]?.field).toBe('properties.a');
  });

  it('rejects properties above 2 KB', () => {
    const properties = { a: 'x'.repeat(1000), b: 'y'.repeat(1000), c: 'z'.repeat(100) };
    expect(validateTrackedEvent({ id: 'e1', name: 'x', properties }, NOW).errors?.[0]?.field).toBe(
      'properties',
    );
  });

  it('rejects a field it does not know (such as a user id)', () => {
    const outcome = validateTrackedEvent({ id: 'e1', name: 'x', userId: 'someone-else' }, NOW);
    expect(outcome.errors).toEqual([{ field: 'userId', message: 'is not a known field' }]);
  });
});

describe('read ranges', () => {
  it('defaults to the last 30 days, today included', () => {
    expect(resolveDayRange({}, NOW)).toEqual({ from: '2026-11-03', to: '2026-12-02' });
  });

  it('runs a lone from to today', () => {
    expect(resolveDayRange({ from: '2026-11-20' }, NOW)).toEqual({ from: '2026-11-20', to: dayOf(NOW) });
  });

  it('refuses a lone from more than a year back', () => {
    expect(() => resolveDayRange({ from: '2025-01-01' }, NOW)).toThrow(RangeError);
  });
});
