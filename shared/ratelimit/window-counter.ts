import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Db } from '../db/client.ts';
import { keys } from '../db/keys.ts';
import type { Clock } from '../ids.ts';
import { createRateLimiter, type RateLimiter, type WindowCounter } from './rate-limiter.ts';

/**
 * Window counters in the table (`keys.rateLimitWindow`): one item per subject and window, counted
 * by exactly one conditional UpdateItem per check, `ADD hits :cost` on condition that the counter
 * stays within the limit. A refused check fails the condition and writes nothing. The item expires
 * by the table's TTL attribute one window after its window ends (DynamoDB deletes expired items
 * lazily, which is harmless: a window's item is never read once its window has passed).
 */
export function createDynamoWindowCounter(db: Db): WindowCounter {
  return {
    async increment(slot, cost, limit) {
      try {
        const result = await db.client.send(
          new UpdateCommand({
            TableName: db.tableName,
            Key: keys.rateLimitWindow(slot.policy, slot.subject, slot.windowStart),
            UpdateExpression: 'ADD #hits :cost SET #type = :type, #ttl = :ttl',
            // hits + cost <= limit, written as hits <= limit - cost (expressions cannot add).
            ConditionExpression: 'attribute_not_exists(#hits) OR #hits <= :ceiling',
            ExpressionAttributeNames: { '#hits': 'hits', '#type': 'type', '#ttl': 'ttl' },
            ExpressionAttributeValues: {
              ':cost': cost,
              ':ceiling': limit - cost,
              ':type': 'rate-limit-window',
              ':ttl': Math.ceil((2 * slot.windowEnd - slot.windowStart) / 1000),
            },
            ReturnValues: 'UPDATED_NEW',
          }),
        );
        const hits = result.Attributes?.hits;
        if (typeof hits !== 'number') throw new Error('UpdateItem returned no hit count.');
        return hits;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return undefined;
        throw error;
      }
    },
  };
}

/** The rate limiter as functions wire it: window counters in the table, the given clock. */
export function createTableRateLimiter(db: Db, clock: Clock): RateLimiter {
  return createRateLimiter({ counter: createDynamoWindowCounter(db), clock });
}
