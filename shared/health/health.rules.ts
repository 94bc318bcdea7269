/**
 * The health rules: from the figures of each dependency, a status (`ok`, `degraded`, `failing`)
 * and the findings behind it, ordered so the one that needs attention first comes first.
 *
 * The rules, per dependency (figures over the last 24 hours unless said otherwise):
 * - **table**: failing when the table cannot be read; degraded when DynamoDB throttled any read or
 *   write (ReadThrottleEvents, WriteThrottleEvents).
 * - **bus** (the outbox and its publisher): failing when an outbox item has waited unpublished for
 *   {@link OUTBOX_FAILING_AGE_SECONDS} or more (the publisher is not keeping up: replay it);
 *   degraded when one has waited {@link OUTBOX_DEGRADED_AGE_SECONDS} or more (the publisher
 *   normally takes a second) or the publisher reported failures (OutboxPublishFailures).
 * - **queues**: failing when any dead-letter queue holds a message (something failed every retry;
 *   the same condition as the DLQ alarms); degraded when a queue has
 *   {@link QUEUE_BACKLOG_DEGRADED} or more messages waiting (its consumer is behind).
 * - **webhook**: failing when a Stripe event failed in the last hour (Stripe retries, but not for
 *   ever); degraded when one failed, was deferred, or the endpoint answered 5xx in 24 hours.
 * - **functions**: failing when a function had errors in the last hour (Lambda `Errors`: crashes
 *   and timeouts); degraded when it had errors or was throttled in 24 hours.
 * Any dependency whose figures could not be read is degraded (not ok: nobody knows), with a finding
 * naming what could not be read. The overall status is the worst of the dependencies'.
 */

export const healthStatuses = ['ok', 'degraded', 'failing'] as const;
export type HealthStatus = (typeof healthStatuses)[number];
export const dependencyNames = ['table', 'bus', 'queues', 'webhook', 'functions'] as const;
export type DependencyName = (typeof dependencyNames)[number];

export const OUTBOX_DEGRADED_AGE_SECONDS = 60;
export const OUTBOX_FAILING_AGE_SECONDS = 15 * 60;
export const QUEUE_BACKLOG_DEGRADED = 100;

/** A metric's sum over the last 24 hours and over the last hour of them. */
export interface MetricSums {
  readonly last24Hours: number;
  readonly lastHour: number;
}

/** `null`: the figure could not be read (the reason is in the finding). */
export interface TableFigures {
  readonly readThrottles: number | null;
  readonly writeThrottles: number | null;
  /** Why the table could not be read, when it could not. */
  readonly unreachable?: string;
}

export interface BusFigures {
  /** Outbox items not yet published (counted up to a bound: see `atLeast`). */
  readonly unpublished: number | null;
  /** True when the count stopped at its bound: there are at least that many. */
  readonly unpublishedAtLeast: boolean;
  readonly oldestUnpublishedAgeSeconds: number | null;
  readonly publishFailures: number | null;
}

export interface QueueFigures {
  readonly name: string;
  /** Messages waiting in the queue (null for a dead-letter queue that stands alone). */
  readonly waiting: number | null;
  /** Messages a consumer holds right now. */
  readonly inFlight: number | null;
  readonly deadLetters: number;
}

export interface WebhookFigures {
  readonly failures: MetricSums | null;
  readonly deferred: number | null;
  readonly serverErrors: number | null;
}

export interface FunctionFigures {
  readonly name: string;
  readonly errors: MetricSums | null;
  readonly throttles: number | null;
}

export interface HealthFigures {
  readonly table: TableFigures;
  readonly bus: BusFigures;
  /** `null` when the queues could not be read. */
  readonly queues: readonly QueueFigures[] | null;
  readonly webhook: WebhookFigures;
  readonly functions: readonly FunctionFigures[] | null;
  /** What could not be read, by dependency (a CloudWatch or SQS error, in a few words). */
  readonly unavailable: Readonly<Partial<Record<DependencyName, string>>>;
}

/** One thing that is not ok, for the operator: where, how bad, what it is. */
export interface Finding {
  readonly status: Exclude<HealthStatus, 'ok'>;
  readonly dependency: DependencyName;
  readonly summary: string;
  /** Orders findings of one status: the larger, the more pressing (a count, an age in seconds). */
  readonly weight: number;
}

const rank: Readonly<Record<HealthStatus, number>> = { ok: 0, degraded: 1, failing: 2 };

/** The worse of statuses (`ok` for none). */
export function worstOf(statuses: readonly HealthStatus[]): HealthStatus {
  return statuses.reduce<HealthStatus>((worst, s) => (rank[s] > rank[worst] ? s : worst), 'ok');
}

/**
 * What needs attention first: failing before degraded; within a status, the dependency order
 * (table, bus, queues, webhook, functions: what the others stand on first) and then the larger
 * weight first.
 */
