import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Db } from '../db/client.ts';
import { decodeCursor, encodeCursor } from '../db/cursor.ts';
import { keys } from '../db/keys.ts';
import type { Page, PageRequest } from '../db/page.ts';
import { type TransactStep, transactWrite } from '../db/transact.ts';
import type { AdminMessage, AdminTicket, TicketPriority, TicketStatus } from './support.schema.ts';
import { priorityRank } from './support-policy.ts';

/** The ticket changed since it was read: re-read and re-apply (the service does, a few times). */
export class StaleTicketError extends Error {
  constructor(ticketId: string) {
    super(`Ticket ${ticketId} changed since it was read.`);
    this.name = 'StaleTicketError';
  }
}

/** A message as stored: the operators' view plus where it belongs. */
export interface StoredMessage extends AdminMessage {
  readonly tenantId: string;
  readonly ticketId: string;
}

/** Filters of a ticket list; each narrows a Query (key condition where the keys allow, else a filter). */
export interface TicketFilter {
  readonly status?: TicketStatus | undefined;
  readonly priority?: TicketPriority | undefined;
  /** An operator's id, or `none` for unassigned. */
  readonly assignee?: string | undefined;
  /** Only tickets this user opened (members without `support:manage`). */
  readonly requesterId?: string | undefined;
}

const TICKET_FIELDS = [
  'ticketId',
  'tenantId',
  'subject',
  'status',
  'priority',
  'requestedPriority',
  'prioritySupport',
  'firstResponseDueAt',
  'firstResponseAt',
  'requester',
  'createdAt',
  'updatedAt',
  'assigneeId',
  'messageCount',
  'version',
] as const;

function toTicket(item: Record<string, unknown>): AdminTicket {
  const ticket: Record<string, unknown> = {};
  for (const field of TICKET_FIELDS) if (item[field] !== undefined) ticket[field] = item[field];
  return ticket as unknown as AdminTicket;
}

function toMessage(item: Record<string, unknown>): StoredMessage {
  const { pk: _pk, sk: _sk, type: _type, ...message } = item;
  return message as unknown as StoredMessage;
}

function ticketItem(ticket: AdminTicket): Record<string, unknown> {
  return {
    ...keys.supportTicket(ticket.tenantId, ticket.ticketId),
    ...keys.supportTicketQueue(
      ticket.status,
      priorityRank[ticket.priority],
      ticket.createdAt,
      ticket.ticketId,
    ),
    type: 'support-ticket',
    ...ticket,
    // Top level, so a member's list filters on it (the view keeps it inside `requester`).
    requesterUserId: ticket.requester.userId,
  };
}

/** Builds `#a = :a AND …` filter parts for the attributes given. */
function filterOf(conditions: Record<string, string | null | undefined>) {
  const parts: string[] = [];
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  for (const [attribute, value] of Object.entries(conditions)) {
    if (value === undefined) continue;
    names[`#${attribute}`] = attribute;
    if (value === null) {
      parts.push(`(attribute_not_exists(#${attribute}) OR #${attribute} = :${attribute})`);
      values[`:${attribute}`] = null;
    } else {
      parts.push(`#${attribute} = :${attribute}`);
      values[`:${attribute}`] = value;
    }
  }
  return parts.length === 0
    ? {}
    : { FilterExpression: parts.join(' AND '), ExpressionAttributeNames: names, filterValues: values };
}

const assigneeCondition = (assignee: string | undefined) =>
  assignee === undefined ? undefined : assignee === 'none' ? null : assignee;

