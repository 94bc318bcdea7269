import type { Operator } from '../admin/operators.ts';
import { platformAuditSteps } from '../admin/platform-audit.ts';
import { auditStep } from '../audit/audit.writer.ts';
import type { Db } from '../db/client.ts';
import { keys } from '../db/keys.ts';
import { type Page, queryPrefixPage } from '../db/page.ts';
import { type TransactStep, transactWrite } from '../db/transact.ts';
import type { RequestMeta } from '../http/api-handler.ts';
import { BadRequestError, ConflictError, NotFoundError } from '../http/errors.ts';
import type { Clock, IdGenerator } from '../ids.ts';
import {
  type CommunicationEntry,
  communicationSchema,
  communicationStep,
  excerptOf,
} from '../mail/communications.ts';
import type { EmailOutcome, MailSender } from '../mail/mail-sender.ts';
import { escapeHtml, mailedName } from '../mail/mail-text.ts';
import { emailDeliveryStatus, liftSuppressionStep, readSuppression } from '../mail/suppression.ts';
import { logger } from '../observability/logger.ts';
import { billingContacts } from '../tenancy/contacts.ts';
import { hasPermission } from '../tenancy/permissions.ts';
import { authorize, type TenantContext } from '../tenancy/tenant-context.ts';
import type { IdentityDirectory } from '../users/identity-directory.ts';
import { StaleTicketError, type StoredMessage, type SupportRepository } from './support.repository.ts';
import {
  type AdminReplyInput,
  type AdminTicket,
  type AdminTicketListQuery,
  type CreateTicketInput,
  type CustomerTicket,
  customerMessageSchema,
  customerTicketSchema,
  type ReplyInput,
  type TicketStatus,
} from './support.schema.ts';
import { ticketTerms } from './support-policy.ts';

export interface SupportServiceDeps {
  readonly db: Db;
  readonly tickets: SupportRepository;
  /** Sends support's replies (suppression list and communication history included). */
  readonly mailer: MailSender;
  /** Checks that an assignee is a user of the pool. */
  readonly directory: IdentityDirectory;
  readonly clock: Clock;
  readonly newId: IdGenerator;
  /** The product's web app: reply emails link to the ticket there. */
  readonly appUrl: string;
}

/** Re-reads and re-applies a change this many times when other writes keep moving the ticket. */
const MAX_ATTEMPTS = 3;

type CustomerMessage = ReturnType<ReturnType<typeof customerMessageSchema>['parse']>;

/** A customer's view of a ticket: no assignee, no counters. */
export function customerView(ticket: AdminTicket): CustomerTicket {
  return customerTicketSchema().parse(ticket);
}

/** A customer's view of the messages: internal notes are dropped, operators are "support". */
export function customerMessages(messages: readonly StoredMessage[]): CustomerMessage[] {
  return messages
    .filter((message) => !message.internal)
    .map((message) =>
      customerMessageSchema().parse({
        messageId: message.messageId,
        author:
          message.author.kind === 'customer'
            ? { kind: 'customer', userId: message.author.userId, email: message.author.email }
            : { kind: 'support' },
        body: message.body,
        at: message.at,
      }),
    );
}

function operatorMessage(message: StoredMessage) {
  const { tenantId: _t, ticketId: _i, ...rest } = message;
  return rest;
}

/**
 * Support tickets. Members open tickets and follow their own (`support:use`); the tenant's admins
 * and owners see and answer all of the tenant's (`support:manage`); another tenant's ticket, or a
 * member's look at someone else's, is a 404. Operators work the queue through the admin API; every
 * change they make is in the platform audit log and, as a support action, in the tenant's (internal
 * notes without their text, so a note never reaches the customer through the audit log either).
 *
 * Every change is one transaction conditioned on the ticket's version: messages keep their order
 * and two replies at once both land, one after the other (the second re-reads and retries).
 */