export function orderFindings(findings: readonly Finding[]): Finding[] {
  return [...findings].sort(
    (a, b) =>
      rank[b.status] - rank[a.status] ||
      dependencyNames.indexOf(a.dependency) - dependencyNames.indexOf(b.dependency) ||
      b.weight - a.weight,
  );
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function describeAge(seconds: number): string {
  if (seconds >= 3600) return plural(Math.floor(seconds / 3600), 'hour');
  if (seconds >= 60) return plural(Math.floor(seconds / 60), 'minute');
  return plural(seconds, 'second');
}

function tableFindings(figures: TableFigures): Finding[] {
  if (figures.unreachable !== undefined) {
    return [
      {
        status: 'failing',
        dependency: 'table',
        summary: `The table cannot be read: ${figures.unreachable}`,
        weight: 1,
      },
    ];
  }
  const throttles = (figures.readThrottles ?? 0) + (figures.writeThrottles ?? 0);
  if (throttles === 0) return [];
  return [
    {
      status: 'degraded',
      dependency: 'table',
      summary: `DynamoDB throttled ${plural(throttles, 'request')} in 24 hours (${figures.readThrottles ?? 0} reads, ${figures.writeThrottles ?? 0} writes).`,
      weight: throttles,
    },
  ];
}

function busFindings(figures: BusFigures): Finding[] {
  const findings: Finding[] = [];
  const age = figures.oldestUnpublishedAgeSeconds;
  if (age !== null && age >= OUTBOX_DEGRADED_AGE_SECONDS) {
    const count = figures.unpublished ?? 0;
    findings.push({
      status: age >= OUTBOX_FAILING_AGE_SECONDS ? 'failing' : 'degraded',
      dependency: 'bus',
      summary: `${plural(count, 'outbox event')}${figures.unpublishedAtLeast ? ' or more' : ''} not published; the oldest has waited ${describeAge(age)}. Check the outbox publisher, then run \`npm run outbox:replay\`.`,
      weight: age,
    });
  }
  if (figures.publishFailures !== null && figures.publishFailures > 0) {
    findings.push({
      status: 'degraded',
      dependency: 'bus',
      summary: `The outbox publisher failed to publish ${plural(figures.publishFailures, 'event')} in 24 hours.`,
      weight: figures.publishFailures,
    });
  }
  return findings;
}

function queueFindings(queues: readonly QueueFigures[]): Finding[] {
  const findings: Finding[] = [];
  for (const queue of queues) {
    if (queue.deadLetters > 0) {
      findings.push({
        status: 'failing',
        dependency: 'queues',
        summary: `${plural(queue.deadLetters, 'message')} in the ${queue.name} dead-letter queue: inspect them, fix the cause, then redrive.`,
        weight: queue.deadLetters,
      });
    }
    if (queue.waiting !== null && queue.waiting >= QUEUE_BACKLOG_DEGRADED) {
      findings.push({
        status: 'degraded',
        dependency: 'queues',
        summary: `${plural(queue.waiting, 'message')} waiting in the ${queue.name} queue: its consumer is behind.`,
        weight: queue.waiting,
      });
    }
  }
  return findings;
}

function webhookFindings(figures: WebhookFigures): Finding[] {
  const failures = figures.failures;
  if (failures && failures.lastHour > 0) {
    return [
      {
        status: 'failing',
        dependency: 'webhook',
        summary: `${plural(failures.lastHour, 'Stripe event')} failed in the last hour (${failures.last24Hours} in 24 hours): see the webhook's error log before Stripe's retries run out.`,
        weight: failures.lastHour,
      },
    ];
  }
  const parts = [
    failures && failures.last24Hours > 0 ? `${plural(failures.last24Hours, 'event')} failed` : undefined,
    figures.deferred ? `${plural(figures.deferred, 'event')} deferred` : undefined,
    figures.serverErrors ? `${plural(figures.serverErrors, '5xx answer')}` : undefined,
  ].filter((p): p is string => p !== undefined);
  if (parts.length === 0) return [];
  return [
    {
      status: 'degraded',
      dependency: 'webhook',
      summary: `Stripe webhook in 24 hours: ${parts.join(', ')}.`,
      weight: (failures?.last24Hours ?? 0) + (figures.deferred ?? 0) + (figures.serverErrors ?? 0),
    },
  ];
}

function functionFindings(functions: readonly FunctionFigures[]): Finding[] {
  const findings: Finding[] = [];
  for (const fn of functions) {
    const errors = fn.errors;
    const throttles = fn.throttles ?? 0;
    if (errors && errors.lastHour > 0) {
      findings.push({
        status: 'failing',
        dependency: 'functions',
        summary: `The ${fn.name} function failed ${plural(errors.lastHour, 'time')} in the last hour (${errors.last24Hours} in 24 hours).`,
        weight: errors.lastHour,
      });
    } else if ((errors?.last24Hours ?? 0) > 0 || throttles > 0) {
      findings.push({
        status: 'degraded',
        dependency: 'functions',
        summary: `The ${fn.name} function in 24 hours: ${plural(errors?.last24Hours ?? 0, 'error')}, ${plural(throttles, 'throttle')}.`,
        weight: (errors?.last24Hours ?? 0) + throttles,
      });
    }
  }
  return findings;
}

/** Each dependency's status and the findings, ordered by what needs attention first. */
export function assessHealth(figures: HealthFigures): {
  status: HealthStatus;
  statuses: Record<DependencyName, HealthStatus>;
  findings: Finding[];
} {
  const findings = [
    ...tableFindings(figures.table),
    ...busFindings(figures.bus),
    ...(figures.queues ? queueFindings(figures.queues) : []),
    ...webhookFindings(figures.webhook),
    ...(figures.functions ? functionFindings(figures.functions) : []),
  ];
  for (const [dependency, reason] of Object.entries(figures.unavailable) as [DependencyName, string][]) {
    findings.push({
      status: 'degraded',
      dependency,
      summary: `Some ${dependency} figures could not be read: ${reason}`,
      weight: 0,
    });
  }
  const statuses = Object.fromEntries(
    dependencyNames.map((name) => [
      name,
      worstOf(findings.filter((f) => f.dependency === name).map((f) => f.status)),
    ]),
  ) as Record<DependencyName, HealthStatus>;
  return { status: worstOf(Object.values(statuses)), statuses, findings: orderFindings(findings) };
}
