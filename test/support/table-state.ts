import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Db } from '#shared/db/client.ts';
import { keys } from '#shared/db/keys.ts';

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
 * of the tenants involved. Cheaper than a Scan, which moto makes slow as the table grows.
 */
export async function snapshotOf(db: Db, ...tenantIds: string[]) {
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
  return { itemCount: Table?.ItemCount, items: partitions.flat() };
}
