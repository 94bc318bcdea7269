import { billingCheckStep, billingWriteStep, readBillingRecord } from '../billing-record.ts';
import { subscriptionOfInvoice } from '../invoice-mirror.ts';
import { invoiceSchema } from '../stripe-objects.ts';
import { applyInvoicePaid } from '../transitions.ts';
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
 * `invoice.paid`: mirrors the invoice (and the charge that paid it), and recovers a `past_due` or
 * `unpaid` subscription at once (grace period and restriction cleared, `Subscription Reactivated`).
 * Always writes `Invoice Paid`.
 */
export const handleInvoicePaid: EventHandler = async (event, deps) => {
  const invoice = requireInvoiceId(event, parseObject(invoiceSchema, event));
  const tenantId = await resolveTenant(deps, {
    customerId: invoice.customer,
    metadata: [invoice.parent?.subscription_details?.metadata ?? {}],
  });
  if (!tenantId) return skip(`customer ${invoice.customer} belongs to no tenant`);

  const meta = transitionMeta(event, deps);
  const previous = await readBillingRecord(deps.db, tenantId, meta.now);
  const mirror = await invoiceMirrorSteps(event, deps, invoice, tenantId, { findCharges: true });
  const transition = applyInvoicePaid(previous, subscriptionOfInvoice(invoice), meta);
  const next = transition?.next ?? previous;
  return apply(
    tenantId,
    [
      ...mirror.steps,
      transition ? billingWriteStep(deps.db, previous, next) : billingCheckStep(deps.db, previous),
      ...(transition ? lifecycleSteps(event, deps, transition) : []),
      eventStep(deps, 'Invoice Paid v1', {
        ...detailOf(event, deps, previous, next),
        invoiceId: invoice.id,
        invoiceAmount: { amount: invoice.amount_paid, currency: invoice.currency },
        attemptCount: invoice.attempt_count,
      }),
    ],
    `invoice ${invoice.id} paid${transition?.emits.length ? `: ${transition.emits.join(', ')}` : ''}`,
  );
};
