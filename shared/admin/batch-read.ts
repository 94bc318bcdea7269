import { BatchGetCommand } from '@aws-sdk/lib-dynamodb';
import type { Db } from '../db/client.ts';

type Key = { readonly pk: string; readonly sk: string };

/** BatchGetItem takes at most 100 keys per call. */
const BATCH = 100;

/**
 * Reads items by key, 100 per BatchGetItem, retrying what DynamoDB left unprocessed; answers them by
 * `pk|sk` (missing items are absent). Keys are deduplicated: BatchGetItem refuses duplicates.
 */
export async function batchRead(
  db: Db,
  keys: readonly Key[],
  options: { consistentRead?: boolean } = {},
): Promise<Map<string, Record<string, unknown>>> {
  const unique = [...new Map(keys.map((k) => [`${k.pk}|${k.sk}`, { pk: k.pk, sk: k.sk }])).values()];
  const found = new Map<string, Record<string, unknown>>();
  for (let i = 0; i < unique.length; i += BATCH) {
    let request: Record<string, { Keys: Record<string, unknown>[]; ConsistentRead?: boolean }> | undefined = {
      [db.tableName]: {
        Keys: unique.slice(i, i + BATCH),
        ...(options.consistentRead ? { ConsistentRead: true } : {}),
      },
    };
    while (request && Object.keys(request).length > 0) {
      const result = await db.client.send(new BatchGetCommand({ RequestItems: request }));
      for (const item of result.Responses?.[db.tableName] ?? []) found.set(`${item.pk}|${item.sk}`, item);
      request = result.UnprocessedKeys as typeof request;
    }
  }
  return found;
}

export const keyOf = (key: Key) => `${key.pk}|${key.sk}`;
