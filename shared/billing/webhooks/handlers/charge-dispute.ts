import { auditStep } from '../../../audit/audit.writer.ts';
import { billingWriteStep, readBillingRecord } from '../billing-record.ts';
import { mergeDispute } from '../disputes.ts';
import { parseObject } from '../event-parsing.ts';
import { apply, type EventHandler, skip, type WebhookAlert } from '../handler-outcome.ts';
import { detailOf, eventStep } from '../outbox-steps.ts';
import { disputeSchema, type StripeDispute } from '../stripe-objects.ts';
import { isoFromEpoch } from '../subscription-snapshot.ts';
import { resolveTenant } from '../tenant-lookup.ts';
import type { DisputeRecord } from '../transitions.ts';
import { webhookMetricNames } from '../webhook.deps.ts';

/** Who the audit log names for what Stripe reported (no Plinth user acted). */
export const STRIPE_ACTOR = { userId: 'stripe' } as const;

function openedAlert(tenantId: string | null, dispute: StripeDispute): WebhookAlert {
  const dueBy = dispute.evidence_details?.due_by;
  return {
    metric: webhookMetricNames.disputesOpened,
    message: 'payment disputed: submit evidence in the Stripe dashboard before the deadline',
    details: {
      tenantId,
      disputeId: dispute.id,
      chargeId: dispute.charge,
      amount: dispute.amount,
      currency: dispute.currency,
      reason: dispute.reason,
      status: dispute.status,
      evidenceDueBy: dueBy == null ? null : isoFromEpoch(dueBy),
    },
  };
}

const audited = (entry: DisputeRecord) => ({
  chargeId: entry.chargeId,
  amount: entry.amount,
  reason: entry.reason,
  status: entry.status,
  evidenceDueBy: entry.evidenceDueBy,
  closedAt: entry.closedAt,
});

/**
 * `charge.dispute.created` and `charge.dispute.closed`: a customer disputed a payment, or the
 * dispute ended (won, lost, warning closed). Disputes are answered in the Stripe dashboard; Plinth
 * records each on the tenant's billing state (`disputes`), audits it, writes `Dispute Opened` /
 * `Dispute Closed` (mailed to the tenant's owners and admins and to the operators), and counts an
 * opened one in the `DisputesOpened` metric, whose alarm makes sure the evidence deadline is seen.
 * A dispute names only its charge, so the charge's customer is asked of Stripe; a dispute of a
 * charge no tenant owns is still logged and counted.
 */
export const handleChargeDispute: EventHandler = async (event, deps) => {
  const dispute = parseObject(disputeSchema(), event);
  const closed = event.type === 'charge.dispute.closed';
  const owner = await deps.stripe.chargeOwner(dispute.charge);
  const tenantId = await resolveTenant(deps, { customerId: owner.customerId, metadata: [owner.metadata] });
  const alerts = closed ? [] : [openedAlert(tenantId ?? null, dispute)];
  if (!tenantId) return skip(`dispute ${dispute.id}: charge ${dispute.charge} of no known customer`, alerts);

  const now = deps.clock().toISOString();
  const previous = await readBillingRecord(deps.db, tenantId, now);
  const merged = mergeDispute(previous, dispute, { created: event.created, closed, now });
  if (!merged) return apply(tenantId, [], `stale: dispute ${dispute.id} already has a newer state`);
  const { entry, before, next } = merged;
  return apply(
    tenantId,
    [
      billingWriteStep(deps.db, previous, next),
      auditStep(
        deps.db,
        {
          tenantId,
          actor: STRIPE_ACTOR,
          request: { requestId: event.id, sourceIp: 'stripe' },
          action: closed ? 'billing.dispute-closed' : 'billing.dispute-opened',
          target: { type: 'dispute', id: dispute.id },
          before: before ? audited(before) : null,
          after: audited(entry),
        },
        deps,
      ),
      eventStep(deps, closed ? 'Dispute Closed v1' : 'Dispute Opened v1', {
        ...detailOf(event, deps, previous, next),
        disputeId: dispute.id,
        chargeId: dispute.charge,
        disputeAmount: entry.amount,
        reason: entry.reason,
        disputeStatus: entry.status,
        evidenceDueBy: entry.evidenceDueBy,
      }),
    ],
    `dispute ${dispute.id} on charge ${dispute.charge} ${entry.status}`,
    alerts,
  );
};
