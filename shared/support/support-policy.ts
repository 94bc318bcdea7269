import type { Entitlements } from '../billing/plans.ts';
import type { TicketPriority } from './support.schema.ts';

/**
 * What priority support (the `priority-support` feature, Business plan) changes: the requester's
 * priority is honoured and support's first reply is due within the priority's target. Other plans
 * get `normal` priority and the standard target whatever they ask for. Asking is not refused with
 * a 402: a customer with a problem must always be able to reach support, and the answer tells
 * them what they got.
 */

/** Hours to support's first reply, by priority, with priority support. */
export const prioritySupportTargetHours: Readonly<Record<TicketPriority, number>> = {
  urgent: 1,
  high: 4,
  normal: 8,
  low: 24,
};

/** Hours to support's first reply without priority support. */
export const STANDARD_TARGET_HOURS = 48;

/** Queue order within a status: most urgent first (`urgent` = 0). */
export const priorityRank: Readonly<Record<TicketPriority, number>> = {
  urgent: 0,
  high: 1,
  normal: 2,
  low: 3,
};

export interface TicketTerms {
  readonly priority: TicketPriority;
  readonly prioritySupport: boolean;
  readonly firstResponseDueAt: string;
}

/** The priority and first-response deadline a new ticket gets on the tenant's plan. */
export function ticketTerms(
  entitlements: Pick<Entitlements, 'features'>,
  requested: TicketPriority | undefined,
  openedAt: Date,
): TicketTerms {
  const prioritySupport = entitlements.features.includes('priority-support');
  const priority: TicketPriority = prioritySupport ? (requested ?? 'normal') : 'normal';
  const hours = prioritySupport ? prioritySupportTargetHours[priority] : STANDARD_TARGET_HOURS;
  return {
    priority,
    prioritySupport,
    firstResponseDueAt: new Date(openedAt.getTime() + hours * 60 * 60 * 1000).toISOString(),
  };
}
