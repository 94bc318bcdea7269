import { GetCommand, PutCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CapacityUse, observeCapacity } from '#shared/db/capacity.ts';
import { createTestStack, type TestStack } from '../support/harness.ts';

let stack: TestStack;
const seen: CapacityUse[] = [];
let stop: () => void;

beforeAll(async () => {
  stack = await createTestStack();
  // The stack's client signs with the emulator's credentials from the environment.
  Object.assign(process.env, stack.env);
  stop = observeCapacity((use) => seen.push(use));
});
afterAll(() => stop());

/** Runs `act` and returns what the observers saw during it. */
async function observed(act: () => Promise<unknown>): Promise<CapacityUse[]> {
  seen.length = 0;
  await act();
  return [...seen];
}

describe('capacity accounting on the document client', () => {
  it('asks DynamoDB for the consumed capacity and passes on what it reports', async () => {
    const uses = await observed(() =>
      stack.db.send(new PutCommand({ TableName: stack.tableName, Item: { pk: 'CAP#1', sk: 'A', n: 1 } })),
    );

    expect(uses).toHaveLength(1);
    expect(uses[0]?.command).toBe('PutItemCommand');
    // moto answers ReturnConsumedCapacity only when the request asked for it.
    expect(uses[0]?.reported?.total).toBeGreaterThan(0);
  });

  it('estimates read units from the items a query returned', async () => {
    await stack.db.send(
      new PutCommand({ TableName: stack.tableName, Item: { pk: 'CAP#2', sk: 'A', body: 'x'.repeat(5000) } }),
    );
    await stack.db.send(
      new PutCommand({ TableName: stack.tableName, Item: { pk: 'CAP#2', sk: 'B', body: 'x'.repeat(5000) } }),
    );

    const uses = await observed(() =>
      stack.db.send(
        new QueryCommand({
          TableName: stack.tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': 'CAP#2' },
        }),
      ),
    );

    // ~10 KB read eventually consistent: three 4 KB units at half a unit each.
    expect(uses[0]?.estimated).toEqual({ read: 1.5, write: 0 });
  });

  it('estimates a write transaction at two units per item', async () => {
    const uses = await observed(() =>
      stack.db.send(
        new TransactWriteCommand({
          TransactItems: [
            { Put: { TableName: stack.tableName, Item: { pk: 'CAP#3', sk: 'A' } } },
            { Put: { TableName: stack.tableName, Item: { pk: 'CAP#3', sk: 'B' } } },
          ],
        }),
      ),
    );

    expect(uses[0]?.estimated).toEqual({ read: 0, write: 4 });
  });

  it('leaves the answer as the caller expects it', async () => {
    const { Item } = await stack.db.send(
      new GetCommand({ TableName: stack.tableName, Key: { pk: 'CAP#1', sk: 'A' } }),
    );

    expect(Item).toEqual({ pk: 'CAP#1', sk: 'A', n: 1 });
  });

  it('stops calling an observer once it is removed', async () => {
    const late: CapacityUse[] = [];
    const remove = observeCapacity((use) => late.push(use));
    remove();

    await stack.db.send(new GetCommand({ TableName: stack.tableName, Key: { pk: 'CAP#1', sk: 'A' } }));

    expect(late).toEqual([]);
  });
});
