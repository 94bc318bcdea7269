import type { TransactStep } from '../../../db/transact.ts';
import {
  chargeLocatorStep,
  invoiceKeyOf,
  invoiceLocatorStep,
  invoiceWriteStep,
  readInvoice,
} from '../../invoices.repository.ts';
import { chargeIdsInPayload, type InvoiceRecord, mergeInvoiceSnapshot } from '../invoice-mirror.ts';
import type { StripeEvent, StripeInvoice } from '../stripe-objects.ts';
import { isoFromEpoch } from '../subscription-snapshot.ts';
import type { WebhookDeps } from '../webhook.deps.ts';

/** The steps that bring an invoice's mirror up to this event, and the mirror after them. */
export interface InvoiceMirrorSteps {
  readonly steps: TransactStep[];
  /** The invoice as stored after the steps (undefined: never stored, and this snapshot was stale). */
  readonly record: InvoiceRecord | undefined;
}

/**
 * Upserts the invoice item and its locators from an invoice event. With `findCharges` (a paid
 * invoice), records the charge that paid it: from the payload when its payments are included,
 * otherwise asked of Stripe once (until the mirror knows a charge), so refunds, which name the
 * charge, find their invoice. An older snapshot than the stored one changes nothing but a missing
 * charge.
 */
export async function invoiceMirrorSteps(
  event: StripeEvent,
  deps: WebhookDeps,
  invoice: StripeInvoice & { id: string },
  tenantId: string,
  options: { readonly findCharges: boolean },
): Promise<InvoiceMirrorSteps> {
  const key = invoiceKeyOf(tenantId, isoFromEpoch(invoice.created), invoice.id);
  const previous = await readInvoice(deps.db, key);

  let chargeIds = chargeIdsInPayload(invoice);
  if (options.findCharges && chargeIds.length === 0 && !previous?.chargeId && invoice.amount_paid > 0) {
    chargeIds = await deps.stripe.invoiceChargeIds(invoice.id);
  }
  const [chargeId] = chargeIds;
  const merged = mergeInvoiceSnapshot(previous, invoice, {
    tenantId,
    created: event.created,
    chargeId: chargeId ?? null,
  });
  // A stale snapshot changes nothing, except that it may name the charge the mirror still lacks.
  const next = merged ?? (previous && chargeId && !previous.chargeId ? { ...previous, chargeId } : undefined);
  if (!next) return { steps: [], record: previous };
  return {
    steps: [
      invoiceWriteStep(deps.db, previous, next),
      invoiceLocatorStep(deps.db, next),
      ...chargeIds.map((chargeId) => chargeLocatorStep(deps.db, next, chargeId)),
    ],
    record: next,
  };
}
