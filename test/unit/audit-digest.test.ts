import type { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { markAuditDays } from '#shared/audit/audit-digest.ts';
import type { Db } from '#shared/db/client.ts';

/** The marker's calls, recorded by a fake client (the table itself is exercised in test/integration/audit-chain.test.ts). */
function fakeDb(fail: (tenantId: string) => boolean = () => false) {
  const updates: UpdateCommand['input'][] = [];
  const db = {
    tableName: 't',
    client: {
      send: async (command: UpdateCommand) => {
        const tenantId = command.input.ExpressionAttributeValues?.[':tenantId'] as string;
        if (fail(tenantId)) throw new Error('throttled');
        updates.push(command.input);
        return {};
      },
    },
  } as unknown as Db;
  return { db, updates };
}

const auditInsert = (tenantId: string, at: string, sequenceNumber: string): DynamoDBRecord => ({
  eventName: 'INSERT',
  dynamodb: {
    SequenceNumber: sequenceNumber,
    NewImage: marshall({
      pk: `TENANT#${tenantId}`,
      type: 'audit',
      tenantId,
      at,
      entryId: sequenceNumber,
    }) as never,
  },
});

describe('marking audit days due', () => {
  it('marks each tenant-day of a batch once, counting its entries', async () => {
    const { db, updates } = fakeDb();

    await markAuditDays(
      [
        auditInsert('t1', '2026-12-01T10:00:00.000Z', '1'),
        auditInsert('t1', '2026-12-01T23:59:59.999Z', '2'),
        auditInsert('t1', '2026-12-02T00:00:00.000Z', '3'),
        auditInsert('t2', '2026-12-01T12:00:00.000Z', '4'),
      ],
      { db },
    );

    expect(
      updates.map((update) => [update.Key?.pk, update.Key?.sk, update.ExpressionAttributeValues?.[':count']]),
    ).toEqual([
      ['AUDIT_DAY#2026-12-01', 'TENANT#t1', 2],
      ['AUDIT_DAY#2026-12-02', 'TENANT#t1', 1],
      ['AUDIT_DAY#2026-12-01', 'TENANT#t2', 1],
    ]);
  });

  it('ignores records that are not INSERTs of audit entries', async () => {
    const { db, updates } = fakeDb();
    const modify = { ...auditInsert('t1', '2026-12-01T10:00:00.000Z', '1'), eventName: 'MODIFY' as const };
    const other: DynamoDBRecord = {
      eventName: 'INSERT',
      dynamodb: {
        SequenceNumber: '2',
        NewImage: marshall({ type: 'product-event', tenantId: 't1' }) as never,
      },
    };

    const response = await markAuditDays([modify, other], { db });

    expect(updates).toEqual([]);
    expect(response.batchItemFailures).toEqual([]);
  });

  it('reports every record of a tenant-day whose mark failed, and only those', async () => {
    const { db } = fakeDb((tenantId) => tenantId === 't2');

    const response = await markAuditDays(
      [
        auditInsert('t1', '2026-12-01T10:00:00.000Z', '1'),
        auditInsert('t2', '2026-12-01T11:00:00.000Z', '2'),
        auditInsert('t2', '2026-12-01T12:00:00.000Z', '3'),
      ],
      { db },
    );

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: '2' }, { itemIdentifier: '3' }]);
  });
});
