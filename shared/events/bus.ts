/**
 * The custom EventBridge bus, its rules and the schedules, declared once as data. The CDK stacks and
 * the local runner (scripts/local/runner.ts) both build from this, so they wire the same things.
 */
export interface RuleDefinition {
  /** Stable logical name, also the local SQS queue name suffix. */
  readonly name: string;
  readonly description: string;
  /** An EventBridge event pattern. */
  readonly eventPattern: { readonly source?: readonly string[]; readonly 'detail-type'?: readonly string[] };
  /**
   * The function that consumes the rule's events: `functions/<consumer>/handler.ts`, an SQS handler
   * that reports batch item failures. The rule delivers to a queue (with a dead-letter queue) that
   * the consumer drains, in AWS and locally alike. Several rules may share a consumer.
   */
  readonly consumer: string;
}

/** A function run on a fixed rate (EventBridge Scheduler in AWS, the runner's `triggerSchedule` locally). */
export interface ScheduleDefinition {
  /** Stable logical name. */
  readonly name: string;
  readonly description: string;
  /** Runs every this many minutes. */
  readonly everyMinutes: number;
  /** `functions/<target>/handler.ts`, called with `{ time }` (the scheduled time, ISO 8601). */
  readonly target: string;
}

export const EVENT_SOURCE = 'plinth';

/**
 * The billing events that email a tenant's owners and admins: exactly the types the notifications
 * consumer mails (`notifiedEventTypes` in shared/notifications; a test holds the two equal).
 */
const billingNotificationTypes = [
  'Payment Failed v1',
  'Subscription Restricted v1',
  'Renewal Upcoming v1',
  'Dispute Opened v1',
  'Dispute Closed v1',
] as const;

/**
 * The subscription events that can move a tenant's MRR: exactly the types the movements consumer
 * records (`mrrEventTypes` in shared/analytics; a test holds the two equal).
 */
const mrrEventTypes = [
  'Subscription Started v1',
  'Subscription Changed v1',
  'Subscription Past Due v1',
  'Subscription Canceled v1',
  'Subscription Reactivated v1',
] as const;

export const busDefinition = {
  /** Suffixed with the stage: `plinth-dev`, `plinth-prod`, `plinth-local`. */
  namePrefix: 'plinth',
  /**
   * How many times a consumer gets a message before the rule's queue moves it to the rule's
   * dead-letter queue (the queue's redrive policy, in AWS and locally).
   */
  maxReceiveCount: 3,
  rules: [
    {
      name: 'notifications',
      description: "Billing events that email the tenant's owners and admins",
      eventPattern: { source: [EVENT_SOURCE], 'detail-type': billingNotificationTypes },
      consumer: 'notifications',
    },
    {
      name: 'analytics-movements',
      description: 'Subscription changes that may move MRR, recorded as MRR movements',
      eventPattern: { source: [EVENT_SOURCE], 'detail-type': mrrEventTypes },
      consumer: 'analytics-movements',
    },
    {
      name: 'announcement-mail',
      description: 'Critical announcements emailed to their audience, one page of users per event',
      eventPattern: { source: [EVENT_SOURCE], 'detail-type': ['Announcement Mail Requested v1'] },
      consumer: 'announcement-mail',
    },
    {
      name: 'export-worker',
      description: "Data exports (a user's or a tenant's), one chunk of the archive per event",
      // EXPORT_REQUESTED in shared/exports/export-events.ts (which imports this module).
      eventPattern: { source: [EVENT_SOURCE], 'detail-type': ['Export Requested v1'] },
      consumer: 'export-worker',
    },
  ] as readonly RuleDefinition[],
  schedules: [
    {
      name: 'dunning-sweep',
      description: 'Restricts tenants whose grace period after a failed payment has ended',
      everyMinutes: 60,
      target: 'dunning-sweep',
    },
    {
      name: 'metrics-rollup',
      description: 'Rolls the MRR movements up into daily metrics snapshots, through the last complete day',
      everyMinutes: 24 * 60,
      target: 'metrics-rollup',
    },
    {
      name: 'metrics-reconcile',
      description:
        "Compares each subscribed tenant's MRR from the movements with its billing state, for the last complete day",
      everyMinutes: 24 * 60,
      target: 'metrics-reconcile',
    },
    {
      name: 'announcement-mail-sweep',
      description: 'Starts the email of critical announcements whose publishAt has come',
      everyMinutes: 1,
      target: 'announcement-mail-sweep',
    },
    {
      name: 'audit-digest',
      description:
        "Chains each tenant's audit entries of the closed days (an hour past midnight UTC) and writes the digests to the Object Lock bucket",
      everyMinutes: 60,
      target: 'audit-digest',
    },
    {
      name: 'audit-verify',
      description: "Recomputes every recently digested tenant's audit chain against the anchored digests",
      everyMinutes: 24 * 60,
      target: 'audit-verify',
    },
    {
      name: 'erasure-run',
      description:
        'Runs the accepted erasures (account deletions, operator erasures, tenant purges) and resumes any that crashed',
      everyMinutes: 1,
      target: 'erasure-run',
    },
    {
      name: 'tenant-purge',
      description: 'Purges the soft-deleted tenants whose grace period has ended',
      everyMinutes: 24 * 60,
      target: 'tenant-purge',
    },
  ] as readonly ScheduleDefinition[],
} as const;

export function busNameFor(stage: string): string {
  return `${busDefinition.namePrefix}-${stage}`;
}
