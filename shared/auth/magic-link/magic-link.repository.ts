import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Db } from '../../db/client.ts';
import { keys } from '../../db/keys.ts';

/** Where pending magic links live: one per user (`keys.magicLink`), only the token's hash. */
export interface MagicLinkRepository {
  /**
   * Stores the user's pending link, replacing any earlier one (a new request supersedes the last
   * link). Expires by the table's TTL after `expiresAt`.
   */
  store(userId: string, link: { tokenHash: string; expiresAt: number; createdAt: string }): Promise<void>;
  /**
   * Consumes the user's link if its hash is `tokenHash` and it has not expired at `now`: one
   * conditional DeleteItem, so of two concurrent uses exactly one succeeds. `false` when there is no
   * such link (never issued, already used, superseded, expired); nothing changes then.
   */
  consume(userId: string, tokenHash: string, now: Date): Promise<boolean>;
}

export function createMagicLinkRepository(db: Db): MagicLinkRepository {
  return {
    async store(userId, link) {
      await db.client.send(
        new PutCommand({
          TableName: db.tableName,
          Item: {
            ...keys.magicLink(userId),
            type: 'magic-link',
            tokenHash: link.tokenHash,
            expiresAt: link.expiresAt,
            createdAt: link.createdAt,
            ttl: Math.ceil(link.expiresAt / 1000),
          },
        }),
      );
    },
    async consume(userId, tokenHash, now) {
      try {
        await db.client.send(
          new DeleteCommand({
            TableName: db.tableName,
            Key: keys.magicLink(userId),
            ConditionExpression: '#hash = :hash AND #expiresAt > :now',
            ExpressionAttributeNames: { '#hash': 'tokenHash', '#expiresAt': 'expiresAt' },
            ExpressionAttributeValues: { ':hash': tokenHash, ':now': now.getTime() },
          }),
        );
        return true;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return false;
        throw error;
      }
    },
  };
}
