import { invoiceWriteStep } from '../../invoices.repository.ts';
import { readBillingRecord } from '../billing-record.ts';
import { parseObject } from '../event-parsing.ts';
import { apply, type EventHandler, skip } from '../handler-outcome.ts';
import { mergeRefund } from '../invoice-mirror.ts';
import { refundSchema } from '../stripe-objects.ts';
import { resolveTenant } from '../tenant-lookup.ts';
import { EventNotYetApplicableError } from '../webhook.errors.ts';
import { invoiceOfCharge, refundIssuedStep } from './refund-steps.ts';

/**
 * `charge.refund.updated`, and `refund.created|updated|failed` (sent for every refund since
 * 2024-10-28, the only events that describe a dashboard refund one by one): mirrors the refund on
 * the invoice its charge paid, including refunds that fail or are canceled later (they stop
 * counting towards the refunded total). Writes `Refund Issued` when the refund has just succeeded.
 * Before the invoice its charge paid is mirrored, answers 503 (nothing stored): Stripe retries.
 */
export const handleRefundChanged: EventHandler = async (event, deps) => {
  const refund = parseObject(refundSchema(), event);
  if (!refund.charge) return skip(`refund ${refund.id} has no charge`);
  const tenantId = await resolveTenant(deps, { customerId: refund.customer, metadata: [refund.metadata] });
  if (!tenantId) return skip(`refund ${refund.id} belongs to no known customer`);
  const invoice = await invoiceOfCharge(deps, tenantId, refund.charge);
  // Known tenant, so the charge paid one of its invoices: that invoice event has not arrived yet.
  if (!invoice) {
    throw new EventNotYetApplicableError(`refund ${refund.id} of charge ${refund.charge} before its invoice`);
  }

  const merged = mergeRefund(invoice, refund, event.created);
  if (!merged) return apply(tenantId, [], `stale: refund ${refund.id} already has a newer state`);
  const steps = [invoiceWriteStep(deps.db, invoice, merged.next)];
  if (merged.newlySucceeded) {
    const billing = await readBillingRecord(deps.db, tenantId, deps.clock().toISOString());
    const reason = merged.next.refunds.find((r) => r.refundId === refund.id)?.reason ?? null;
    steps.push(refundIssuedStep(event, deps, billing, refund, refund.charge, reason));
  }
  return apply(tenantId, steps, `refund ${refund.id} ${refund.status ?? 'pending'}`);
};
