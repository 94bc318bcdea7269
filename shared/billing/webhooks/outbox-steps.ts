import type { TransactStep } from '../../db/transact.ts';
import { outboxStep } from '../../events/outbox.ts';
import {
  type DetailOf,
  type DomainEvent,
  type SubscriptionDetail,
  type SubscriptionEventType,
  subscriptionEvent,
} from '../../events/subscription-events.ts';
import type { StripeEvent } from './stripe-objects.ts';
import { isoFromEpoch } from './subscription-snapshot.ts';
import {
  type BillingRecord,
  isLive,
  recurringAmountOf,
  type Transition,
  type TransitionMeta,
} from './transitions.ts';
import type { WebhookDeps } from './webhook.deps.ts';

/** Whether an operator's comp is what holds the tenant's MRR at 0 (analytics counts it apart). */
export const isComped = (record: BillingRecord): boolean => Boolean(record.comp) && isLive(record.status);

/** The meta of a state move for this event. */
export function transitionMeta(event: StripeEvent, deps: WebhookDeps): TransitionMeta {
  return { created: event.created, now: deps.clock().toISOString(), graceDays: deps.graceDays };
}

/** The common detail of every subscription event, from the state before and after the change. */
export function detailOf(
  event: StripeEvent,
  deps: WebhookDeps,
  previous: BillingRecord,
  next: BillingRecord,
): SubscriptionDetail {
  return {
    eventId: deps.newId(),
    tenantId: next.tenantId,
    subscriptionId: next.subscriptionId,
    plan: next.plan,
    interval: next.interval,
    status: next.status,
    amount: recurringAmountOf(next),
    previousAmount: recurringAmountOf(previous),
    comp: isComped(next),
    stripeEventId: event.id,
    occurredAt: isoFromEpoch(event.created),
  };
}

/** The outbox step of one subscription event, validated against its schema before any write. */
export function eventStep<T extends SubscriptionEventType>(
  deps: WebhookDeps,
  detailType: T,
  detail: DetailOf<T>,
): TransactStep {
  const domainEvent: DomainEvent<T> = subscriptionEvent(detailType, detail);
  return outboxStep(deps.db, domainEvent as DomainEvent, deps.clock());
}

/** The outbox steps of a transition's lifecycle events, in order. */
export function lifecycleSteps(
  event: StripeEvent,
  deps: WebhookDeps,
  transition: Transition,
): TransactStep[] {
  return transition.emits.map((type) =>
    eventStep(deps, type, detailOf(event, deps, transition.previous, transition.next)),
  );
}
