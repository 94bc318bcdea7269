import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { sweepExpiredItems } from '../../scripts/local/ttl-sweep.ts';
import { createTestStack, type TestStack } from '../support/harness.ts';

/** The local stand-in for DynamoDB's TTL deletion, against moto (which never expires items). */

let stack: TestStack;
const now = new Date('2026-12-03T12:00:00Z');
const seconds = Math.floor(now.getTime() / 1000);

beforeAll(async () => {
  stack = await createTestStack();
  Object.assign(process.env, stack.env);
});

const put = (sk: string, ttl?: number) =>
  stack.db.send(
    new PutCommand({
      TableName: stack.tableName,
      Item: { pk: 'TTL#test', sk, ...(ttl === undefined ? {} : { ttl }) },
    }),
  );
const exists = async (sk: string) =>
  (await stack.db.send(new GetCommand({ TableName: stack.tableName, Key: { pk: 'TTL#test', sk } }))).Item !==
  undefined;

describe('the local TTL sweep', () => {
  it('deletes the items whose ttl has passed, and only those', async () => {
    await put('expired', seconds - 1);
    await put('later', seconds + 60);
    await put('kept');

    expect(await sweepExpiredItems(stack.db, stack.tableName, now)).toBe(1);

    expect(await exists('expired')).toBe(false);
    expect(await exists('later')).toBe(true);
    expect(await exists('kept')).toBe(true);
  });

  it('deletes more expired items than one batch write takes', async () => {
    await Promise.all(Array.from({ length: 30 }, (_, i) => put(`old-${i}`, seconds - 3600)));

    expect(await sweepExpiredItems(stack.db, stack.tableName, now)).toBe(30);
    expect(await sweepExpiredItems(stack.db, stack.tableName, now)).toBe(0);
  });
});
