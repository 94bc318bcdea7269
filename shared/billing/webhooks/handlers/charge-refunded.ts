import { invoiceWriteStep } from '../../invoices.repository.ts';
import { readBillingRecord } from '../billing-record.ts';
import { parseObject } from '../event-parsing.ts';
import { apply, type EventHandler, skip } from '../handler-outcome.ts';
import { mergeChargeRefunded, mergeRefund } from '../invoice-mirror.ts';
import { chargeSchema, type StripeRefund } from '../stripe-objects.ts';
import { resolveTenant } from '../tenant-lookup.ts';
import { EventNotYetApplicableError } from '../webhook.errors.ts';
import { invoiceOfCharge, refundIssuedStep } from './refund-steps.ts';

/**
 * `charge.refunded` (a refund was created, from the API or the dashboard): records the charge's
 * refunded total on the invoice it paid. Since 2022-11-15 the charge does not carry its refunds,
 * so the refunds themselves come from the refund events; when a payload does include them, they
 * are mirrored here too, with `Refund Issued` for each that has just succeeded. Before the invoice
 * the charge paid is mirrored, the event is answered 503 (nothing stored) so Stripe retries it.
 */
export const handleChargeRefunded: EventHandler = async (event, deps) => {
  const charge = parseObject(chargeSchema(), event);
  const tenantId = await resolveTenant(deps, { customerId: charge.customer, metadata: [charge.metadata] });
  if (!tenantId) return skip(`charge ${charge.id} belongs to no known customer`);
  const invoice = await invoiceOfCharge(deps, tenantId, charge.id);
  // The tenant is known, so the charge paid one of its invoices (Plinth sells subscriptions only):
  // the invoice event has not arrived yet. 503: Stripe delivers this again later.
  if (!invoice) {
    throw new EventNotYetApplicableError(`charge ${charge.id} refunded before its invoice is mirrored`);
  }

  let next = mergeChargeRefunded(invoice, charge.amount_refunded, event.created) ?? invoice;
  const issued: StripeRefund[] = [];
  for (const refund of charge.refunds?.data ?? []) {
    const merged = mergeRefund(next, refund, event.created);
    if (!merged) continue;
    next = merged.next;
    if (merged.newlySucceeded) issued.push(refund);
  }
  if (next === invoice) return apply(tenantId, [], `stale: charge ${charge.id} already has newer refunds`);

  const billing = await readBillingRecord(deps.db, tenantId, deps.clock().toISOString());
  return apply(
    tenantId,
    [
      invoiceWriteStep(deps.db, invoice, next),
      ...issued.map((refund) => {
        const reason = next.refunds.find((r) => r.refundId === refund.id)?.reason ?? null;
        return refundIssuedStep(event, deps, billing, refund, charge.id, reason);
      }),
    ],
    `charge ${charge.id} refunded ${next.amountRefunded} of ${charge.amount}`,
  );
};
