import { describe, expect, it } from 'vitest';
import { estimateCapacity, itemSize, reportedCapacity, valueSize } from '#shared/db/capacity.ts';

/** An item of exactly `bytes` bytes: `pk` = `x` (3 bytes) and `d` (1) holding the rest. */
const itemOf = (bytes: number) => ({ pk: 'x', d: 'y'.repeat(bytes - 4) });

describe('DynamoDB item sizes', () => {
  it('counts attribute names and UTF-8 string bytes', () => {
    expect(itemSize({ name: 'héllo' })).toBe(4 + 6);
  });

  it('counts numbers by their significant digits, one byte per two plus one', () => {
    expect(valueSize(12345)).toBe(4);
    expect(valueSize(1000)).toBe(2);
  });

  it('counts maps and lists with 3 bytes of overhead and one per element', () => {
    expect(valueSize({ a: true })).toBe(3 + 1 + 1 + 1);
    expect(valueSize(['ab', 'c'])).toBe(3 + (1 + 2) + (1 + 1));
  });

  it('leaves out attributes the client would not send (undefined)', () => {
    expect(itemSize({ a: 'b', c: undefined })).toBe(2);
  });
});

describe('estimated request units', () => {
  it('charges half a read unit per 4 KB for an eventually consistent get', () => {
    expect(estimateCapacity('GetItemCommand', {}, { Item: itemOf(4096) })).toEqual({ read: 0.5, write: 0 });
    expect(estimateCapacity('GetItemCommand', {}, { Item: itemOf(4097) })).toEqual({ read: 1, write: 0 });
  });

  it('charges a whole read unit per 4 KB for a consistent get, and the minimum for a miss', () => {
    expect(estimateCapacity('GetItemCommand', { ConsistentRead: true }, { Item: itemOf(100) }).read).toBe(1);
    expect(estimateCapacity('GetItemCommand', {}, {}).read).toBe(0.5);
  });

  it('sums a query page before rounding up to 4 KB units', () => {
    const items = Array.from({ length: 10 }, () => itemOf(400));

    expect(estimateCapacity('QueryCommand', {}, { Items: items }).read).toBe(0.5);
  });

  it('charges each batch-get key, found or not', () => {
    const input = { RequestItems: { t: { Keys: [{ pk: 'a' }, { pk: 'b' }, { pk: 'c' }] } } };

    expect(estimateCapacity('BatchGetItemCommand', input, { Responses: { t: [itemOf(100)] } }).read).toBe(
      1.5,
    );
  });

  it('charges a write unit per 1 KB put, and again for each index the item is in', () => {
    expect(estimateCapacity('PutItemCommand', { Item: itemOf(1025) }, {})).toEqual({ read: 0, write: 2 });
    expect(estimateCapacity('PutItemCommand', { Item: { ...itemOf(500), gsi1pk: 'g' } }, {}).write).toBe(2);
  });

  it('doubles every action of a write transaction', () => {
    const input = {
      TransactItems: [
        { Put: { Item: itemOf(200) } },
        {
          Update: {
            Key: { pk: 'a' },
            UpdateExpression: 'SET n = :n',
            ExpressionAttributeValues: { ':n': 1 },
          },
        },
        { ConditionCheck: { Key: { pk: 'b' } } },
      ],
    };

    expect(estimateCapacity('TransactWriteItemsCommand', input, {})).toEqual({ read: 0, write: 6 });
  });
});

describe('reported capacity', () => {
  it('sums the per-table figures of a batch or transaction answer', () => {
    const output = {
      ConsumedCapacity: [
        { TableName: 'a', CapacityUnits: 4, WriteCapacityUnits: 4 },
        { TableName: 'b', CapacityUnits: 2, WriteCapacityUnits: 2 },
      ],
    };

    expect(reportedCapacity(output)).toEqual({ total: 6, read: undefined, write: 6 });
  });

  it('is undefined when the answer carries no capacity', () => {
    expect(reportedCapacity({})).toBeUndefined();
  });
});
