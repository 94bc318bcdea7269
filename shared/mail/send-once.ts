import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Db } from '../db/client.ts';
import type { Clock } from '../ids.ts';

/** A claim older than this is taken to be from a sender that crashed; the email is sent again. */
const CLAIM_SECONDS = 120;
/** Marks outlive every redelivery (SQS keeps a message at most 14 days). */
const MARK_TTL_SECONDS = 30 * 24 * 60 * 60;

/**
 * The mark that makes one email go out once, however often its message is delivered: claimed
 * before sending, settled after, released when the send failed.
 */
export interface SendOnceMark {
  /**
   * Claims the send (a conditional put that also takes over a claim older than two minutes, from a
   * sender that crashed). False when it was sent already; throws the mark's in-flight error while
   * another delivery holds a fresh claim (the message is retried later).
   */
  claim(): Promise<boolean>;
  /** Records the send as done, with `details` (e.g. how many recipients). */
  settle(details?: Record<string, string | number>): Promise<void>;
  /** Gives the claim up after a failed send, so a retry sends it. */
  release(): Promise<void>;
}

/**
 * Send-once marks on the table (the notifications and announcement-mail consumers use them):
 * `mark(key, attributes, inFlight)` is the mark of one email, stored at `key` with `attributes`.
 */
export function sendOnceMarks(db: Db, clock: Clock) {
  return (
    key: { readonly pk: string; readonly sk: string },
    attributes: Record<string, unknown>,
    inFlight: () => Error,
  ): SendOnceMark => ({
    async claim() {
      const seconds = Math.floor(clock().getTime() / 1000);
      try {
        await db.client.send(
          new PutCommand({
            TableName: db.tableName,
            Item: {
              ...key,
              ...attributes,
              status: 'sending',
              claimedUntil: seconds + CLAIM_SECONDS,
              ttl: seconds + MARK_TTL_SECONDS,
            },
            ConditionExpression: 'attribute_not_exists(pk) OR (#status = :sending AND claimedUntil < :now)',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ':sending': 'sending', ':now': seconds },
          }),
        );
        return true;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        const { Item } = await db.client.send(
          new GetCommand({ TableName: db.tableName, Key: key, ConsistentRead: true }),
        );
        if (Item?.status === 'sent') return false;
        throw inFlight();
      }
    },

    async settle(details = {}) {
      const names = Object.keys(details);
      await db.client.send(
        new UpdateCommand({
          TableName: db.tableName,
          Key: key,
          UpdateExpression: `SET ${['#status = :sent', 'sentAt = :at', ...names.map((_, i) => `#d${i} = :d${i}`)].join(', ')} REMOVE claimedUntil`,
          ExpressionAttributeNames: {
            '#status': 'status',
            ...Object.fromEntries(names.map((name, i) => [`#d${i}`, name])),
          },
          ExpressionAttributeValues: {
            ':sent': 'sent',
            ':at': clock().toISOString(),
            ...Object.fromEntries(names.map((name, i) => [`:d${i}`, details[name]])),
          },
        }),
      );
    },

    async release() {
      await db.client.send(
        new DeleteCommand({
          TableName: db.tableName,
          Key: key,
          ConditionExpression: '#status = :sending',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':sending': 'sending' },
        }),
      );
    },
  });
}
