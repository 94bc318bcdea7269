import { billingWriteStep, readBillingRecord } from '../billing-record.ts';
import { parseObject } from '../event-parsing.ts';
import { alreadyProcessed } from '../event-record.ts';
import { apply, type EventHandler, skip, type WebhookAlert } from '../handler-outcome.ts';
import { lifecycleSteps, transitionMeta } from '../outbox-steps.ts';
import { type StripeEvent, type StripeSubscription, subscriptionSchema } from '../stripe-objects.ts';
import {
  discountsToResolve,
  type ResolvedDiscount,
  type SubscriptionSnapshot,
  snapshotOf,
} from '../subscription-snapshot.ts';
import { resolveTenant } from '../tenant-lookup.ts';
import {
  applySubscriptionSnapshot,
  type BillingRecord,
  combineTransitions,
  type DuplicateSubscriptionRecord,
  isAmbiguousSnapshot,
  isLive,
  type SnapshotOutcome,
  type TransitionMeta,
} from '../transitions.ts';
import { type WebhookDeps, webhookMetricNames } from '../webhook.deps.ts';
import { DuplicateEventError } from '../webhook.errors.ts';

async function resolvedDiscounts(
  deps: WebhookDeps,
  subscriptionId: string,
  missing: readonly string[],
): Promise<ReadonlyMap<string, ResolvedDiscount>> {
  if (missing.length === 0) return new Map();
  const fetched = await deps.stripe.subscriptionDiscounts(subscriptionId);
  const byId = new Map(fetched.map((discount) => [discount.id, discount]));
  const unknown = missing.filter((id) => !byId.has(id));
  if (unknown.length > 0) {
    deps.log.warn('discounts not found on the subscription; the amount leaves them out', {
      subscriptionId,
      unknown,
    });
  }
  return byId;
}

/** The snapshot of a subscription payload at the event's time, with its discounts' terms. */
async function snapshotAt(
  deps: WebhookDeps,
  subscription: StripeSubscription,
  at: number,
): Promise<SubscriptionSnapshot> {
  const discounts = await resolvedDiscounts(deps, subscription.id, discountsToResolve(subscription));
  return snapshotOf(subscription, { priceIds: deps.priceIds, resolvedDiscounts: discounts, at });
}

/**
 * The subscription as Stripe holds it now, dated by `event`. Before asking, makes sure the event
 * was not applied meanwhile by a concurrent delivery (whose state would look ambiguous to this one).
 */
async function currentSnapshot(
  event: StripeEvent,
  deps: WebhookDeps,
  subscriptionId: string,
): Promise<SubscriptionSnapshot> {
  if (await alreadyProcessed(deps.db, event.id)) throw new DuplicateEventError(event.id);
  return snapshotAt(deps, await deps.stripe.currentSubscription(subscriptionId), event.created);
}

/**
 * Applies what the event says, asking Stripe when it cannot tell: a same-second snapshot of the
 * held subscription that differs from it (the order of the two events is unknown), or a live
 * snapshot of another subscription older than the held state (ended since, or a duplicate).
 */
async function decide(
  event: StripeEvent,
  deps: WebhookDeps,
  previous: BillingRecord,
  snapshot: SubscriptionSnapshot,
  meta: TransitionMeta,
): Promise<SnapshotOutcome> {
  if (isAmbiguousSnapshot(previous, snapshot, event.created)) {
    deps.log.info('two events of the subscription in one second; asking Stripe for its state now', {
      subscriptionId: snapshot.subscriptionId,
    });
    const current = await currentSnapshot(event, deps, snapshot.subscriptionId);
    return applySubscriptionSnapshot(previous, current, meta, { current: true });
  }
  const outcome = applySubscriptionSnapshot(previous, snapshot, meta);
  if (outcome.kind !== 'verify') return outcome;
  const current = await currentSnapshot(event, deps, snapshot.subscriptionId);
  return applySubscriptionSnapshot(previous, current, meta, { current: true });
}

