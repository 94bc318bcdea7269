import { tenantPartition } from '../../../db/keys.ts';
import type { TransactStep } from '../../../db/transact.ts';
import { readChargeLocator, readInvoice } from '../../invoices.repository.ts';
import type { InvoiceRecord } from '../invoice-mirror.ts';
import { detailOf, eventStep } from '../outbox-steps.ts';
import type { StripeEvent, StripeRefund } from '../stripe-objects.ts';
import type { BillingRecord } from '../transitions.ts';
import type { WebhookDeps } from '../webhook.deps.ts';

/** The mirrored invoice a charge paid, found through its charge locator; undefined if unknown. */
export async function invoiceOfCharge(
  deps: WebhookDeps,
  tenantId: string,
  chargeId: string,
): Promise<InvoiceRecord | undefined> {
  const locator = await readChargeLocator(deps.db, tenantId, chargeId);
  if (!locator) return undefined;
  return readInvoice(deps.db, { pk: tenantPartition(tenantId), sk: locator.invoiceSk });
}

/** The `Refund Issued` outbox step of a refund that has just succeeded. */
export function refundIssuedStep(
  event: StripeEvent,
  deps: WebhookDeps,
  billing: BillingRecord,
  refund: StripeRefund,
  chargeId: string,
  reason: string | null,
): TransactStep {
  return eventStep(deps, 'Refund Issued v1', {
    ...detailOf(event, deps, billing, billing),
    refundId: refund.id,
    chargeId,
    refundAmount: { amount: refund.amount, currency: refund.currency },
    reason,
  });
}
