import type * as z from 'zod';
import { billingCheckStep, billingWriteStep, readBillingRecord } from '../billing-record.ts';
import { parseObject, requireInvoiceId } from '../event-parsing.ts';
import { apply, type EventHandler, skip } from '../handler-outcome.ts';
import { subscriptionOfInvoice } from '../invoice-mirror.ts';
import { detailOf, eventStep, lifecycleSteps, transitionMeta } from '../outbox-steps.ts';
import { invoiceSchema } from '../stripe-objects.ts';
import { resolveTenant } from '../tenant-lookup.ts';
import { applyInvoicePaid, applyPaymentFailed } from '../transitions.ts';
import { invoiceMirrorSteps } from './invoice-mirror-steps.ts';

type Invoice = z.output<ReturnType<typeof invoiceSchema>>;

/** What distinguishes one payment outcome from the other; the handling is the same. */
interface Outcome {
  readonly transition: typeof applyInvoicePaid;
  readonly detailType: 'Invoice Paid v1' | 'Payment Failed v1';
  /** Look up the charge that paid the invoice (only a paid invoice has one). */
  readonly findCharges: boolean;
  readonly amount: (invoice: Invoice) => number;
  readonly describe: (invoice: Invoice) => string;
}

function invoiceOutcomeHandler(outcome: Outcome): EventHandler {
  return async (event, deps) => {
    const invoice = requireInvoiceId(event, parseObject(invoiceSchema(), event));
    const tenantId = await resolveTenant(deps, {
      customerId: invoice.customer,
      metadata: [invoice.parent?.subscription_details?.metadata ?? {}],
    });
    if (!tenantId) return skip(`customer ${invoice.customer} belongs to no tenant`);

    const meta = transitionMeta(event, deps);
    const previous = await readBillingRecord(deps.db, tenantId, meta.now);
    const mirror = await invoiceMirrorSteps(event, deps, invoice, tenantId, {
      findCharges: outcome.findCharges,
    });
    const transition = outcome.transition(previous, subscriptionOfInvoice(invoice), meta);
    const next = transition?.next ?? previous;
    return apply(
      tenantId,
      [
        ...mirror.steps,
        transition ? billingWriteStep(deps.db, previous, next) : billingCheckStep(deps.db, previous),
        ...(transition ? lifecycleSteps(event, deps, transition) : []),
        eventStep(deps, outcome.detailType, {
          ...detailOf(event, deps, previous, next),
          invoiceId: invoice.id,
          invoiceAmount: { amount: outcome.amount(invoice), currency: invoice.currency },
          attemptCount: invoice.attempt_count,
        }),
      ],
      `${outcome.describe(invoice)}${transition?.emits.length ? `: ${transition.emits.join(', ')}` : ''}`,
    );
  };
}

/**
 * `invoice.paid`: mirrors the invoice (and the charge that paid it), and recovers a `past_due` or
 * `unpaid` subscription at once (grace period and restriction cleared, `Subscription Reactivated`).
 * Always writes `Invoice Paid`.
 */
export const handleInvoicePaid = invoiceOutcomeHandler({
  transition: applyInvoicePaid,
  detailType: 'Invoice Paid v1',
  findCharges: true,
  amount: (invoice) => invoice.amount_paid,
  describe: (invoice) => `invoice ${invoice.id} paid`,
});

/**
 * `invoice.payment_failed`: mirrors the invoice; a live subscription goes `past_due` and its grace
 * period starts (`Subscription Past Due`). Always writes `Payment Failed` (each failed attempt),
 * which the notifications consumer mails to the tenant's owners and admins.
 */
export const handleInvoicePaymentFailed = invoiceOutcomeHandler({
  transition: applyPaymentFailed,
  detailType: 'Payment Failed v1',
  findCharges: false,
  amount: (invoice) => invoice.amount_due,
  describe: (invoice) => `invoice ${invoice.id} payment failed (attempt ${invoice.attempt_count})`,
});
