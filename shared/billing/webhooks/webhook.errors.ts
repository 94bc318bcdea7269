/**
 * Conditions of the webhook's transactions that failed, each with its meaning. Neither reaches
 * Stripe as an error: a duplicate is acknowledged, a concurrent change is retried.
 */

/** The event id is already recorded: this delivery is a duplicate and changes nothing. */
export class DuplicateEventError extends Error {
  constructor(eventId: string) {
    super(`Stripe event ${eventId} was already processed.`);
    this.name = 'DuplicateEventError';
  }
}

/**
 * An item this transaction read (billing state, invoice) was changed by someone else before the
 * write: the whole event is processed again from fresh reads.
 */
export class ConcurrentChangeError extends Error {
  constructor(what: string) {
    super(`${what} changed while the event was being applied; retrying from fresh state.`);
    this.name = 'ConcurrentChangeError';
  }
}
