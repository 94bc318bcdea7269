import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activityOfAuditItem, recordAuditActivity } from '#shared/analytics/product/audit-activity.ts';
import { createProductEventRecorder } from '#shared/analytics/product/recorder.ts';
import { type AuditEvent, auditStep } from '#shared/audit/audit.writer.ts';
import type { Db } from '#shared/db/client.ts';
import { keys } from '#shared/db/keys.ts';
import { transactWrite } from '#shared/db/transact.ts';
import { newId } from '#shared/ids.ts';
import { createTestStack, type TestStack } from '../support/harness.ts';
import { startTestRunner, type TestRunner } from '../support/runner.ts';

/** Server-side product events: audit items on the table's stream → the product-activity consumer. */

let stack: TestStack;
let runner: TestRunner;
let db: Db;
const request = { requestId: 'req-1', sourceIp: '203.0.113.7' };

beforeAll(async () => {
  stack = await createTestStack();
  runner = await startTestRunner(stack);
  db = { client: stack.db, tableName: stack.tableName };
});
afterAll(() => runner.stop());

async function audit(event: Omit<AuditEvent, 'request' | 'target' | 'before' | 'after'>, at = new Date()) {
  await transactWrite(db, [
    auditStep(
      db,
      { ...event, request, target: { type: 'project', id: 'p1' }, before: null, after: {} },
      {
        clock: () => at,
        newId: () => newId(at),
      },
    ),
  ]);
}

async function countAt(key: { pk: string; sk: string }): Promise<number | undefined> {
  const { Item } = await db.client.send(
    new GetCommand({ TableName: db.tableName, Key: key, ConsistentRead: true }),
  );
  return Item?.count as number | undefined;
}

const today = () => new Date().toISOString().slice(0, 10);

describe('product activity from the audit stream', () => {
  it("counts a person's audited action as their product event", async () => {
    const tenantId = newId();
    await audit({ tenantId, actor: { userId: 'person-1' }, action: 'project.created' });

    await runner.drain();

    expect(await countAt(keys.productEventCount(tenantId, today(), 'project_created'))).toBe(1);
    expect(await countAt(keys.productActiveUsers(tenantId, 'day', today()))).toBe(1);
    expect(runner.errors).toEqual([]);
  });

  it('keeps reading the stream after a cancelled transaction (moto replaces the table then)', async () => {
    const tenantId = newId();
    await audit({ tenantId, actor: { userId: 'person-3' }, action: 'project.created' });
    await runner.drain();
    const cancelled = db.client.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName: db.tableName,
              Item: { ...keys.tenant(tenantId), type: 'probe' },
              ConditionExpression: 'attribute_exists(pk)',
            },
          },
        ],
      }),
    );
    await expect(cancelled).rejects.toBeInstanceOf(TransactionCanceledException);

    await audit({ tenantId, actor: { userId: 'person-3' }, action: 'project.updated' });
    await runner.drain();

    expect(await countAt(keys.productEventCount(tenantId, today(), 'project_updated'))).toBe(1);
  });

  it("does not count Stripe's actions", async () => {
    const tenantId = newId();
    await audit({ tenantId, actor: { userId: 'stripe' }, action: 'billing.dispute-opened' });

    await runner.drain();

    expect(await countAt(keys.productActiveUsers(tenantId, 'day', today()))).toBeUndefined();
  });

  it("does not count an operator's actions", async () => {
    const tenantId = newId();
    await audit({
      tenantId,
      actor: { userId: 'operator-1' },
      actorKind: 'operator',
      action: 'billing.refund-created',
    });

    await runner.drain();

    expect(await countAt(keys.productActiveUsers(tenantId, 'day', today()))).toBeUndefined();
  });

  it('does not count an action an operator made while impersonating the person', async () => {
    const tenantId = newId();
    await transactWrite(db, [
      auditStep(
        db,
        {
          tenantId,
          actor: { userId: 'person-4' },
          request: { ...request, impersonatedBy: { operatorId: 'operator-2', sessionId: newId() } },
          action: 'project.created',
          target: { type: 'project', id: 'p1' },
          before: null,
          after: {},
        },
        { clock: () => new Date(), newId: () => newId() },
      ),
    ]);

    await runner.drain();

    expect(await countAt(keys.productActiveUsers(tenantId, 'day', today()))).toBeUndefined();
    expect(await countAt(keys.productEventCount(tenantId, today(), 'project_created'))).toBeUndefined();
  });

  it('counts a redelivered audit record once', async () => {
    const tenantId = newId();
    const item = {
      type: 'audit',
      entryId: newId(),
      tenantId,
      at: new Date().toISOString(),
      actor: { userId: 'person-2' },
      action: 'member.role-changed',
      target: { type: 'member', id: 'm1' },
    };
    const record: DynamoDBRecord = {
      eventName: 'INSERT',
      dynamodb: {
        SequenceNumber: '1',
        NewImage: marshall(item) as NonNullable<DynamoDBRecord['dynamodb']>['NewImage'],
      },
    };
    const recorder = createProductEventRecorder({ db, clock: () => new Date(), rawEventTtlDays: 90 });

    await recordAuditActivity([record], { recorder });
    const again = await recordAuditActivity([record], { recorder });

    expect(again.batchItemFailures).toEqual([]);
    expect(await countAt(keys.productEventCount(tenantId, today(), 'member_role_changed'))).toBe(1);
  });
});

describe('audit item to product event', () => {
  it('names the event after the action in snake_case', () => {
    const activity = activityOfAuditItem({
      type: 'audit',
      entryId: 'e1',
      tenantId: 't1',
      at: '2026-12-02T10:00:00.000Z',
      actor: { userId: 'u1' },
      action: 'member.role-changed',
      target: { type: 'member', id: 'm1' },
    });
    expect(activity?.event).toMatchObject({ eventId: 'audit-e1', name: 'member_role_changed' });
  });

  it('ignores items that are not audit entries', () => {
    expect(activityOfAuditItem({ type: 'outbox', tenantId: 't1' })).toBeUndefined();
  });
});
