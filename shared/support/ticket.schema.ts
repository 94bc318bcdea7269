import * as z from 'zod';
import { lazyValue } from '../app/deferred.ts';

// A ticket as both the support routes and the operators' tenant view show it: apart from the rest of
// the support schemas so that `admin` (whose tenant view lists tickets) builds only these at cold
// start. shared/support/support.schema.ts re-exports them.

/** Most urgent first: the order of the operators' queue within a status. */
export const ticketPriorities = ['urgent', 'high', 'normal', 'low'] as const;
export const ticketPrioritySchema = /* @__PURE__ */ lazyValue(() => z.enum(ticketPriorities));
export type TicketPriority = z.infer<ReturnType<typeof ticketPrioritySchema>>;

/**
 * `open`: waiting for support; `pending_customer`: support answered and waits for the customer;
 * `resolved`: support considers it solved (a customer's reply reopens it); `closed`: done for good.
 */
export const ticketStatuses = ['open', 'pending_customer', 'resolved', 'closed'] as const;
export const ticketStatusSchema = /* @__PURE__ */ lazyValue(() => z.enum(ticketStatuses));
export type TicketStatus = z.infer<ReturnType<typeof ticketStatusSchema>>;

export const customerTicketSchema = /* @__PURE__ */ lazyValue(() =>
  z.object({
    ticketId: z.string(),
    tenantId: z.string(),
    subject: z.string(),
    status: ticketStatusSchema(),
    priority: ticketPrioritySchema(),
    /** What the requester asked for, when it differs from what the plan gave. */
    requestedPriority: ticketPrioritySchema().optional(),
    /** Whether the tenant's plan had priority support when the ticket was opened. */
    prioritySupport: z.boolean(),
    /** When support's first reply is due, by the plan's response targets. */
    firstResponseDueAt: z.iso.datetime(),
    firstResponseAt: z.iso.datetime().nullable(),
    requester: z.object({ userId: z.string(), email: z.string() }),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  }),
);
export type CustomerTicket = z.infer<ReturnType<typeof customerTicketSchema>>;

export const adminTicketSchema = /* @__PURE__ */ lazyValue(() =>
  customerTicketSchema().extend({
    assigneeId: z.string().nullable(),
    /** Messages and notes so far. */
    messageCount: z.number().int().min(0),
    /** Counts the ticket's changes; every write is conditioned on it. */
    version: z.number().int().min(1),
  }),
);
export type AdminTicket = z.infer<ReturnType<typeof adminTicketSchema>>;
