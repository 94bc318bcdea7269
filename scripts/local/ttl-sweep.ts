import {
  BatchWriteCommand,
  type BatchWriteCommandInput,
  type BatchWriteCommandOutput,
  ScanCommand,
} from '@aws-sdk/lib-dynamodb';
import type { DocumentClient } from '../../shared/db/client.ts';
import { tableDefinition } from '../../shared/db/table.ts';

/** BatchWriteItem takes at most 25 requests. */
const BATCH = 25;

/**
 * DynamoDB deletes an item once its TTL attribute (epoch seconds) has passed; moto never does. The
 * local stack runs this instead (`npm run dev`, every few minutes): it deletes every item of the
 * local table whose `ttl` is before `now`, so retention behaves locally as deployed (product events,
 * sessions, marks, audit entries past their retention…). A Scan, which is fine on an emulator: no
 * deployed code scans the table. Returns how many items it deleted.
 */
export async function sweepExpiredItems(
  db: DocumentClient,
  tableName: string,
  now = new Date(),
): Promise<number> {
  const ttl = tableDefinition.timeToLiveAttribute;
  const expired: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await db.send(
      new ScanCommand({
        TableName: tableName,
        FilterExpression: '#ttl < :now',
        ExpressionAttributeNames: { '#ttl': ttl },
        ExpressionAttributeValues: { ':now': Math.floor(now.getTime() / 1000) },
        ProjectionExpression: 'pk, sk',
        ExclusiveStartKey: start,
      }),
    );
    expired.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);

  for (let i = 0; i < expired.length; i += BATCH) {
    let requests: BatchWriteCommandInput['RequestItems'] = {
      [tableName]: expired.slice(i, i + BATCH).map((Key) => ({ DeleteRequest: { Key } })),
    };
    while (requests && Object.keys(requests).length > 0) {
      const result: BatchWriteCommandOutput = await db.send(
        new BatchWriteCommand({ RequestItems: requests }),
      );
      requests = result.UnprocessedItems;
    }
  }
  return expired.length;
}
