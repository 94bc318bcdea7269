import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { SQSBatchResponse, SQSRecord } from 'aws-lambda';
import type { Db } from '../db/client.ts';
import { keys } from '../db/keys.ts';
import { type BusEvent, type ConsumerFailure, processBusMessages } from '../events/consumer.ts';
import { parseSubscriptionEvent } from '../events/subscription-events.ts';
import type { Clock } from '../ids.ts';
import { mailedName } from '../mail/mail-text.ts';
import { sendOnceMarks } from '../mail/send-once.ts';
import { billingContacts } from '../tenancy/contacts.ts';
import {
  type BillingMail,
  type BillingMailer,
  renderDisputeMail,
  renderDisputeOpsMail,
  renderPaymentFailedMail,
  renderRenewalMail,
  renderRestrictedMail,
} from './billing-mailer.ts';

/**
 * The notifications consumer: billing events from the bus (through the rule's SQS queue) become
 * emails to the tenant's owners and admins (disputes also to the operators, `opsEmail`). Each event is mailed once: a marker keyed by the
 * event's `detail.eventId` is claimed before sending and settled after, so a redelivery sends
 * nothing more; a failure releases the claim and the message is retried (then dead-lettered).
 */

/** The detail-types this consumer mails; the bus rule delivers these (others are acknowledged). */
export const notifiedEventTypes = [
  'Payment Failed v1',
  'Subscription Restricted v1',
  'Renewal Upcoming v1',
  'Dispute Opened v1',
  'Dispute Closed v1',
] as const;

/** The detail-types also mailed to the operators. */
const operatorEventTypes: ReadonlySet<string> = new Set(['Dispute Opened v1', 'Dispute Closed v1']);

/** Failed payments and the restriction that follows are dunning mail; the rest is billing mail. */
const dunningEventTypes: ReadonlySet<string> = new Set(['Payment Failed v1', 'Subscription Restricted v1']);
const mailKindOf = (type: string): 'dunning' | 'billing' =>
  dunningEventTypes.has(type) ? 'dunning' : 'billing';

export interface NotificationDeps {
  readonly db: Db;
  readonly mailer: BillingMailer;
  readonly clock: Clock;
  /** Where the emails link to (the app's billing page). */
  readonly appUrl: string;
  /** The operators' address (per-stage `opsEmail`): disputes are mailed there too. */
  readonly opsEmail?: string | undefined;
}

export type { BusEvent };
/** Moved to shared/tenancy/contacts.ts; re-exported for the callers that import it from here. */
export { billingContacts };

export type NotifyOutcome = 'sent' | 'duplicate' | 'ignored' | 'no-recipients';

/** 5xx-like: another delivery of the same event is being mailed right now; retry later. */
export class NotificationInFlightError extends Error {
  constructor(eventId: string) {
    super(`Event ${eventId} is being mailed by another delivery; retry later.`);
    this.name = 'NotificationInFlightError';
  }
}

