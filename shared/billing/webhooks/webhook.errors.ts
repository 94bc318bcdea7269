import type { FieldError } from '../../http/errors.ts';

/**
 * The webhook's own failures, each with its meaning. A duplicate is acknowledged and a concurrent
 * change retried; the others answer 5xx so Stripe delivers the event again.
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

/**
 * 500: a correctly signed event that Plinth cannot read (not JSON, not an event, an object that
 * does not fit its schema). Stripe sent it, so the code is wrong for the endpoint's API version:
 * Stripe retries while the alarm brings someone to fix it. Never a 400, which Stripe would count as
 * a delivered event that nobody looks at.
 */
export class MalformedStripeEventError extends Error {
  readonly status = 500;
  readonly issues: readonly FieldError[];
  constructor(detail: string, issues: readonly FieldError[] = [], options?: { cause?: unknown }) {
    super(detail, options);
    this.name = 'MalformedStripeEventError';
    this.issues = issues;
  }
}

/** 500: the event is shaped for another API version than the code is written for (see api-version.ts). */
export class UnexpectedApiVersionError extends Error {
  readonly status = 500;
  constructor(eventId: string, received: string | null | undefined, expected: string) {
    super(
      `Stripe event ${eventId} has API version ${received ?? '(none)'}, but the webhook is written for ${expected}: set the endpoint's API version to ${expected}.`,
    );
    this.name = 'UnexpectedApiVersionError';
  }
}

/**
 * 503: the event cannot be applied yet because what it refers to has not arrived (a refund or
 * charge event before the invoice its charge paid). Stripe retries it; nothing is stored.
 */
export class EventNotYetApplicableError extends Error {
  readonly status = 503;
  constructor(detail: string) {
    super(detail);
    this.name = 'EventNotYetApplicableError';
  }
}