export function createSupportRepository(db: Db) {
  const put = (item: Record<string, unknown>, condition: string, values?: Record<string, unknown>) => ({
    Put: {
      TableName: db.tableName,
      Item: item,
      ConditionExpression: condition,
      ...(values ? { ExpressionAttributeValues: values } : {}),
    },
  });

  /** The ticket's new state, written only over the version it was read at. */
  const ticketStep = (after: AdminTicket, expectedVersion: number): TransactStep => ({
    item: put(ticketItem(after), 'version = :expected', { ':expected': expectedVersion }),
    onConditionFailed: () => new StaleTicketError(after.ticketId),
  });

  const messageStep = (message: StoredMessage): TransactStep => ({
    item: put(
      {
        ...keys.supportMessage(message.tenantId, message.ticketId, message.seq),
        type: 'support-message',
        ...message,
      },
      'attribute_not_exists(pk)',
    ),
    // Another writer took this position: the ticket's version moved too.
    onConditionFailed: () => new StaleTicketError(message.ticketId),
  });

  return {
    /** Writes a new ticket, its first message, its locator and `extra` steps (history, audit) at once. */
    async create(ticket: AdminTicket, message: StoredMessage, extra: readonly TransactStep[]): Promise<void> {
      await transactWrite(db, [
        { item: put(ticketItem(ticket), 'attribute_not_exists(pk)') },
        {
          item: put(
            {
              ...keys.supportTicketLocator(ticket.ticketId),
              type: 'support-ticket-locator',
              tenantId: ticket.tenantId,
            },
            'attribute_not_exists(pk)',
          ),
        },
        messageStep(message),
        ...extra,
      ]);
    },

    async get(tenantId: string, ticketId: string): Promise<AdminTicket | undefined> {
      const { Item } = await db.client.send(
        new GetCommand({
          TableName: db.tableName,
          Key: keys.supportTicket(tenantId, ticketId),
          ConsistentRead: true,
        }),
      );
      return Item ? toTicket(Item) : undefined;
    },

    /** Whether the tenant exists (deleted ones too: their history is kept). */
    async tenantExists(tenantId: string): Promise<boolean> {
      const { Item } = await db.client.send(
        new GetCommand({ TableName: db.tableName, Key: keys.tenant(tenantId), ProjectionExpression: 'pk' }),
      );
      return Item !== undefined;
    },

    /** The tenant a ticket belongs to (the admin API has the ticket id only). */
    async tenantOf(ticketId: string): Promise<string | undefined> {
      const { Item } = await db.client.send(
        new GetCommand({ TableName: db.tableName, Key: keys.supportTicketLocator(ticketId) }),
      );
      return typeof Item?.tenantId === 'string' ? Item.tenantId : undefined;
    },

    /** Every message and note of a ticket, in order (strongly consistent: a reply is seen at once). */
    async messages(tenantId: string, ticketId: string): Promise<StoredMessage[]> {
      const prefix = keys.supportMessagesPrefix(tenantId, ticketId);
      const messages: StoredMessage[] = [];
      let start: Record<string, unknown> | undefined;
      do {
        const page = await db.client.send(
          new QueryCommand({
            TableName: db.tableName,
            KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
            ExpressionAttributeValues: { ':pk': prefix.pk, ':prefix': prefix.skPrefix },
            ConsistentRead: true,
            ExclusiveStartKey: start,
          }),
        );
        for (const item of page.Items ?? []) messages.push(toMessage(item));
        start = page.LastEvaluatedKey;
      } while (start);
      return messages;
    },

    /**
     * Appends a message (or note) at position `after.messageCount` and writes the ticket's new state,
     * both conditioned on the version read: two replies at once cannot take the same position or
     * overwrite each other's change (the loser gets StaleTicketError and re-reads).
     */
    async append(
      after: AdminTicket,
      expectedVersion: number,
      message: StoredMessage,
      extra: readonly TransactStep[],
    ): Promise<void> {
      await transactWrite(db, [ticketStep(after, expectedVersion), messageStep(message), ...extra]);
    },

    /** Writes the ticket's new state (status, assignee) with `extra` steps, over the version read. */
    async update(after: AdminTicket, expectedVersion: number, extra: readonly TransactStep[]): Promise<void> {
      await transactWrite(db, [ticketStep(after, expectedVersion), ...extra]);
    },

    /** One page of a tenant's tickets, oldest first. */
    async listForTenant(
      tenantId: string,
      filter: TicketFilter,
      page: PageRequest,
    ): Promise<Page<AdminTicket>> {
      const prefix = keys.supportTicketsPrefix(tenantId);
      const { filterValues, ...filter_ } = filterOf({
        status: filter.status,
        priority: filter.priority,
        assigneeId: assigneeCondition(filter.assignee),
        requesterUserId: filter.requesterId,
      });
      const binding = { partition: prefix.pk, scope: `tickets|${JSON.stringify(filter)}` };
      const result = await db.client.send(
        new QueryCommand({
          TableName: db.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ...filter_,
          ExpressionAttributeValues: { ':pk': prefix.pk, ':prefix': prefix.skPrefix, ...filterValues },
          Limit: page.limit,
          ExclusiveStartKey: decodeCursor(page.cursor, binding, 'pk', {
            from: prefix.skPrefix,
            to: `${prefix.skPrefix}~`,
          }),
        }),
      );
      return {
        items: (result.Items ?? []).map(toTicket),
        nextCursor: encodeCursor(result.LastEvaluatedKey, binding),
      };
    },

    /**
     * One page of the operators' queue (gsi1 `SUPPORT_TICKETS`): by status, then priority (most
     * urgent first), then oldest first. A status (with a priority) is a key prefix; a priority alone
     * and the assignee are filters, so such a page may hold fewer than `limit` tickets and still
     * have a next cursor.
     */
    async listQueue(filter: TicketFilter, page: PageRequest): Promise<Page<AdminTicket>> {
      const keyPriority = filter.status !== undefined ? filter.priority : undefined;
      const queue = keys.supportTicketQueuePrefix(
        filter.status,
        keyPriority === undefined ? undefined : priorityRank[keyPriority],
      );
      const { filterValues, ...filter_ } = filterOf({
        priority: filter.status === undefined ? filter.priority : undefined,
        assigneeId: assigneeCondition(filter.assignee),
      });
      const binding = { partition: queue.gsi1pk, scope: `queue|${JSON.stringify(filter)}` };
      const result = await db.client.send(
        new QueryCommand({
          TableName: db.tableName,
          IndexName: 'gsi1',
          // DynamoDB refuses an empty begins_with prefix: without a status, the whole partition.
          KeyConditionExpression: queue.gsi1skPrefix
            ? 'gsi1pk = :pk AND begins_with(gsi1sk, :prefix)'
            : 'gsi1pk = :pk',
          ...filter_,
          ExpressionAttributeValues: {
            ':pk': queue.gsi1pk,
            ...(queue.gsi1skPrefix ? { ':prefix': queue.gsi1skPrefix } : {}),
            ...filterValues,
          },
          Limit: page.limit,
          ExclusiveStartKey: decodeCursor(page.cursor, binding, 'gsi1pk', {
            from: queue.gsi1skPrefix,
            to: `${queue.gsi1skPrefix}~`,
          }),
        }),
      );
      return {
        items: (result.Items ?? []).map(toTicket),
        nextCursor: encodeCursor(result.LastEvaluatedKey, binding),
      };
    },
  };
}

export type SupportRepository = ReturnType<typeof createSupportRepository>;
