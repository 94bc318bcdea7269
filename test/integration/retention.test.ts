import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { platformAuditSteps } from '#shared/admin/platform-audit.ts';
import { auditStep } from '#shared/audit/audit.writer.ts';
import type { Db } from '#shared/db/client.ts';
import { keys } from '#shared/db/keys.ts';
import { transactWrite } from '#shared/db/transact.ts';
import { clearUnpublishedMark } from '#shared/events/outbox.ts';
import { newId } from '#shared/ids.ts';
import { recordCommunication } from '#shared/mail/communications.ts';
import { createTestStack, type TestStack } from '../support/harness.ts';

/** Every writer of a retained record sets its TTL from the stage's retention (shared/config/retention.ts). */

let stack: TestStack;
let db: Db;
const now = new Date('2026-12-03T12:00:00Z');
const epoch = Math.floor(now.getTime() / 1000);
const DAY = 86_400;

beforeAll(async () => {
  stack = await createTestStack();
  // Values no default has, so the TTLs can only come from the configuration.
  Object.assign(process.env, stack.env, {
    AUDIT_RETENTION_DAYS: '45',
    OUTBOX_RETENTION_DAYS: '3',
    COMMUNICATION_RETENTION_DAYS: '61',
  });
  db = { client: stack.db, tableName: stack.tableName };
});

const item = async (key: { pk: string; sk: string }) =>
  (await stack.db.send(new GetCommand({ TableName: stack.tableName, Key: key }))).Item;

describe('TTL of retained records', () => {
  it('expires a tenant audit entry AUDIT_RETENTION_DAYS after it was written', async () => {
    const tenantId = newId();
    const entryId = newId();

    await transactWrite(db, [
      auditStep(
        db,
        {
          tenantId,
          actor: { userId: 'u1' },
          request: { requestId: 'r1', sourceIp: '192.0.2.1' },
          action: 'project.created',
          target: { type: 'project', id: 'p1' },
          before: null,
          after: { name: 'p' },
        },
        { clock: () => now, newId: () => entryId },
      ),
    ]);

    const stored = await item(keys.auditEntry(tenantId, now.toISOString(), entryId, 'u1'));
    expect(stored?.ttl).toBe(epoch + 45 * DAY);
  });

  it('expires a platform audit entry AUDIT_RETENTION_DAYS after it was written', async () => {
    const entryId = newId();

    await transactWrite(
      db,
      platformAuditSteps(
        db,
        {
          operatorId: 'op1',
          action: 'metrics.spend-recorded',
          target: { type: 'spend', id: '2026-12' },
          before: null,
          after: { total: 1 },
          reason: null,
          request: { requestId: 'r2', sourceIp: '192.0.2.1' },
        },
        { clock: () => now, newId: () => entryId },
      ),
    );

    const stored = await item(keys.platformAuditEntry(now.toISOString(), entryId));
    expect(stored?.ttl).toBe(epoch + 45 * DAY);
  });

  it('expires a published outbox item OUTBOX_RETENTION_DAYS after EventBridge accepted it', async () => {
    const tenantId = newId();
    const eventId = newId();
    await stack.db.send(
      new PutCommand({
        TableName: stack.tableName,
        Item: {
          ...keys.outbox(tenantId, eventId),
          ...keys.outboxUnpublished(now.toISOString(), eventId),
          type: 'outbox',
        },
      }),
    );
    const publishedAt = new Date(now.getTime() + 5_000);

    await clearUnpublishedMark(db, { tenantId, eventId }, publishedAt);

    const stored = await item(keys.outbox(tenantId, eventId));
    expect(stored?.ttl).toBe(Math.floor(publishedAt.getTime() / 1000) + 3 * DAY);
  });

  it('expires a communication history entry COMMUNICATION_RETENTION_DAYS after its time', async () => {
    const tenantId = newId();

    const { communicationId, at } = await recordCommunication(
      db,
      tenantId,
      { kind: 'announcement', direction: 'outbound', subject: 'Maintenance', status: 'delivered' },
      { clock: () => now, newId },
    );

    const stored = await item(keys.communication(tenantId, at, communicationId));
    expect(stored?.ttl).toBe(epoch + 61 * DAY);
  });
});
