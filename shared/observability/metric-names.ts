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
  /** Critical-announcement emails sent (one per addressed user). */
  announcementEmailsSent: 'AnnouncementEmailsSent',
  /** Announcement mail runs the sweep started. */
  announcementMailRunsStarted: 'AnnouncementMailRunsStarted',
  /** Tenant-days the audit digest job anchored in the Object Lock bucket. */
  auditDaysDigested: 'AuditDaysDigested',
  /** Tenant-days digested again with a different head: entries arrived after their digest (alarmed). */
  auditDigestsRevised: 'AuditDigestsRevised',
  /** Audit digest runs that failed (the scheduler retries; the next run takes what is still due). */
  auditDigestFailures: 'AuditDigestFailures',
  /** Tenants whose audit chain does not hold against the anchored digests (alarmed). */
  auditChainBreaks: 'AuditChainBreaks',
  /**
   * MRR (as the snapshot holds it: minor units of its currency; not a count) as of the last day the
   * metrics rollup rolled up: the dashboard's MRR graph.
   */
  mrr: 'Mrr',
} as const;

/** The metrics of the product-activity consumer's warehouse copy; the failures are alarmed. Counts. */
export const productMetricNames = {
  /** Raw product events Firehose accepted for the warehouse. */
  warehouseEventsDelivered: 'WarehouseEventsDelivered',
  /** Raw product events not delivered in a stream batch (the batch is retried from them). */
  warehouseDeliveryFailures: 'WarehouseDeliveryFailures',
} as const;

/** What the SES feedback consumer (functions/mail-feedback) counts. */
export const mailMetricNames = {
  /** Addresses a hard bounce or a complaint put on the suppression list. */
  addressesSuppressed: 'EmailAddressesSuppressed',
  /** SES reports the consumer could not apply (the invocation fails and is retried). */
  feedbackFailures: 'MailFeedbackFailures',
} as const;