export function createNotificationService(deps: NotificationDeps) {
  const { db } = deps;
  const marks = sendOnceMarks(db, deps.clock);

  async function readItem(key: { pk: string; sk: string }) {
    const { Item } = await db.client.send(
      new GetCommand({ TableName: db.tableName, Key: key, ConsistentRead: true }),
    );
    return Item;
  }

  /** The event's send-once mark: one email (set) per event and tenant, however often delivered. */
  const mark = (tenantId: string, eventId: string) =>
    marks(
      keys.notified(tenantId, eventId),
      { type: 'notification', eventId },
      () => new NotificationInFlightError(eventId),
    );

  /** The email an event calls for, given its recipients and tenant; undefined for other types. */
  async function compose(
    event: BusEvent,
    to: string[],
    tenantName: string,
  ): Promise<BillingMail | undefined> {
    const common = { to, tenantName, appUrl: deps.appUrl };
    switch (event['detail-type']) {
      case 'Payment Failed v1': {
        const detail = parseSubscriptionEvent('Payment Failed v1', event.detail);
        const billing = await readItem(keys.billing(detail.tenantId));
        const graceEndsAt =
          billing?.status === 'past_due' && typeof billing.graceEndsAt === 'string'
            ? billing.graceEndsAt
            : null;
        return renderPaymentFailedMail({
          ...common,
          plan: detail.plan,
          invoiceAmount: detail.invoiceAmount,
          attemptCount: detail.attemptCount,
          graceEndsAt,
        });
      }
      case 'Subscription Restricted v1': {
        const detail = parseSubscriptionEvent('Subscription Restricted v1', event.detail);
        return renderRestrictedMail({ ...common, plan: detail.plan });
      }
      case 'Dispute Opened v1':
      case 'Dispute Closed v1': {
        const detail = parseSubscriptionEvent(event['detail-type'], event.detail);
        return renderDisputeMail({
          ...common,
          closed: event['detail-type'] === 'Dispute Closed v1',
          amount: detail.disputeAmount,
          reason: detail.reason,
          status: detail.disputeStatus,
        });
      }
      case 'Renewal Upcoming v1': {
        const detail = parseSubscriptionEvent('Renewal Upcoming v1', event.detail);
        return renderRenewalMail({
          ...common,
          plan: detail.plan,
          renewsAt: detail.renewsAt,
          invoiceAmount: detail.invoiceAmount,
        });
      }
      default:
        return undefined;
    }
  }

  /** The operators' copy of an event, when it is one they get and `opsEmail` is set. */
  function composeForOperators(event: BusEvent, tenantName: string): BillingMail | undefined {
    const type = event['detail-type'];
    if (!deps.opsEmail || !operatorEventTypes.has(type)) return undefined;
    const detail = parseSubscriptionEvent(type as 'Dispute Opened v1' | 'Dispute Closed v1', event.detail);
    return renderDisputeOpsMail({
      to: [deps.opsEmail],
      tenantName,
      tenantId: detail.tenantId,
      closed: type === 'Dispute Closed v1',
      disputeId: detail.disputeId,
      chargeId: detail.chargeId,
      amount: detail.disputeAmount,
      reason: detail.reason,
      status: detail.disputeStatus,
      evidenceDueBy: detail.evidenceDueBy,
    });
  }

  return {
    /**
     * Mails one bus event to the tenant's owners and admins (and a dispute to the operators), once. Throws (so the message is
     * retried) on a detail that breaks its schema, an SES or DynamoDB failure, or another
     * delivery of the same event in flight.
     */
    async notify(event: BusEvent): Promise<NotifyOutcome> {
      const type = event['detail-type'];
      if (!(notifiedEventTypes as readonly string[]).includes(type)) return 'ignored';
      // Validates the whole detail before anything is claimed: a bad one goes to the DLQ untouched.
      const { tenantId, eventId } = parseSubscriptionEvent(
        type as (typeof notifiedEventTypes)[number],
        event.detail,
      );
      if (!(await mark(tenantId, eventId).claim())) return 'duplicate';
      try {
        const [to, tenant] = await Promise.all([
          billingContacts(db, tenantId),
          readItem(keys.tenant(tenantId)),
        ]);
        // The name is the tenant creator's choice: flattened and cut before it reaches a subject.
        const tenantName = typeof tenant?.name === 'string' ? mailedName(tenant.name) : 'your workspace';
        // Operators hear of a dispute even when the tenant has no one left to mail.
        const forOperators = composeForOperators(event, tenantName);
        if (forOperators) await deps.mailer.send(forOperators);
        if (to.length === 0 || !tenant || tenant.status === 'deleted') {
          await mark(tenantId, eventId).settle({ recipients: forOperators ? 1 : 0 });
          return forOperators ? 'sent' : 'no-recipients';
        }
        const mail = await compose(event, to, tenantName);
        if (mail) await deps.mailer.send({ ...mail, tenantId, kind: mailKindOf(type) });
        await mark(tenantId, eventId).settle({ recipients: (mail ? to.length : 0) + (forOperators ? 1 : 0) });
        return 'sent';
      } catch (error) {
        await mark(tenantId, eventId)
          .release()
          .catch(() => undefined);
        throw error;
      }
    },
  };
}

export type NotificationService = ReturnType<typeof createNotificationService>;

/** What a failed record was, for the log. */
export type NotificationFailure = ConsumerFailure;

/**
 * Handles a batch of the rule's queue (Powertools batch processing, shared/events/consumer.ts): each
 * record's body is an EventBridge event mailed by the service. Records that fail are returned as
 * batch item failures (`ReportBatchItemFailures`): only they are retried, and after the queue's max
 * receive count they move to its dead-letter queue.
 */
export async function processNotificationRecords(
  records: readonly SQSRecord[],
  service: NotificationService,
  onFailure: (failure: NotificationFailure) => void = () => undefined,
): Promise<SQSBatchResponse> {
  return processBusMessages(records, (event) => service.notify(event), onFailure);
}
