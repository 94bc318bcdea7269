import { billingWriteStep, readBillingRecord } from '../billing-record.ts';
import { parseObject } from '../event-parsing.ts';
import { apply, type EventHandler, skip } from '../handler-outcome.ts';
import { lifecycleSteps, transitionMeta } from '../outbox-steps.ts';
import { discountEventSchema } from '../stripe-objects.ts';
import { resolveTenant } from '../tenant-lookup.ts';
import { applyCompEnded } from '../transitions.ts';

/**
 * `customer.discount.deleted`: a discount ended or was removed. When it is the held comp's, the comp
 * is over: the mirror drops it and the subscription's MRR returns to its regular amount (a
 * `Subscription Changed` event, which analytics records as `comp_end`). Any other discount changes
 * nothing here (the next subscription event carries its effect on the amount). A comp is applied by
 * the `customer.subscription.updated` that adding its coupon causes, so `customer.discount.created`
 * is not needed.
 */
export const handleDiscountDeleted: EventHandler = async (event, deps) => {
  const discount = parseObject(discountEventSchema(), event);
  const tenantId = await resolveTenant(deps, { customerId: discount.customer, metadata: [] });
  if (!tenantId) return skip(`customer ${discount.customer ?? '(none)'} belongs to no tenant`);

  const meta = transitionMeta(event, deps);
  const previous = await readBillingRecord(deps.db, tenantId, meta.now);
  const ended = applyCompEnded(
    previous,
    { discountId: discount.id, subscriptionId: discount.subscription ?? null },
    meta,
  );
  if (!ended) return apply(tenantId, [], `discount ${discount.id} ended: not a comp held`);
  return apply(
    tenantId,
    [billingWriteStep(deps.db, previous, ended.next), ...lifecycleSteps(event, deps, ended)],
    `comp ${discount.id} ended${ended.emits.length > 0 ? `: ${ended.emits.join(', ')}` : ''}`,
  );
};
