import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Db } from '../db/client.ts';
import { type CursorBinding, decodeCursor, encodeCursor } from '../db/cursor.ts';
import { keys } from '../db/keys.ts';
import type { IndexName } from '../db/table.ts';
import { withoutKeys } from '../tenancy/records.ts';
import type { TenantContext } from '../tenancy/tenant-context.ts';
import type { AuditEntry, AuditQuery } from './audit.schema.ts';

export interface AuditPage {
  readonly items: AuditEntry[];
  /** Present while the query has more entries to read. */
  readonly nextCursor?: string | undefined;
}

/** The audit log of one tenant; only reachable through a verified {@link TenantContext}. */
export interface AuditLogRepository {
  /**
   * Entries newest first. `from`/`to` bound the sort key (inclusive); `actor` reads the actor index
   * instead of the tenant partition (an index, so eventually consistent: an entry written a moment
   * ago may not be listed yet). `action` is a filter applied after DynamoDB reads `limit`
   * entries, so a page may hold fewer than `limit` entries, even none, while `nextCursor` is still
   * present; following `nextCursor` until it is absent reads every match exactly once.
   */
  list(query: AuditQuery): Promise<AuditPage>;
}

const ACTOR_INDEX: IndexName = 'gsi1';

/**
 * Stored times come from `toISOString()` (millisecond precision, `Z`), and keys compare as
 * strings, so query bounds are rewritten into that form. A `from` with sub-millisecond digits
 * rounds up, so an entry stamped earlier in that millisecond stays out.
 */
export function storedTime(iso: string | undefined, bound: 'from' | 'to'): string | undefined {
  if (iso === undefined) return undefined;
  const ms = Date.parse(iso);
  const beyondMillis = bound === 'from' && /\.\d{3}\d*[1-9]/.test(iso);
  return new Date(beyondMillis ? ms + 1 : ms).toISOString();
}

export function createAuditRepository(db: Db) {
  return {
    forTenant(ctx: TenantContext): AuditLogRepository {
      const { tenantId } = ctx;

      return {
        async list({ limit, cursor, actor, action, from, to }) {
          const range = keys.auditRange(tenantId, storedTime(from, 'from'), storedTime(to, 'to'));
          // Only a sub-millisecond window can get here empty; DynamoDB refuses BETWEEN high AND low.
          if (range.skFrom > range.skTo) return { items: [] };
          const byActor = actor === undefined ? undefined : keys.auditByActor(tenantId, actor);
          const partitionAttribute = byActor ? 'gsi1pk' : 'pk';
          const sortAttribute = byActor ? 'gsi1sk' : 'sk';
          // The actor is part of the index partition; the other filters go into the scope, so a
          // cursor only continues the exact list it came from.
          const binding: CursorBinding = {
            partition: byActor ? byActor.gsi1pk : range.pk,
            scope: JSON.stringify(['audit', range.skFrom, range.skTo, action ?? null]),
          };

          const result = await db.client.send(
            new QueryCommand({
              TableName: db.tableName,
              IndexName: byActor ? ACTOR_INDEX : undefined,
              KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :to',
              FilterExpression: action === undefined ? undefined : '#action = :action',
              ExpressionAttributeNames: {
                '#pk': partitionAttribute,
                '#sk': sortAttribute,
                ...(action === undefined ? {} : { '#action': 'action' }),
              },
              ExpressionAttributeValues: {
                ':pk': binding.partition,
                ':from': range.skFrom,
                ':to': range.skTo,
                ...(action === undefined ? {} : { ':action': action }),
              },
              ScanIndexForward: false,
              Limit: limit,
              ExclusiveStartKey: decodeCursor(cursor, binding, partitionAttribute, {
                from: range.skFrom,
                to: range.skTo,
              }),
            }),
          );
          return {
            items: (result.Items ?? []).map((i) => withoutKeys(i) as AuditEntry),
            nextCursor: encodeCursor(result.LastEvaluatedKey, binding),
          };
        },
      };
    },
  };
}

export type AuditRepositoryFactory = ReturnType<typeof createAuditRepository>;
