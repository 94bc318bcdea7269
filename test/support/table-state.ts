import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Db } from '#shared/db/client.ts';
import { keys } from '#shared/db/keys.ts';
import { API_RATE_LIMIT_POLICY } from '#shared/ratelimit/api-rate-limit.ts';

/** A tenant's audit items, oldest first, straight from the table. */
export async function auditItemsOf(db: Db, tenantId: string) {
  const range = keys.auditRange(tenantId);
  const { Items = [] } = await db.client.send(
    new QueryCommand({
      TableName: db.tableName,
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: { ':pk': range.pk, ':from': range.skFrom, ':to': range.skTo },
    }),
  );
  return Items;
}

/**
 * What a refused request could have changed: the table's item count (live in moto) and every item
 * of the tenants involved. Cheaper than a Scan, which moto makes slow as the table grows. The
 * tenants' API rate-limit counters are left out of the count: every request to a tenant counts
 * there, refused or not (a new window adds an item), and they hold no state of the tenant.
 */
export async function snapshotOf(db: Db, ...tenantIds: string[]) {
  const counters = await Promise.all(
    tenantIds.map(async (tenantId) => {
      const { Count = 0 } = await db.client.send(
        new QueryCommand({
          TableName: db.tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': keys.rateLimitWindow(API_RATE_LIMIT_POLICY, tenantId, 0).pk },
          Select: 'COUNT',
          ConsistentRead: true,
        }),
      );
      return Count;
    }),
  );
  const { Table } = await db.client.send(new DescribeTableCommand({ TableName: db.tableName }));
  const partitions = await Promise.all(
    tenantIds.map(async (tenantId) => {
      const { Items = [] } = await db.client.send(
        new QueryCommand({
          TableName: db.tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': keys.tenant(tenantId).pk },
          ConsistentRead: true,
        }),
      );
      return Items;
    }),
  );
  const counted = counters.reduce((sum, n) => sum + n, 0);
  return {
    itemCount: Table?.ItemCount === undefined ? undefined : Table.ItemCount - counted,
    items: partitions.flat(),
  };
}