export function createSupportService(deps: SupportServiceDeps) {
  const { db, tickets, clock, newId } = deps;
  const idDeps = { clock, newId };

  /** Retries `attempt` when the ticket moved between its read and its write. */
  async function withRetry<T>(attempt: () => Promise<T>): Promise<T> {
    for (let i = 1; i <= MAX_ATTEMPTS; i++) {
      try {
        return await attempt();
      } catch (error) {
        if (!(error instanceof StaleTicketError)) throw error;
      }
    }
    throw new ConflictError('The ticket is being changed by other requests right now; retry.');
  }

  const ticketNotFound = () => new NotFoundError('Ticket not found.');

  /** The ticket when the member may see it: all of the tenant's with `support:manage`, else their own. */
  async function visibleTicket(ctx: TenantContext, ticketId: string): Promise<AdminTicket> {
    const ticket = await tickets.get(ctx.tenantId, ticketId);
    if (!ticket) throw ticketNotFound();
    if (!hasPermission(ctx.role, 'support:manage') && ticket.requester.userId !== ctx.caller.userId) {
      throw ticketNotFound();
    }
    return ticket;
  }

  async function customerDetail(ticket: AdminTicket) {
    const messages = await tickets.messages(ticket.tenantId, ticket.ticketId);
    return { ...customerView(ticket), messages: customerMessages(messages) };
  }

  /** The ticket an operator names: found through its locator, 404 otherwise. */
  async function locate(ticketId: string): Promise<AdminTicket> {
    const tenantId = await tickets.tenantOf(ticketId);
    const ticket = tenantId ? await tickets.get(tenantId, ticketId) : undefined;
    if (!ticket) throw ticketNotFound();
    return ticket;
  }

  async function operatorDetail(ticket: AdminTicket) {
    const [messages, [requesterDelivery]] = await Promise.all([
      tickets.messages(ticket.tenantId, ticket.ticketId),
      emailDeliveryStatus(db, [ticket.requester.email]),
    ]);
    return {
      ...ticket,
      messages: messages.map(operatorMessage),
      requesterDelivery: requesterDelivery ?? {
        email: ticket.requester.email,
        status: 'deliverable' as const,
      },
    };
  }

  function messageOf(
    ticket: AdminTicket,
    seq: number,
    author: StoredMessage['author'],
    body: string,
    internal: boolean,
    at: string,
  ): StoredMessage {
    return {
      tenantId: ticket.tenantId,
      ticketId: ticket.ticketId,
      messageId: newId(),
      seq,
      author,
      body,
      internal,
      at,
    };
  }

  /** The history entry of a ticket message, written in the message's transaction. */
  function historyStep(
    ticket: AdminTicket,
    message: StoredMessage,
    entry: Partial<CommunicationEntry>,
  ): TransactStep {
    return communicationStep(
      db,
      ticket.tenantId,
      {
        kind: 'ticket-message',
        direction: message.author.kind === 'customer' ? 'inbound' : 'outbound',
        subject: ticket.subject,
        status: message.author.kind === 'customer' ? 'received' : 'sent',
        excerpt: excerptOf(message.body),
        ticketId: ticket.ticketId,
        author: message.author.kind === 'customer' ? message.author.userId : 'support',
        ...entry,
      },
      message.at,
      newId(),
    );
  }

  function operatorAudit(
    operator: Operator,
    request: RequestMeta,
    ticket: AdminTicket,
    action: string,
    before: Record<string, unknown> | null,
    after: Record<string, unknown> | null,
    reason: string | null,
  ): TransactStep[] {
    return platformAuditSteps(
      db,
      {
        operatorId: operator.userId,
        action,
        target: { type: 'support-ticket', id: ticket.ticketId, tenantId: ticket.tenantId },
        before,
        after,
        reason,
        request,
      },
      idDeps,
    );
  }

  /** Support's reply by email to the requester and the tenant's owners and admins. */
  async function mailReply(ticket: AdminTicket, body: string): Promise<EmailOutcome | { status: 'failed' }> {
    const admins = await billingContacts(db, ticket.tenantId);
    const url = `${deps.appUrl.replace(/\/+$/, '')}/support/tickets/${ticket.ticketId}`;
    const subject = `Re: ${mailedName(ticket.subject)} [Plinth support ${ticket.ticketId}]`;
    const paragraphs = body.split(/\n{2,}/);
    try {
      return await deps.mailer.send(
        {
          to: [ticket.requester.email, ...admins],
          subject,
          text: `${body}\n\nSee the whole conversation and reply: ${url}\n`,
          html: [
            ...paragraphs.map((p) => `<p>${escapeHtml(p).replace(/\n/g, '<br>')}</p>`),
            `<p><a href="${escapeHtml(url)}">See the whole conversation and reply</a></p>`,
          ].join('\n'),
        },
        { kind: 'support-reply', tenantId: ticket.tenantId, ticketId: ticket.ticketId },
      );
    } catch (error) {
      // The reply is saved and shown in the app; the history records the failed email.
      logger.error('support reply not mailed', { ticketId: ticket.ticketId, error });
      return { status: 'failed' };
    }
  }

  return {
    // Customers

    /**
     * Opens a ticket with its first message. The plan decides the priority and the first-response
     * deadline (shared/support/support-policy.ts). Open while the tenant is restricted for
     * non-payment: that is when customers most need support.
     */
    async open(ctx: TenantContext, input: CreateTicketInput) {
      authorize(ctx, 'support:use');
      const now = clock();
      const at = now.toISOString();
      const terms = ticketTerms(ctx.entitlements, input.priority, now);
      const ticket: AdminTicket = {
        ticketId: newId(),
        tenantId: ctx.tenantId,
        subject: input.subject,
        status: 'open',
        priority: terms.priority,
        ...(input.priority && input.priority !== terms.priority ? { requestedPriority: input.priority } : {}),
        prioritySupport: terms.prioritySupport,
        firstResponseDueAt: terms.firstResponseDueAt,
        firstResponseAt: null,
        requester: { userId: ctx.caller.userId, email: ctx.member.email },
        createdAt: at,
        updatedAt: at,
        assigneeId: null,
        messageCount: 1,
        version: 1,
      };
      const message = messageOf(
        ticket,
        1,
        { kind: 'customer', userId: ctx.caller.userId, email: ctx.member.email },
        input.body,
        false,
        at,
      );
      await tickets.create(ticket, message, [
        historyStep(ticket, message, {}),
        auditStep(
          db,
          {
            tenantId: ctx.tenantId,
            actor: { userId: ctx.caller.userId, email: ctx.member.email },
            request: ctx.request,
            action: 'support.ticket-opened',
            target: { type: 'support-ticket', id: ticket.ticketId },
            before: null,
            after: {
              subject: ticket.subject,
              priority: ticket.priority,
              firstResponseDueAt: ticket.firstResponseDueAt,
            },
          },
          idDeps,
        ),
      ]);
      return { ...customerView(ticket), messages: customerMessages([message]) };
    },

    /** The tenant's tickets for admins and owners, the caller's own for everyone else; oldest first. */
    async list(
      ctx: TenantContext,
      query: { limit: number; cursor?: string | undefined; status?: TicketStatus | undefined },
    ): Promise<Page<CustomerTicket>> {
      authorize(ctx, 'support:use');
      const all = hasPermission(ctx.role, 'support:manage');
      const page = await tickets.listForTenant(
        ctx.tenantId,
        { status: query.status, ...(all ? {} : { requesterId: ctx.caller.userId }) },
        query,
      );
      return { ...page, items: page.items.map(customerView) };
    },

    async get(ctx: TenantContext, ticketId: string) {
      authorize(ctx, 'support:use');
      return customerDetail(await visibleTicket(ctx, ticketId));
    },

    /** A customer's reply: the ticket is open again (support owes an answer). A closed ticket is a 409. */
    async reply(ctx: TenantContext, ticketId: string, input: ReplyInput) {
      authorize(ctx, 'support:use');
      return withRetry(async () => {
        const before = await visibleTicket(ctx, ticketId);
        if (before.status === 'closed') {
          throw new ConflictError('This ticket is closed; open a new ticket instead.');
        }
        const at = clock().toISOString();
        const after: AdminTicket = {
          ...before,
          status: 'open',
          updatedAt: at,
          messageCount: before.messageCount + 1,
          version: before.version + 1,
        };
        const message = messageOf(
          after,
          after.messageCount,
          { kind: 'customer', userId: ctx.caller.userId, email: ctx.member.email },
          input.body,
          false,
          at,
        );
        await tickets.append(after, before.version, message, [historyStep(after, message, {})]);
        return customerDetail(after);
      });
    },

    /** Closes the ticket (closing a closed ticket changes nothing). */
    async close(ctx: TenantContext, ticketId: string) {
      authorize(ctx, 'support:use');
      return withRetry(async () => {
        const before = await visibleTicket(ctx, ticketId);
        if (before.status === 'closed') return customerDetail(before);
        const at = clock().toISOString();
        const after: AdminTicket = {
          ...before,
          status: 'closed',
          updatedAt: at,
          version: before.version + 1,
        };
        await tickets.update(after, before.version, [
          auditStep(
            db,
            {
              tenantId: ctx.tenantId,
              actor: { userId: ctx.caller.userId, email: ctx.member.email },
              request: ctx.request,
              action: 'support.ticket-closed',
              target: { type: 'support-ticket', id: ticketId },
              before: { status: before.status },
              after: { status: 'closed' },
            },
            idDeps,
          ),
        ]);
        return customerDetail(after);
      });
    },

    // Operators (the route guard checked `tickets:manage` or `admin:read` and MFA)

    /**
     * The operators' list: by tenant (the tenant's partition) or across tenants (the gsi1 queue:
     * status, then priority, then age).
     */
    async adminList(query: AdminTicketListQuery): Promise<Page<AdminTicket>> {
      const filter = { status: query.status, priority: query.priority, assignee: query.assignee };
      const page = { limit: query.limit, cursor: query.cursor };
      return query.tenantId
        ? tickets.listForTenant(query.tenantId, filter, page)
        : tickets.listQueue(filter, page);
    },

    async adminGet(ticketId: string) {
      return operatorDetail(await locate(ticketId));
    },

    /**
     * Support's reply: stored with the ticket's new status (pending the customer by default) and the
     * first response time, audited, then mailed to the requester and the tenant's admins. The reply
     * stands when the email fails; the answer and the communication history say how the email went.
     */
    async adminReply(operator: Operator, ticketId: string, input: AdminReplyInput, request: RequestMeta) {
      const after = await withRetry(async () => {
        const before = await locate(ticketId);
        if (before.status === 'closed') {
          throw new ConflictError('This ticket is closed; reopen it (change its status) before replying.');
        }
        const at = clock().toISOString();
        const next: AdminTicket = {
          ...before,
          status: input.status,
          firstResponseAt: before.firstResponseAt ?? at,
          updatedAt: at,
          messageCount: before.messageCount + 1,
          version: before.version + 1,
        };
        const message = messageOf(
          next,
          next.messageCount,
          { kind: 'operator', userId: operator.userId },
          input.body,
          false,
          at,
        );
        await tickets.append(next, before.version, message, [
          historyStep(next, message, {}),
          ...operatorAudit(
            operator,
            request,
            next,
            'support.ticket-replied',
            { status: before.status },
            { status: next.status, messageId: message.messageId, seq: message.seq },
            null,
          ),
        ]);
        return next;
      });
      const email = await mailReply(after, input.body);
      return { ...(await operatorDetail(after)), email };
    },

    /** An internal note: operators only; never shown to, mailed to or audited with text for the customer. */
    async addNote(operator: Operator, ticketId: string, body: string, request: RequestMeta) {
      const after = await withRetry(async () => {
        const before = await locate(ticketId);
        const at = clock().toISOString();
        const next: AdminTicket = {
          ...before,
          updatedAt: at,
          messageCount: before.messageCount + 1,
          version: before.version + 1,
        };
        const message = messageOf(
          next,
          next.messageCount,
          { kind: 'operator', userId: operator.userId },
          body,
          true,
          at,
        );
        await tickets.append(
          next,
          before.version,
          message,
          // The tenant's copy of the audit entry must not carry the note's text.
          operatorAudit(
            operator,
            request,
            next,
            'support.note-added',
            null,
            { messageId: message.messageId, seq: message.seq },
            null,
          ),
        );
        return next;
      });
      return operatorDetail(after);
    },

    /** Assigns the ticket to an operator (a user of the pool: 400 otherwise), or unassigns it. */
    async assign(operator: Operator, ticketId: string, assigneeId: string | null, request: RequestMeta) {
      if (assigneeId !== null && !(await deps.directory.getUser(assigneeId))) {
        throw new BadRequestError('No such user to assign the ticket to.', [
          { field: 'body.assigneeId', message: 'is not a user of this pool' },
        ]);
      }
      const after = await withRetry(async () => {
        const before = await locate(ticketId);
        const next: AdminTicket = {
          ...before,
          assigneeId,
          updatedAt: clock().toISOString(),
          version: before.version + 1,
        };
        await tickets.update(
          next,
          before.version,
          operatorAudit(
            operator,
            request,
            next,
            'support.ticket-assigned',
            { assigneeId: before.assigneeId },
            { assigneeId },
            null,
          ),
        );
        return next;
      });
      return operatorDetail(after);
    },

    /**
     * A tenant's communication history, newest first (one Query of its COMM# items), with the
     * current delivery status of every address on the page. 404 for a tenant that never existed.
     */
    async communications(tenantId: string, page: { limit: number; cursor?: string | undefined }) {
      const [exists, history] = await Promise.all([
        tickets.tenantExists(tenantId),
        queryPrefixPage(db, keys.communicationsPrefix(tenantId), 'communications', page, {
          newestFirst: true,
        }),
      ]);
      if (!exists) throw new NotFoundError('Tenant not found.');
      const items = history.items.map((item) => communicationSchema().parse(item));
      const addresses = await emailDeliveryStatus(
        db,
        items.flatMap((item) => [...(item.to ?? []), ...(item.suppressed ?? [])]),
      );
      return { items, ...(history.nextCursor ? { nextCursor: history.nextCursor } : {}), addresses };
    },

    /** Whether Plinth mails an address, and why not when it does not (operators). */
    async deliveryStatus(email: string) {
      const [status] = await emailDeliveryStatus(db, [email]);
      return status ?? { email, status: 'deliverable' as const };
    },

    /**
     * Lifts an address's suppression (the person fixed their mailbox, or the complaint was a
     * mistake), with a reason; audited in the same transaction. 404 when it is not suppressed.
     */
    async liftSuppression(operator: Operator, email: string, reason: string, request: RequestMeta) {
      const before = await readSuppression(db, email);
      if (!before) throw new NotFoundError('This address is not suppressed.');
      const { pk: _pk, sk: _sk, type: _type, ...suppression } = before;
      await transactWrite(db, [
        liftSuppressionStep(db, email, () => new NotFoundError('This address is not suppressed.')),
        ...platformAuditSteps(
          db,
          {
            operatorId: operator.userId,
            action: 'email.suppression-lifted',
            target: { type: 'email-address', id: email },
            before: suppression,
            after: null,
            reason,
            request,
          },
          idDeps,
        ),
      ]);
      return { email, status: 'deliverable' as const };
    },

    /** Moves the ticket to a status, with a reason (audited). */
    async setStatus(
      operator: Operator,
      ticketId: string,
      input: { status: TicketStatus; reason: string },
      request: RequestMeta,
    ) {
      const after = await withRetry(async () => {
        const before = await locate(ticketId);
        const next: AdminTicket = {
          ...before,
          status: input.status,
          updatedAt: clock().toISOString(),
          version: before.version + 1,
        };
        await tickets.update(
          next,
          before.version,
          operatorAudit(
            operator,
            request,
            next,
            'support.ticket-status-changed',
            { status: before.status },
            { status: input.status },
            input.reason,
          ),
        );
        return next;
      });
      return operatorDetail(after);
    },
  };
}

export type SupportService = ReturnType<typeof createSupportService>;
