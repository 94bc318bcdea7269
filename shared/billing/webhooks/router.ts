import { transactWrite } from '../../db/transact.ts';
import { ConflictError } from '../../http/errors.ts';
import { alreadyProcessed, eventRecordStep } from './event-record.ts';
import type { EventHandler, HandlerOutcome } from './handler-outcome.ts';
import { handleChargeDispute } from './handlers/charge-dispute.ts';
import { handleChargeRefunded } from './handlers/charge-refunded.ts';
import { handleCheckoutSessionCompleted } from './handlers/checkout-session-completed.ts';
import { handleDiscountDeleted } from './handlers/customer-discount.ts';
import { handleSubscriptionEvent } from './handlers/customer-subscription.ts';
import { handleInvoicePaid, handleInvoicePaymentFailed } from './handlers/invoice-outcome.ts';
import { handleInvoicePaymentActionRequired } from './handlers/invoice-payment-action-required.ts';
import { handleInvoiceUpcoming } from './handlers/invoice-upcoming.ts';
import { handleRefundChanged } from './handlers/refund-changed.ts';
import type { StripeEvent } from './stripe-objects.ts';
import type { WebhookDeps } from './webhook.deps.ts';
import { ConcurrentChangeError, DuplicateEventError } from './webhook.errors.ts';

/** The event types Plinth acts on, each with its handler. Anything else is acknowledged and ignored. */
export const eventHandlers: Readonly<Record<string, EventHandler>> = {
  'checkout.session.completed': handleCheckoutSessionCompleted,
  'customer.subscription.created': handleSubscriptionEvent,
  'customer.subscription.updated': handleSubscriptionEvent,
  'customer.subscription.deleted': handleSubscriptionEvent,
  'customer.subscription.paused': handleSubscriptionEvent,
  'customer.subscription.resumed': handleSubscriptionEvent,
  'customer.subscription.trial_will_end': handleSubscriptionEvent,
  'customer.discount.deleted': handleDiscountDeleted,
  'invoice.paid': handleInvoicePaid,
  'invoice.payment_failed': handleInvoicePaymentFailed,
  'invoice.payment_action_required': handleInvoicePaymentActionRequired,
  'invoice.upcoming': handleInvoiceUpcoming,
  'charge.refunded': handleChargeRefunded,
  'charge.refund.updated': handleRefundChanged,
  'refund.created': handleRefundChanged,
  'refund.updated': handleRefundChanged,
  'refund.failed': handleRefundChanged,
  'charge.dispute.created': handleChargeDispute,
  'charge.dispute.closed': handleChargeDispute,
};

/** The event types to enable on the Stripe webhook endpoint. */
export const handledEventTypes = Object.keys(eventHandlers);

/** Attempts when another writer changes the same items between our read and our write. */
const MAX_ATTEMPTS = 8;

export type ProcessOutcome =
  /** The event's changes (possibly none: a stale event) were written with its id. */
  | 'applied'
  /** The id was already recorded: nothing written. */
  | 'duplicate'
  /** A type Plinth does not handle: nothing written. */
  | 'ignored'
  /** Nothing to apply it to (a customer or charge Plinth does not know): nothing written. */
  | 'skipped';

export interface ProcessResult {
  readonly outcome: ProcessOutcome;
  readonly tenantId?: string | null;
  readonly detail?: string;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Logs and counts what the event raised for operators, once its changes are written. */
function raiseAlerts(deps: WebhookDeps, event: StripeEvent, outcome: HandlerOutcome): void {
  for (const alert of outcome.alerts ?? []) {
    deps.log.error(alert.message, { ...alert.details, stripeEventId: event.id, eventType: event.type });
    deps.metrics.addMetric(alert.metric, 'Count', 1);
  }
}

/**
 * Applies one verified Stripe event exactly once. Its handler reads what it needs and returns the
 * writes (state change, mirror, outbox events); they go in ONE transaction with the event's
 * record, conditional on the record being new and on every item read being unchanged. So:
 * concurrent deliveries of the same event apply once (the others find the record: duplicate), a
 * crash leaves nothing half-applied, and a concurrent change by another event makes this one
 * start again from fresh reads. Errors propagate (the webhook answers 5xx so Stripe retries).
 */
export async function processStripeEvent(event: StripeEvent, deps: WebhookDeps): Promise<ProcessResult> {
  const handler = eventHandlers[event.type];
  if (!handler) return { outcome: 'ignored', detail: `${event.type} is not handled` };
  if (await alreadyProcessed(deps.db, event.id)) return { outcome: 'duplicate' };

  for (let attempt = 1; ; attempt++) {
    let result: HandlerOutcome;
    try {
      result = await handler(event, deps);
    } catch (error) {
      // A handler that found the event applied meanwhile (before asking Stripe) stops here.
      if (error instanceof DuplicateEventError) return { outcome: 'duplicate' };
      throw error;
    }
    if (result.kind === 'skip') {
      raiseAlerts(deps, event, result);
      return { outcome: 'skipped', detail: result.reason };
    }
    try {
      await transactWrite(deps.db, [
        eventRecordStep(deps.db, event, result.tenantId, result.summary, deps.clock()),
        ...result.steps,
      ]);
      raiseAlerts(deps, event, result);
      return { outcome: 'applied', tenantId: result.tenantId, detail: result.summary };
    } catch (error) {
      if (error instanceof DuplicateEventError) return { outcome: 'duplicate', tenantId: result.tenantId };
      const retryable = error instanceof ConcurrentChangeError || error instanceof ConflictError;
      if (!retryable || attempt >= MAX_ATTEMPTS) throw error;
      deps.log.info('concurrent change; processing the event again', { attempt, reason: error.message });
      await pause(Math.random() * 25 * attempt);
    }
  }
}
