import { readBillingRecord } from '../billing-record.ts';
import { parseObject } from '../event-parsing.ts';
import { apply, type EventHandler, skip } from '../handler-outcome.ts';
import { subscriptionOfInvoice } from '../invoice-mirror.ts';
import { detailOf, eventStep } from '../outbox-steps.ts';
import { invoiceSchema } from '../stripe-objects.ts';
import { isoFromEpoch } from '../subscription-snapshot.ts';
import { resolveTenant } from '../tenant-lookup.ts';
import { isLive } from '../transitions.ts';

/**
 * `invoice.upcoming` (sent days before a renewal, as set in Stripe's billing settings): for an
 * annual plan, writes `Renewal Upcoming`, which the notifications consumer mails to the billing
 * admins. Through the outbox, so an SES outage delays the reminder instead of losing it. The
 * preview invoice is not mirrored (it has no id and may still change).
 */
export const handleInvoiceUpcoming: EventHandler = async (event, deps) => {
  const invoice = parseObject(invoiceSchema(), event);
  const tenantId = await resolveTenant(deps, {
    customerId: invoice.customer,
    metadata: [invoice.parent?.subscription_details?.metadata ?? {}],
  });
  if (!tenantId) return skip(`customer ${invoice.customer} belongs to no tenant`);

  const billing = await readBillingRecord(deps.db, tenantId, deps.clock().toISOString());
  const subscriptionId = subscriptionOfInvoice(invoice);
  if (billing.interval !== 'year' || !isLive(billing.status) || billing.subscriptionId !== subscriptionId) {
    return apply(tenantId, [], 'upcoming invoice of no live annual subscription: no reminder');
  }
  const renewsAt =
    billing.currentPeriodEnd ??
    isoFromEpoch(invoice.next_payment_attempt ?? invoice.period_end ?? event.created);
  return apply(
    tenantId,
    [
      eventStep(deps, 'Renewal Upcoming v1', {
        ...detailOf(event, deps, billing, billing),
        renewsAt,
        invoiceAmount: { amount: invoice.amount_due, currency: invoice.currency },
      }),
    ],
    `annual renewal on ${renewsAt}: reminder`,
  );
};
