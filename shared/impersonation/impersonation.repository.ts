import { BatchGetCommand, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { type PlatformAuditEvent, platformAuditSteps } from '../admin/platform-audit.ts';
import { auditStep } from '../audit/audit.writer.ts';
import type { Db } from '../db/client.ts';
import { decodeCursor, encodeCursor } from '../db/cursor.ts';
import { keys } from '../db/keys.ts';
import type { Page, PageRequest } from '../db/page.ts';
import { type TransactStep, transactWrite } from '../db/transact.ts';
import type { RequestMeta } from '../http/api-handler.ts';
import { ConflictError } from '../http/errors.ts';
import type { Clock, IdGenerator } from '../ids.ts';
import { type MemberRecord, type TenantRecord, withoutKeys } from '../tenancy/records.ts';

/** An operator's impersonation session as stored. */
export interface ImpersonationSession {
  readonly sessionId: string;
  readonly operatorId: string;
  readonly userId: string;
  /** The one tenant the session is limited to; absent = every tenant of the user. */
  readonly tenantId?: string;
  readonly reason: string;
  readonly openedAt: string;
  readonly expiresAt: string;
  readonly status: 'open' | 'ended';
  readonly endedAt?: string;
  readonly endedBy?: string;
  /** The tenants whose audit logs show the session (the user's tenants when it was opened, or its one tenant). */
  readonly auditTenantIds: readonly string[];
}

/** One audited step of a session's life (opened, ended), for the platform log and the tenants' logs. */
export interface SessionAudit {
  readonly operatorId: string;
  readonly action: 'impersonation.opened' | 'impersonation.ended';
  readonly before: Record<string, unknown> | null;
  readonly after: Record<string, unknown> | null;
  readonly reason: string | null;
  readonly request: RequestMeta;
}

const SESSION_TYPE = 'impersonation-session';

function sessionOf(item: Record<string, unknown>): ImpersonationSession {
  return withoutKeys(item) as unknown as ImpersonationSession;
}

/** Seconds since the epoch, for the table's TTL attribute. */
const epochSeconds = (iso: string) => Math.ceil(Date.parse(iso) / 1000);

export function createImpersonationRepository(db: Db, deps: { clock: Clock; newId: IdGenerator }) {
  /**
   * The session's audit entries: one in the platform log (target: the user, and the tenant when the
   * session is limited to one) and a support entry in the audit log of every tenant it concerns.
   */
  function auditSteps(session: ImpersonationSession, audit: SessionAudit): TransactStep[] {
    const event: PlatformAuditEvent = {
      operatorId: audit.operatorId,
      action: audit.action,
      target: {
        type: 'user',
        id: session.userId,
        userId: session.userId,
        ...(session.tenantId ? { tenantId: session.tenantId } : {}),
      },
      before: audit.before,
      after: audit.after,
      reason: audit.reason,
      request: audit.request,
    };
    const now = deps.clock();
    // platformAuditSteps copies the entry to the target tenant's log; a session over all of the
    // user's tenants is copied to each of them here, in the same transaction.
    const copies = session.tenantId
      ? []
      : session.auditTenantIds.map((tenantId) =>
          auditStep(
            db,
            {
              tenantId,
              actor: { userId: audit.operatorId, kind: 'support' },
              actorKind: 'operator',
              request: audit.request,
              action: audit.action,
              target: { type: 'user', id: session.userId },
              before: audit.before,
              after: audit.after,
              ...(audit.reason === null ? {} : { reason: audit.reason }),
            },
            { clock: () => now, newId: deps.newId },
          ),
        );
    return [...platformAuditSteps(db, event, { clock: () => now, newId: deps.newId }), ...copies];
  }

  /** A session by id, strongly consistent (an ended session must stop working at once). */
  async function get(sessionId: string): Promise<ImpersonationSession | undefined> {
    const result = await db.client.send(
      new GetCommand({
        TableName: db.tableName,
        Key: keys.impersonationSession(sessionId),
        ConsistentRead: true,
      }),
    );
    return result.Item ? sessionOf(result.Item) : undefined;
  }

  return {
    /** The tenant and the user's membership of it, strongly consistent (one BatchGet). */
    async membership(
      tenantId: string,
      userId: string,
    ): Promise<{ tenant: TenantRecord | undefined; member: MemberRecord | undefined }> {
      const tenantKey = keys.tenant(tenantId);
      const { gsi1pk: _g, gsi1sk: _s, ...memberKey } = keys.member(tenantId, userId);
      const result = await db.client.send(
        new BatchGetCommand({
          RequestItems: { [db.tableName]: { Keys: [tenantKey, memberKey], ConsistentRead: true } },
        }),
      );
      if (Object.keys(result.UnprocessedKeys ?? {}).length > 0) {
        throw new Error('DynamoDB left keys unprocessed; the request can be retried.');
      }
      const items = result.Responses?.[db.tableName] ?? [];
      const tenant = items.find((i) => i.sk === tenantKey.sk);
      const member = items.find((i) => i.sk === memberKey.sk);
      return {
        tenant: tenant ? (withoutKeys(tenant) as TenantRecord) : undefined,
        member: member ? (withoutKeys(member) as MemberRecord) : undefined,
      };
    },

    /**
     * Stores a new session with its audit entries in one transaction. A session limited to a tenant
     * is written only while the user is still an active member, the tenant not deleted and its
     * support access on (condition checks: what the caller read may have changed meanwhile).
     */
    async open(session: ImpersonationSession, audit: SessionAudit): Promise<void> {
      const changedMeanwhile = () =>
        new ConflictError(
          'The tenant or the membership changed while the session was being opened; try again.',
        );
      const conditions: TransactStep[] = session.tenantId
        ? [
            {
              item: {
                ConditionCheck: {
                  TableName: db.tableName,
                  Key: keys.tenant(session.tenantId),
                  ConditionExpression:
                    'attribute_exists(pk) AND #status <> :deleted AND (attribute_not_exists(supportAccess) OR supportAccess = :on)',
                  ExpressionAttributeNames: { '#status': 'status' },
                  ExpressionAttributeValues: { ':deleted': 'deleted', ':on': true },
                },
              },
              onConditionFailed: changedMeanwhile,
            },
            {
              item: {
                ConditionCheck: {
                  TableName: db.tableName,
                  Key: {
                    pk: keys.member(session.tenantId, session.userId).pk,
                    sk: keys.member(session.tenantId, session.userId).sk,
                  },
                  ConditionExpression: '#status = :active',
                  ExpressionAttributeNames: { '#status': 'status' },
                  ExpressionAttributeValues: { ':active': 'active' },
                },
              },
              onConditionFailed: changedMeanwhile,
            },
          ]
        : [];
      await transactWrite(db, [
        {
          item: {
            Put: {
              TableName: db.tableName,
              Item: {
                ...keys.impersonationSession(session.sessionId),
                ...keys.openImpersonation(session.expiresAt, session.sessionId),
                type: SESSION_TYPE,
                ...session,
                ttl: epochSeconds(session.expiresAt),
              },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
        },
        ...conditions,
        ...auditSteps(session, audit),
      ]);
    },

    get,

    /**
     * What a request under impersonation needs, in one round trip: the session, and the tenant its
     * path names (for the tenant's support access setting), strongly consistent.
     */
    async findForUse(
      sessionId: string,
      tenantId: string | undefined,
    ): Promise<{ session: ImpersonationSession | undefined; tenant: TenantRecord | undefined }> {
      if (tenantId === undefined) return { session: await get(sessionId), tenant: undefined };
      const sessionKey = keys.impersonationSession(sessionId);
      const tenantKey = keys.tenant(tenantId);
      const result = await db.client.send(
        new BatchGetCommand({
          RequestItems: { [db.tableName]: { Keys: [sessionKey, tenantKey], ConsistentRead: true } },
        }),
      );
      if (Object.keys(result.UnprocessedKeys ?? {}).length > 0) {
        throw new Error('DynamoDB left keys unprocessed; the request can be retried.');
      }
      const items = result.Responses?.[db.tableName] ?? [];
      const session = items.find((i) => i.pk === sessionKey.pk && i.sk === sessionKey.sk);
      const tenant = items.find((i) => i.pk === tenantKey.pk && i.sk === tenantKey.sk);
      return {
        session: session ? sessionOf(session) : undefined,
        tenant: tenant ? (withoutKeys(tenant) as TenantRecord) : undefined,
      };
    },

    /** One page of the sessions open at `now`, soonest to expire first (Query of the sparse gsi1). */
    async listOpen(now: string, page: PageRequest): Promise<Page<ImpersonationSession>> {
      const index = keys.openImpersonationsAfter(now);
      const binding = { partition: index.gsi1pk, scope: 'impersonations' };
      const result = await db.client.send(
        new QueryCommand({
          TableName: db.tableName,
          IndexName: 'gsi1',
          KeyConditionExpression: 'gsi1pk = :pk AND gsi1sk > :now',
          ExpressionAttributeValues: { ':pk': index.gsi1pk, ':now': index.gsi1skAfter },
          Limit: page.limit,
          ExclusiveStartKey: decodeCursor(page.cursor, binding, 'gsi1pk'),
        }),
      );
      return {
        items: (result.Items ?? []).map(sessionOf),
        nextCursor: encodeCursor(result.LastEvaluatedKey, binding),
      };
    },

    /**
     * Ends an open session, with its audit entries, on condition that it is still open and not
     * expired at `endedAt` (409 otherwise: it ended meanwhile). Leaves the open-sessions index.
     */
    async end(session: ImpersonationSession, endedAt: string, audit: SessionAudit): Promise<void> {
      await transactWrite(db, [
        {
          item: {
            Update: {
              TableName: db.tableName,
              Key: keys.impersonationSession(session.sessionId),
              UpdateExpression: 'SET #status = :ended, endedAt = :at, endedBy = :by REMOVE gsi1pk, gsi1sk',
              ConditionExpression: '#status = :open AND expiresAt > :at',
              ExpressionAttributeNames: { '#status': 'status' },
              ExpressionAttributeValues: {
                ':ended': 'ended',
                ':open': 'open',
                ':at': endedAt,
                ':by': audit.operatorId,
              },
            },
          },
          onConditionFailed: () =>
            new ConflictError('This impersonation session has already ended or expired.'),
        },
        ...auditSteps(session, audit),
      ]);
    },
  };
}

export type ImpersonationRepository = ReturnType<typeof createImpersonationRepository>;
