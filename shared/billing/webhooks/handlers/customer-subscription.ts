import { billingWriteStep, readBillingRecord } from '../billing-record.ts';
import { subscriptionSchema } from '../stripe-objects.ts';
import { discountsToResolve, type ResolvedDiscount, snapshotOf } from '../subscription-snapshot.ts';
import { applySubscriptionSnapshot } from '../transitions.ts';
import {
  apply,
  type EventHandler,
  lifecycleSteps,
  parseObject,
  resolveTenant,
  skip,
  transitionMeta,
  type WebhookDeps,
} from '../webhook.context.ts';

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

/**
 * `customer.subscription.created|updated|deleted|paused|resumed|trial_will_end`: each carries the
 * whole subscription, so each is the same move: apply the snapshot if it is the newest, and write
 * the lifecycle events it causes (started, changed, past due, canceled, reactivated).
 */
export const handleSubscriptionEvent: EventHandler = async (event, deps) => {
  const subscription = parseObject(subscriptionSchema, event);
  const tenantId = await resolveTenant(deps, {
    customerId: subscription.customer,
    metadata: [subscription.metadata],
  });
  if (!tenantId) return skip(`customer ${subscription.customer} belongs to no tenant`);

  const meta = transitionMeta(event, deps);
  const previous = await readBillingRecord(deps.db, tenantId, meta.now);
  if (event.created < previous.stripeUpdatedAt) {
    return apply(tenantId, [], 'stale: older than the subscription state already applied');
  }
  const discounts = await resolvedDiscounts(deps, subscription.id, discountsToResolve(subscription));
  const snapshot = snapshotOf(subscription, {
    priceIds: deps.priceIds,
    resolvedDiscounts: discounts,
    at: event.created,
  });
  const outcome = applySubscriptionSnapshot(previous, snapshot, meta);
  if (outcome.kind === 'stale') return apply(tenantId, [], `stale: ${outcome.reason}`);
  return apply(
    tenantId,
    [billingWriteStep(deps.db, previous, outcome.next), ...lifecycleSteps(event, deps, outcome)],
    `subscription ${subscription.id} ${outcome.next.status}${outcome.emits.length > 0 ? `: ${outcome.emits.join(', ')}` : ''}`,
  );
};
