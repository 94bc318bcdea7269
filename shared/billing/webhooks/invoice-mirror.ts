import type { Invoice } from '../billing.schema.ts';
import type { StripeInvoice, StripeRefund } from './stripe-objects.ts';
import { isoFromEpoch } from './subscription-snapshot.ts';

/**
 * The pure rules of the invoice mirror (the payment history): how an invoice snapshot, a refund
 * and a charge's refunded total move the stored invoice. Like the billing state, each part only
 * moves forward: the invoice's own fields by the invoice events' time, each refund by its own
 * events' time, and the refunded total by whichever of the refunds or the charge spoke last.
 */

/** A refund as mirrored, with the time of the event that last described it. */
export type RefundRecord = Invoice['refunds'][number] & { readonly stripeUpdatedAt: number };

/** The invoice item as stored: the API's invoice plus the bookkeeping that keeps it in order. */
export interface InvoiceRecord extends Omit<Invoice, 'refunds'> {
  readonly tenantId: string;
  readonly subscriptionId: string | null;
  readonly refunds: readonly RefundRecord[];
  /** Optimistic lock: each write adds one and expects what it read. */
  readonly version: number;
  /** `created` of the invoice event whose snapshot this is. */
  readonly stripeUpdatedAt: number;
  /** `created` of the latest refund event applied (0: none). */
  readonly refundsUpdatedAt: number;
  /** The charge's refunded total from `charge.refunded`, and that event's time. */
  readonly chargeRefunded: { readonly amount: number; readonly at: number } | null;
  /** Never set: disputes are recorded on the billing state (`disputes`, by charge id). */
  readonly disputedAt?: string | null;
}

/** Refunds that did not (or no longer) return money. */
const NOT_REFUNDED: ReadonlySet<string> = new Set(['failed', 'canceled']);

/** The refunded total: the newest word on it, the charge's own total or the sum of live refunds. */
export function amountRefundedOf(
  record: Pick<InvoiceRecord, 'refunds' | 'refundsUpdatedAt' | 'chargeRefunded'>,
) {
  if (record.chargeRefunded && record.chargeRefunded.at >= record.refundsUpdatedAt) {
    return record.chargeRefunded.amount;
  }
  return record.refunds
    .filter((refund) => !NOT_REFUNDED.has(refund.status))
    .reduce((sum, refund) => sum + refund.amount, 0);
}

/** The charge ids an invoice payload names (only when its `payments` are included). */
export function chargeIdsInPayload(invoice: StripeInvoice): string[] {
  const ids = (invoice.payments?.data ?? [])
    .filter((payment) => payment.status === 'paid')
    .map((payment) => {
      const intent = payment.payment.payment_intent;
      return payment.payment.charge ?? (typeof intent === 'object' && intent ? intent.latest_charge : null);
    })
    .filter((id): id is string => typeof id === 'string' && id.startsWith('ch_'));
  return [...new Set(ids)];
}

/** The subscription an invoice bills, if any. */
export const subscriptionOfInvoice = (invoice: StripeInvoice): string | null =>
  invoice.parent?.subscription_details?.subscription ?? null;

/**
 * Applies an invoice snapshot taken at `created`: undefined when an equally new or newer one is
 * already held and this is older. Refunds, the charge and the dispute mark are kept.
 */
export function mergeInvoiceSnapshot(
  previous: InvoiceRecord | undefined,
  invoice: StripeInvoice & { id: string },
  input: { readonly tenantId: string; readonly created: number; readonly chargeId: string | null },
): InvoiceRecord | undefined {
  if (previous && input.created < previous.stripeUpdatedAt) return undefined;
  const paidAt = invoice.status_transitions?.paid_at;
  const base = {
    refunds: [] as readonly RefundRecord[],
    refundsUpdatedAt: 0,
    chargeRefunded: null,
    disputedAt: null,
    amountRefunded: 0,
  };
  const kept = previous
    ? {
        refunds: previous.refunds,
        refundsUpdatedAt: previous.refundsUpdatedAt,
        chargeRefunded: previous.chargeRefunded,
        disputedAt: previous.disputedAt ?? null,
        amountRefunded: previous.amountRefunded,
      }
    : base;
  return {
    ...kept,
    tenantId: input.tenantId,
    invoiceId: invoice.id,
    subscriptionId: subscriptionOfInvoice(invoice),
    number: invoice.number ?? null,
    status: invoice.status ?? 'draft',
    currency: invoice.currency,
    amountDue: invoice.amount_due,
    amountPaid: invoice.amount_paid,
    tax: (invoice.total_taxes ?? []).reduce((sum, tax) => sum + tax.amount, 0),
    total: invoice.total,
    createdAt: isoFromEpoch(invoice.created),
    paidAt: paidAt == null ? null : isoFromEpoch(paidAt),
    hostedInvoiceUrl: invoice.hosted_invoice_url ?? null,
    chargeId: input.chargeId ?? previous?.chargeId ?? null,
    version: previous?.version ?? 0,
    stripeUpdatedAt: input.created,
  };
}

export interface RefundMerge {
  readonly next: InvoiceRecord;
  /** The refund reached `succeeded` with this event (it was not mirrored as succeeded before). */
  readonly newlySucceeded: boolean;
}

/**
 * Applies a refund as described by an event at `created` (created in the API, in the dashboard,
 * succeeded, failed or canceled later). Undefined when this refund already holds a newer word.
 */
export function mergeRefund(
  previous: InvoiceRecord,
  refund: StripeRefund,
  created: number,
): RefundMerge | undefined {
  const existing = previous.refunds.find((r) => r.refundId === refund.id);
  if (existing && created < existing.stripeUpdatedAt) return undefined;
  const status = refund.status ?? 'pending';
  const entry: RefundRecord = {
    refundId: refund.id,
    amount: refund.amount,
    status,
    // The admin API puts the operator's reason in metadata; Stripe's own is a fixed code.
    reason: refund.metadata.reason ?? refund.reason ?? null,
    createdAt: isoFromEpoch(refund.created),
    stripeUpdatedAt: created,
  };
  const refunds = existing
    ? previous.refunds.map((r) => (r.refundId === refund.id ? entry : r))
    : [...previous.refunds, entry];
  const withRefund = { ...previous, refunds, refundsUpdatedAt: Math.max(previous.refundsUpdatedAt, created) };
  return {
    next: { ...withRefund, amountRefunded: amountRefundedOf(withRefund) },
    newlySucceeded: status === 'succeeded' && existing?.status !== 'succeeded',
  };
}

/** Applies a charge's refunded total from `charge.refunded` at `created`; undefined when older. */
export function mergeChargeRefunded(
  previous: InvoiceRecord,
  amountRefunded: number,
  created: number,
): InvoiceRecord | undefined {
  if (previous.chargeRefunded && created < previous.chargeRefunded.at) return undefined;
  const next = { ...previous, chargeRefunded: { amount: amountRefunded, at: created } };
  return { ...next, amountRefunded: amountRefundedOf(next) };
}