/**
 * When the held subscription has just ended while a duplicate is live, the duplicate takes over:
 * its state is asked of Stripe (its own last event may be long past) and applied after the end.
 */
async function promoteDuplicate(
  event: StripeEvent,
  deps: WebhookDeps,
  outcome: SnapshotOutcome & { kind: 'applied' },
  meta: TransitionMeta,
): Promise<SnapshotOutcome & { kind: 'applied' }> {
  const ended = outcome.next;
  const [waiting] = ended.duplicateSubscriptions;
  if (outcome.duplicate || isLive(ended.status) || !waiting) return outcome;
  const current = await currentSnapshot(event, deps, waiting.subscriptionId);
  const promoted = applySubscriptionSnapshot(ended, current, meta, { current: true });
  if (promoted.kind !== 'applied') return outcome;
  if (!isLive(promoted.next.status)) {
    // It ended too: drop it, keep the end of the first.
    const next = {
      ...ended,
      duplicateSubscriptions: ended.duplicateSubscriptions.filter((d) => d !== waiting),
    };
    return { ...outcome, next };
  }
  return { kind: 'applied', ...combineTransitions(outcome, promoted) };
}

function duplicateAlert(
  tenantId: string,
  previous: BillingRecord,
  duplicate: DuplicateSubscriptionRecord,
): WebhookAlert {
  return {
    metric: webhookMetricNames.duplicateSubscriptions,
    message:
      'a second live subscription for a tenant; the first one stays the plan: cancel and refund the second',
    details: {
      tenantId,
      keptSubscriptionId: previous.subscriptionId,
      keptPlan: previous.plan,
      duplicateSubscriptionId: duplicate.subscriptionId,
      duplicatePlan: duplicate.plan,
      duplicateInterval: duplicate.interval,
      duplicateStatus: duplicate.status,
    },
  };
}

/**
 * `customer.subscription.created|updated|deleted|paused|resumed|trial_will_end`: each carries the
 * whole subscription, so each is the same move: apply the snapshot if it is the newest, and write
 * the lifecycle events it causes (started, changed, past due, canceled, reactivated). A second live
 * subscription never replaces the first: it is recorded, logged and counted as a duplicate.
 */
export const handleSubscriptionEvent: EventHandler = async (event, deps) => {
  const subscription = parseObject(subscriptionSchema(), event);
  const tenantId = await resolveTenant(deps, {
    customerId: subscription.customer,
    metadata: [subscription.metadata],
  });
  if (!tenantId) return skip(`customer ${subscription.customer} belongs to no tenant`);

  const meta = transitionMeta(event, deps);
  const previous = await readBillingRecord(deps.db, tenantId, meta.now);
  const sameOrNone = previous.subscriptionId === null || previous.subscriptionId === subscription.id;
  if (sameOrNone && event.created < previous.stripeUpdatedAt) {
    return apply(tenantId, [], 'stale: older than the subscription state already applied');
  }
  const snapshot = await snapshotAt(deps, subscription, event.created);
  const decided = await decide(event, deps, previous, snapshot, meta);
  if (decided.kind !== 'applied') return apply(tenantId, [], `stale: ${decided.reason}`);
  const outcome = await promoteDuplicate(event, deps, decided, meta);
  const held = outcome.next;
  const detected = outcome.duplicate === 'detected';
  const duplicate = held.duplicateSubscriptions.find((d) => d.subscriptionId === subscription.id);
  return apply(
    tenantId,
    [billingWriteStep(deps.db, previous, held), ...lifecycleSteps(event, deps, outcome)],
    outcome.duplicate
      ? `duplicate subscription ${subscription.id} ${outcome.duplicate}; ${held.subscriptionId} kept`
      : `subscription ${held.subscriptionId} ${held.status}${outcome.emits.length > 0 ? `: ${outcome.emits.join(', ')}` : ''}`,
    detected && duplicate ? [duplicateAlert(tenantId, previous, duplicate)] : [],
  );
};
