import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Db } from './client.ts';
import { decodeCursor, encodeCursor } from './cursor.ts';

/** One page of a list, with the cursor of the next page (absent on the last). */
export interface Page<T> {
  readonly items: T[];
  readonly nextCursor?: string | undefined;
}

export interface PageRequest {
  readonly limit: number;
  readonly cursor?: string | undefined;
}

/**
 * One page of the items of partition `prefix.pk` whose sort key starts with `prefix.skPrefix` (the
 * shape of every tenant-owned list). The cursor is bound to the partition and `scope`, and must
 * point inside the prefix's range, so a cursor from another tenant or list is a 400.
 */
export async function queryPrefixPage(
  db: Db,
  prefix: { readonly pk: string; readonly skPrefix: string },
  scope: string,
  page: PageRequest,
  options: { readonly newestFirst?: boolean; readonly consistentRead?: boolean } = {},
): Promise<Page<Record<string, unknown>>> {
  const binding = { partition: prefix.pk, scope };
  // '~' sorts after every character an id or ISO time uses, so the range holds exactly the prefix.
  const sortRange = { from: prefix.skPrefix, to: `${prefix.skPrefix}~` };
  const result = await db.client.send(
    new QueryCommand({
      TableName: db.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': prefix.pk, ':prefix': prefix.skPrefix },
      ...(options.newestFirst ? { ScanIndexForward: false } : {}),
      ...(options.consistentRead ? { ConsistentRead: true } : {}),
      Limit: page.limit,
      ExclusiveStartKey: decodeCursor(page.cursor, binding, 'pk', sortRange),
    }),
  );
  return { items: result.Items ?? [], nextCursor: encodeCursor(result.LastEvaluatedKey, binding) };
}
