// Names only, no emitter: the CDK app and tests import them without starting Powertools.

/**
 * The metrics the event path emits and its alarms watch (lib/stacks/events-stack.ts): one name each,
 * shared by the handlers that emit them and the stack that alarms on them. All are counts.
 */
export const eventMetricNames = {
  /** Outbox events EventBridge accepted (stream publisher and replay). */
  outboxEventsPublished: 'OutboxEventsPublished',
  /** Outbox records not published (refused entry, failed call) or whose mark was not cleared. */
  outboxPublishFailures: 'OutboxPublishFailures',
  /** Bus messages a consumer failed (each is retried, then dead-lettered). */
  consumerFailures: 'ConsumerFailures',
  /** Bus messages a consumer handled. */
  consumerMessages: 'ConsumerMessages',
  /** Tenants the dunning sweep restricted. */
  tenantsRestricted: 'TenantsRestricted',
  /** Tenants the dunning sweep could not restrict (retried on the next run). */
  dunningSweepFailures: 'DunningSweepFailures',
  /** Tenants whose ledger MRR and billing MRR disagree, per metrics-reconcile run. */
  mrrDrifts: 'MrrReconciliationDrifts',
  /**
   * MRR (as the snapshot holds it: minor units of its currency; not a count) as of the last day the
   * metrics rollup rolled up: the dashboard's MRR graph.
   */
  mrr: 'Mrr',
} as const;
