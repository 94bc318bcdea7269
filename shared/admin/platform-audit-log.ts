import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { storedTime } from '../audit/audit.repository.ts';
import type { Db } from '../db/client.ts';
import { type CursorBinding, decodeCursor, encodeCursor } from '../db/cursor.ts';
import { keys } from '../db/keys.ts';
import type { Page } from '../db/page.ts';
import { withoutKeys } from '../tenancy/records.ts';
import type { PlatformAuditEntry, PlatformAuditQuery } from './accounts.schema.ts';

/**
 * Reads the platform audit log (`GET /admin/audit-log`), newest first, with one Query: the whole
 * log's partition, an operator's entries (gsi1) or a tenant's (gsi2), between `from` and `to`.
 * When both `operator` and `tenantId` are given the operator's index is read and the tenant
 * filtered; `userId` and `action` are filters applied after DynamoDB reads `limit` entries, so a
 * page may be short or empty while `nextCursor` is present.
 */
export function createPlatformAuditLog(db: Db) {
  return {
    async list(query: PlatformAuditQuery): Promise<Page<PlatformAuditEntry>> {
      const partition = keys.platformAuditPartition({ operatorId: query.operator, tenantId: query.tenantId });
      const skFrom = `AUDIT#${storedTime(query.from, 'from') ?? ''}`;
      const skTo = `AUDIT#${storedTime(query.to, 'to') ?? ''}~`;
      // Only a sub-millisecond window can get here empty; DynamoDB refuses BETWEEN high AND low.
      if (skFrom > skTo) return { items: [] };

      const filters: [name: string, value: string][] = [];
      if (query.operator && query.tenantId) filters.push(['tenantId', query.tenantId]);
      if (query.userId) filters.push(['userId', query.userId]);
      if (query.action) filters.push(['action', query.action]);
      const binding: CursorBinding = {
        partition: partition.value,
        scope: JSON.stringify(['platform-audit', skFrom, skTo, filters]),
      };
      const result = await db.client.send(
        new QueryCommand({
          TableName: db.tableName,
          IndexName: partition.index,
          KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :to',
          FilterExpression:
            filters.length === 0 ? undefined : filters.map((_, i) => `#f${i} = :f${i}`).join(' AND '),
          ExpressionAttributeNames: {
            '#pk': partition.attribute,
            '#sk': partition.sort,
            ...Object.fromEntries(filters.map(([name], i) => [`#f${i}`, name])),
          },
          ExpressionAttributeValues: {
            ':pk': partition.value,
            ':from': skFrom,
            ':to': skTo,
            ...Object.fromEntries(filters.map(([, value], i) => [`:f${i}`, value])),
          },
          ScanIndexForward: false,
          Limit: query.limit,
          ExclusiveStartKey: decodeCursor(query.cursor, binding, partition.attribute, {
            from: skFrom,
            to: skTo,
          }),
        }),
      );
      return {
        items: (result.Items ?? []).map((i) => withoutKeys(i) as unknown as PlatformAuditEntry),
        nextCursor: encodeCursor(result.LastEvaluatedKey, binding),
      };
    },
  };
}

export type PlatformAuditLog = ReturnType<typeof createPlatformAuditLog>;
