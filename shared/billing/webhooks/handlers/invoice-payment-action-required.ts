import { parseObject, requireInvoiceId } from '../event-parsing.ts';
import { apply, type EventHandler, skip } from '../handler-outcome.ts';
import { invoiceSchema } from '../stripe-objects.ts';
import { resolveTenant } from '../tenant-lookup.ts';
import { invoiceMirrorSteps } from './invoice-mirror-steps.ts';

/**
 * `invoice.payment_action_required`: the customer must authenticate the payment (3-D Secure);
 * Stripe emails them the hosted invoice link. Plinth mirrors the open invoice; the subscription's
 * status follows from its own events (it goes `past_due` or `incomplete` if the payment lapses).
 */
export const handleInvoicePaymentActionRequired: EventHandler = async (event, deps) => {
  const invoice = requireInvoiceId(event, parseObject(invoiceSchema(), event));
  const tenantId = await resolveTenant(deps, {
    customerId: invoice.customer,
    metadata: [invoice.parent?.subscription_details?.metadata ?? {}],
  });
  if (!tenantId) return skip(`customer ${invoice.customer} belongs to no tenant`);
  const mirror = await invoiceMirrorSteps(event, deps, invoice, tenantId, { findCharges: false });
  return apply(tenantId, mirror.steps, `invoice ${invoice.id} needs customer action`);
};
