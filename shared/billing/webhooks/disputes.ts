import type { StripeDispute } from './stripe-objects.ts';
import { isoFromEpoch } from './subscription-snapshot.ts';
import type { BillingRecord, DisputeRecord } from './transitions.ts';

/** How many disputes the billing item keeps (newest first); older ones stay in Stripe and the audit log. */
export const MAX_DISPUTES = 50;

export interface DisputeMerge {
  readonly next: BillingRecord;
  readonly entry: DisputeRecord;
  /** What the billing item held of this dispute before; undefined for a new one. */
  readonly before: DisputeRecord | undefined;
}

/**
 * Records a dispute on the billing item as an event at `created` describes it (`closed`: a
 * `charge.dispute.closed`). Each dispute moves only forward: undefined when the item already holds
 * a newer word on it (a late `created` after the `closed`).
 */
export function mergeDispute(
  previous: BillingRecord,
  dispute: StripeDispute,
  input: { readonly created: number; readonly closed: boolean; readonly now: string },
): DisputeMerge | undefined {
  const before = previous.disputes.find((d) => d.disputeId === dispute.id);
  if (before && input.created < before.stripeUpdatedAt) return undefined;
  const dueBy = dispute.evidence_details?.due_by;
  const entry: DisputeRecord = {
    disputeId: dispute.id,
    chargeId: dispute.charge,
    amount: { amount: dispute.amount, currency: dispute.currency },
    reason: dispute.reason ?? null,
    status: dispute.status ?? (input.closed ? 'closed' : 'needs_response'),
    evidenceDueBy: input.closed || dueBy == null ? null : isoFromEpoch(dueBy),
    openedAt: before?.openedAt ?? isoFromEpoch(dispute.created),
    closedAt: input.closed ? isoFromEpoch(input.created) : (before?.closedAt ?? null),
    stripeUpdatedAt: input.created,
  };
  const disputes = [entry, ...previous.disputes.filter((d) => d.disputeId !== dispute.id)]
    .sort((a, b) => b.openedAt.localeCompare(a.openedAt))
    .slice(0, MAX_DISPUTES);
  return { next: { ...previous, disputes, updatedAt: input.now }, entry, before };
}
