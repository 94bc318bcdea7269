import * as z from 'zod';
import { lazyValue } from '../app/deferred.ts';
import { emailSchema, idSchema, pageOf, paginationQuery, tenantParams } from '../http/common.schema.ts';
import { communicationSchema } from '../mail/communications.ts';
import { emailDeliveryStatusSchema } from '../mail/suppression.ts';
import {
  adminTicketSchema,
  customerTicketSchema,
  ticketPrioritySchema,
  ticketStatusSchema,
} from './ticket.schema.ts';

export {
  type AdminTicket,
  adminTicketSchema,
  type CustomerTicket,
  customerTicketSchema,
  type TicketPriority,
  type TicketStatus,
  ticketPriorities,
  ticketPrioritySchema,
  ticketStatuses,
  ticketStatusSchema,
} from './ticket.schema.ts';

const subjectSchema = /* @__PURE__ */ lazyValue(() => z.string().trim().min(3).max(200));
const messageBodySchema = /* @__PURE__ */ lazyValue(() => z.string().trim().min(1).max(10_000));
const reasonSchema = /* @__PURE__ */ lazyValue(() => z.string().trim().min(3).max(500));
/** Cognito `sub` values are UUIDs. */
const operatorIdSchema = /* @__PURE__ */ lazyValue(() => z.uuid());

export const createTicketBody = /* @__PURE__ */ lazyValue(() =>
  z.strictObject({
    subject: subjectSchema(),
    body: messageBodySchema(),
    /**
     * Honoured on plans with priority support (Business); on other plans the ticket is `normal`
     * whatever is asked, and the answer says so (`requestedPriority`, `prioritySupport: false`).
     */
    priority: ticketPrioritySchema().optional(),
  }),
);
export type CreateTicketInput = z.infer<ReturnType<typeof createTicketBody>>;

export const replyBody = /* @__PURE__ */ lazyValue(() => z.strictObject({ body: messageBodySchema() }));
export type ReplyInput = z.infer<ReturnType<typeof replyBody>>;

export const ticketParams = /* @__PURE__ */ lazyValue(() => tenantParams().extend({ ticketId: idSchema() }));

export const customerTicketListQuery = /* @__PURE__ */ lazyValue(() =>
  paginationQuery().extend({ status: ticketStatusSchema().optional() }),
);

/** A message as the customer sees it: support's replies carry no operator identity. */
export const customerMessageSchema = /* @__PURE__ */ lazyValue(() =>
  z.object({
    messageId: z.string(),
    author: z.object({
      kind: z.enum(['customer', 'support']),
      userId: z.string().optional(),
      email: z.string().optional(),
    }),
    body: z.string(),
    at: z.iso.datetime(),
  }),
);

export const customerTicketDetailSchema = /* @__PURE__ */ lazyValue(() =>
  customerTicketSchema().extend({
    messages: z.array(customerMessageSchema()),
  }),
);

export const customerTicketPage = /* @__PURE__ */ lazyValue(() => pageOf(customerTicketSchema()));

// Operators

export const adminTicketParams = /* @__PURE__ */ lazyValue(() => z.strictObject({ ticketId: idSchema() }));

export const adminTicketListQuery = /* @__PURE__ */ lazyValue(() =>
  paginationQuery().extend({
    status: ticketStatusSchema().optional(),
    priority: ticketPrioritySchema().optional(),
    /** An operator's user id, or `none` for unassigned tickets. */
    assignee: z.union([z.literal('none'), operatorIdSchema()]).optional(),
    tenantId: idSchema().optional(),
  }),
);
export type AdminTicketListQuery = z.infer<ReturnType<typeof adminTicketListQuery>>;

export const adminMessageSchema = /* @__PURE__ */ lazyValue(() =>
  z.object({
    messageId: z.string(),
    /** Position in the ticket (1, 2, …), notes included. */
    seq: z.number().int().min(1),
    author: z.object({
      kind: z.enum(['customer', 'operator']),
      userId: z.string(),
      email: z.string().optional(),
    }),
    body: z.string(),
    /** An internal note: operators only, never shown to or mailed to the customer. */
    internal: z.boolean(),
    at: z.iso.datetime(),
  }),
);
export type AdminMessage = z.infer<ReturnType<typeof adminMessageSchema>>;

export const adminTicketDetailSchema = /* @__PURE__ */ lazyValue(() =>
  adminTicketSchema().extend({
    messages: z.array(adminMessageSchema()),
    /** Whether the requester's address can be mailed (SES bounces and complaints suppress it). */
    requesterDelivery: emailDeliveryStatusSchema(),
  }),
);

export const adminTicketPage = /* @__PURE__ */ lazyValue(() => pageOf(adminTicketSchema()));

export const adminReplyBody = /* @__PURE__ */ lazyValue(() =>
  z.strictObject({
    body: messageBodySchema(),
    /** The status after the reply. @default pending_customer */
    status: z.enum(['open', 'pending_customer', 'resolved']).default('pending_customer'),
  }),
);
export type AdminReplyInput = z.infer<ReturnType<typeof adminReplyBody>>;

/** Support's reply, and how its email went (`failed`: SES refused it; the reply stands). */
export const supportReplyResponse = /* @__PURE__ */ lazyValue(() =>
  adminTicketDetailSchema().extend({
    email: z.object({
      status: z.enum(['sent', 'suppressed', 'failed']),
      sent: z.array(z.string()).optional(),
      suppressed: z.array(z.string()).optional(),
    }),
  }),
);

export const noteBody = /* @__PURE__ */ lazyValue(() => z.strictObject({ body: messageBodySchema() }));

export const assignBody = /* @__PURE__ */ lazyValue(() =>
  z.strictObject({
    /** The operator who takes the ticket, or null to unassign. */
    assigneeId: operatorIdSchema().nullable(),
  }),
);

export const statusBody = /* @__PURE__ */ lazyValue(() =>
  z.strictObject({
    status: ticketStatusSchema(),
    reason: reasonSchema(),
  }),
);

export const communicationsQuery = /* @__PURE__ */ lazyValue(() => paginationQuery());
export const communicationsPage = /* @__PURE__ */ lazyValue(() =>
  pageOf(communicationSchema()).extend({
    /** The current delivery status of every address on this page (suppressed or deliverable). */
    addresses: z.array(emailDeliveryStatusSchema()),
  }),
);

export const suppressionParams = /* @__PURE__ */ lazyValue(() => z.strictObject({ email: emailSchema() }));
export const liftSuppressionBody = /* @__PURE__ */ lazyValue(() =>
  z.strictObject({ reason: reasonSchema() }),
);
export { emailDeliveryStatusSchema };
