import { disputeSchema } from '../stripe-objects.ts';
import { apply, type EventHandler, parseObject } from '../webhook.context.ts';

/**
 * `charge.dispute.created`: a customer disputed a payment. Disputes are answered in the Stripe
 * dashboard (evidence, deadlines), and the dispute names only the charge, not the customer, so the
 * webhook records it in the log at error level, where the webhook-failure alarm's log group and
 * operators look, and acknowledges it.
 */
export const handleChargeDisputeCreated: EventHandler = async (event, deps) => {
  const dispute = parseObject(disputeSchema, event);
  deps.log.error('payment disputed: answer it in the Stripe dashboard', {
    disputeId: dispute.id,
    chargeId: dispute.charge,
    amount: dispute.amount,
    currency: dispute.currency,
    reason: dispute.reason,
    status: dispute.status,
  });
  return apply(null, [], `dispute ${dispute.id} on charge ${dispute.charge} logged`);
};
