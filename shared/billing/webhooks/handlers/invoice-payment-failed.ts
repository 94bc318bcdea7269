import { billingCheckStep, billingWriteStep, readBillingRecord } from '../billing-record.ts';
import { subscriptionOfInvoice } from '../invoice-mirror.ts';
import { invoiceSchema } from '../stripe-objects.ts';
import { applyPaymentFailed } from '../transitions.ts';
import {
  apply,
  detailOf,
  type EventHandler,
  eventStep,
  lifecycleSteps,
  parseObject,
  requireInvoiceId,
  resolveTenant,
  skip,
  transitionMeta,
} from '../webhook.context.ts';
import { invoiceMirrorSteps } from './invoice-mirror-steps.ts';

/**
 * `invoice.payment_failed`: mirrors the invoice; a live subscription goes `past_due` and its grace
 * period starts (`Subscription Past Due`). Always writes `Payment Failed` (each failed attempt),
 * which the notifications consumer mails to the tenant's owners and admins.
 */
export const handleInvoicePaymentFailed: EventHandler = async (event, deps) => {
  const invoice = requireInvoiceId(event, parseObject(invoiceSchema, event));
  const tenantId = await resolveTenant(deps, {
    customerId: invoice.customer,
    metadata: [invoice.parent?.subscription_details?.metadata ?? {}],
  });
  if (!tenantId) return skip(`customer ${invoice.customer} belongs to no tenant`);

  const meta = transitionMeta(event, deps);
  const previous = await readBillingRecord(deps.db, tenantId, meta.now);
  const mirror = await invoiceMirrorSteps(event, deps, invoice, tenantId, { findCharges: false });
  const transition = applyPaymentFailed(previous, subscriptionOfInvoice(invoice), meta);
  const next = transition?.next ?? previous;
  return apply(
    tenantId,
    [
      ...mirror.steps,
      transition ? billingWriteStep(deps.db, previous, next) : billingCheckStep(deps.db, previous),
      ...(transition ? lifecycleSteps(event, deps, transition) : []),
      eventStep(deps, 'Payment Failed v1', {
        ...detailOf(event, deps, previous, next),
        invoiceId: invoice.id,
        invoiceAmount: { amount: invoice.amount_due, currency: invoice.currency },
        attemptCount: invoice.attempt_count,
      }),
    ],
    `invoice ${invoice.id} payment failed (attempt ${invoice.attempt_count})${transition?.emits.length ? `: ${transition.emits.join(', ')}` : ''}`,
  );
};
