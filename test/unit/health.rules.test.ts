import { describe, expect, it } from 'vitest';
import {
  assessHealth,
  type Finding,
  type HealthFigures,
  OUTBOX_DEGRADED_AGE_SECONDS,
  OUTBOX_FAILING_AGE_SECONDS,
  orderFindings,
  QUEUE_BACKLOG_DEGRADED,
} from '#shared/health/health.rules.ts';

const zero = { last24Hours: 0, lastHour: 0 };

/** Figures of a healthy stage, for each test to spoil one part of. */
function healthy(): HealthFigures {
  return {
    table: { readThrottles: 0, writeThrottles: 0 },
    bus: { unpublished: 0, unpublishedAtLeast: false, oldestUnpublishedAgeSeconds: 0, publishFailures: 0 },
    queues: [{ name: 'notifications', waiting: 0, inFlight: 0, deadLetters: 0 }],
    webhook: { failures: zero, deferred: 0, serverErrors: 0 },
    functions: [{ name: 'projects', errors: zero, throttles: 0 }],
    unavailable: {},
  };
}

describe('health status rules', () => {
  it('finds nothing and calls every dependency ok for a healthy stage', () => {
    const assessed = assessHealth(healthy());

    expect(assessed.status).toBe('ok');
    expect(assessed.findings).toEqual([]);
    expect(Object.values(assessed.statuses)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
  });

  it('fails the queues for a single dead-lettered message', () => {
    const figures = {
      ...healthy(),
      queues: [{ name: 'notifications', waiting: 0, inFlight: 0, deadLetters: 1 }],
    };

    expect(assessHealth(figures).statuses.queues).toBe('failing');
  });

  it('degrades the queues for a backlog at the threshold, not below it', () => {
    const withWaiting = (waiting: number) => ({
      ...healthy(),
      queues: [{ name: 'notifications', waiting, inFlight: 0, deadLetters: 0 }],
    });

    expect(assessHealth(withWaiting(QUEUE_BACKLOG_DEGRADED)).statuses.queues).toBe('degraded');
    expect(assessHealth(withWaiting(QUEUE_BACKLOG_DEGRADED - 1)).statuses.queues).toBe('ok');
  });

  it.each([
    [OUTBOX_DEGRADED_AGE_SECONDS - 1, 'ok'],
    [OUTBOX_DEGRADED_AGE_SECONDS, 'degraded'],
    [OUTBOX_FAILING_AGE_SECONDS - 1, 'degraded'],
    [OUTBOX_FAILING_AGE_SECONDS, 'failing'],
  ])('calls the bus with an unpublished item %i seconds old %s', (age, status) => {
    const figures = {
      ...healthy(),
      bus: {
        unpublished: 3,
        unpublishedAtLeast: false,
        oldestUnpublishedAgeSeconds: age,
        publishFailures: 0,
      },
    };

    expect(assessHealth(figures).statuses.bus).toBe(status);
  });

  it('degrades the bus when the publisher reported failures', () => {
    const figures = { ...healthy(), bus: { ...healthy().bus, publishFailures: 2 } };

    expect(assessHealth(figures).statuses.bus).toBe('degraded');
  });

  it('fails the webhook for a failure in the last hour, degrades it for one earlier in the day', () => {
    const withFailures = (lastHour: number) => ({
      ...healthy(),
      webhook: { failures: { last24Hours: 3, lastHour }, deferred: 0, serverErrors: 0 },
    });

    expect(assessHealth(withFailures(1)).statuses.webhook).toBe('failing');
    expect(assessHealth(withFailures(0)).statuses.webhook).toBe('degraded');
  });

  it('degrades the webhook for 5xx answers alone', () => {
    const figures = { ...healthy(), webhook: { failures: zero, deferred: 0, serverErrors: 4 } };

    expect(assessHealth(figures).statuses.webhook).toBe('degraded');
  });

  it('fails a function with errors in the last hour and degrades one that was only throttled', () => {
    const figures = {
      ...healthy(),
      functions: [
        { name: 'projects', errors: { last24Hours: 5, lastHour: 1 }, throttles: 0 },
        { name: 'members', errors: zero, throttles: 2 },
      ],
    };

    const assessed = assessHealth(figures);

    expect(assessed.statuses.functions).toBe('failing');
    expect(assessed.findings.map((f) => f.status)).toEqual(['failing', 'degraded']);
  });

  it('degrades the table for throttles and fails it when it cannot be read', () => {
    expect(
      assessHealth({ ...healthy(), table: { readThrottles: 1, writeThrottles: 0 } }).statuses.table,
    ).toBe('degraded');
    expect(
      assessHealth({ ...healthy(), table: { readThrottles: 0, writeThrottles: 0, unreachable: 'timeout' } })
        .statuses.table,
    ).toBe('failing');
  });

  it('degrades a dependency whose figures could not be read, saying why', () => {
    const figures: HealthFigures = {
      ...healthy(),
      functions: null,
      unavailable: { functions: 'CloudWatch: AccessDenied' },
    };

    const assessed = assessHealth(figures);

    expect(assessed.statuses.functions).toBe('degraded');
    expect(assessed.findings[0]?.summary).toContain('CloudWatch: AccessDenied');
  });

  it('calls the whole system as bad as its worst dependency', () => {
    const figures = {
      ...healthy(),
      table: { readThrottles: 1, writeThrottles: 0 },
      queues: [{ name: 'notifications', waiting: 0, inFlight: 0, deadLetters: 2 }],
    };

    expect(assessHealth(figures).status).toBe('failing');
  });
});

describe('what needs attention first', () => {
  const finding = (
    status: Finding['status'],
    dependency: Finding['dependency'],
    weight: number,
  ): Finding => ({
    status,
    dependency,
    summary: `${status} ${dependency} ${weight}`,
    weight,
  });

  it('puts failing before degraded, whatever the dependency', () => {
    const ordered = orderFindings([finding('degraded', 'table', 9), finding('failing', 'functions', 1)]);

    expect(ordered.map((f) => f.status)).toEqual(['failing', 'degraded']);
  });

  it('orders findings of one status by dependency (table, bus, queues, webhook, functions)', () => {
    const ordered = orderFindings([
      finding('failing', 'functions', 1),
      finding('failing', 'queues', 1),
      finding('failing', 'bus', 1),
    ]);

    expect(ordered.map((f) => f.dependency)).toEqual(['bus', 'queues', 'functions']);
  });

  it('puts the larger problem first within one dependency and status', () => {
    const ordered = orderFindings([finding('failing', 'queues', 1), finding('failing', 'queues', 40)]);

    expect(ordered.map((f) => f.weight)).toEqual([40, 1]);
  });

  it('returns the findings of an assessment in that order', () => {
    const figures = {
      ...healthy(),
      table: { readThrottles: 1, writeThrottles: 0 },
      functions: [{ name: 'projects', errors: { last24Hours: 1, lastHour: 1 }, throttles: 0 }],
    };

    expect(assessHealth(figures).findings.map((f) => `${f.status} ${f.dependency}`)).toEqual([
      'failing functions',
      'degraded table',
    ]);
  });
});
