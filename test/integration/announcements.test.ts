import { GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { createAnnouncementRepository } from '#shared/announcements/announcements.repository.ts';
import {
  type AnnouncementService,
  createAnnouncementService,
} from '#shared/announcements/announcements.service.ts';
import type { Db, DocumentClient } from '#shared/db/client.ts';
import { keys } from '#shared/db/keys.ts';
import { type Clock, newId } from '#shared/ids.ts';
import { memberItem } from '#shared/members/members.records.ts';
import type { Role } from '#shared/tenancy/permissions.ts';
import { mirrorSubscription } from '../support/billing-state.ts';
import { createTestStack, type TestStack } from '../support/harness.ts';

/**
 * The announcement service against moto's DynamoDB, with a clock of its own and every request the
 * user reads make recorded: a user's read costs a fixed number of requests, whatever they target.
 */

let stack: TestStack;
let sent: string[];
let service: AnnouncementService;
let teamTenant: string;
let freeTenant: string;
let businessTenant: string;
let now: Date;
const clock: Clock = () => now;
const operator = { userId: 'operator-1', roles: ['support'] as const };
const request = { requestId: 'req-1', sourceIp: '192.0.2.1' };
const userId = newId();
const caller = { userId, groups: [], platformAdmin: false };

async function seedTenant(role: Role, plan: 'free' | 'team' | 'business'): Promise<string> {
  const tenantId = newId();
  const at = '2026-01-01T00:00:00.000Z';
  await stack.db.send(
    new PutCommand({
      TableName: stack.tableName,
      Item: {
        ...keys.tenant(tenantId),
        type: 'tenant',
        tenantId,
        name: `T ${tenantId}`,
        slug: `t-${tenantId}`,
        status: 'active',
        createdAt: at,
        updatedAt: at,
        createdBy: 'x',
        ownerCount: 1,
      },
    }),
  );
  await stack.db.send(
    new PutCommand({
      TableName: stack.tableName,
      Item: memberItem({
        tenantId,
        userId,
        email: 'u@example.com',
        role,
        status: 'active',
        joinedAt: at,
        updatedAt: at,
      }),
    }),
  );
  if (plan !== 'free') await mirrorSubscription(stack, tenantId, { plan, status: 'active' });
  return tenantId;
}

beforeAll(async () => {
  stack = await createTestStack();
  Object.assign(process.env, stack.env);
  sent = [];
  const client = {
    send: (command: { constructor: { name: string } }) => {
      sent.push(command.constructor.name);
      return stack.db.send(command as never);
    },
  } as unknown as DocumentClient;
  const db: Db = { client, tableName: stack.tableName };
  now = new Date('2026-12-01T10:00:00.000Z');
  service = createAnnouncementService({
    db,
    announcements: createAnnouncementRepository(db),
    clock,
    newId: () => newId(now),
  });
  teamTenant = await seedTenant('admin', 'team');
  freeTenant = await seedTenant('member', 'free');
  businessTenant = await seedTenant('owner', 'business');
});

const at = (iso: string) => new Date(iso).toISOString();

async function publish(overrides: Record<string, unknown>): Promise<string> {
  const created = await service.create(
    operator,
    {
      title: 'Notice',
      body: 'Body',
      severity: 'info',
      audience: 'everyone',
      publishAt: at('2026-12-01T09:00:00Z'),
      expiresAt: at('2026-12-02T09:00:00Z'),
      email: false,
      reason: 'Because',
      ...overrides,
    } as never,
    request,
  );
  return created.announcementId;
}

describe('a user’s announcement read', () => {
  it('costs a query of the live announcements, a query of the memberships and one batch read', async () => {
    await publish({ audience: { plans: ['team'], roles: ['admin'] } });
    await publish({ audience: { plans: ['business'] } });
    await publish({ audience: { roles: ['manager'] } });
    await publish({ audience: 'everyone' });
    // The first read records each announcement's delivery in the tenants it reached.
    await service.listForUser(caller);
    sent.length = 0;
    const { items } = await service.listForUser(caller);
    expect(items).toHaveLength(3);
    expect([...sent].sort()).toEqual(['BatchGetCommand', 'QueryCommand', 'QueryCommand']);
  });

  it('records an announcement in the communication history of each tenant it reached, once', async () => {
    const id = await publish({
      title: 'Maintenance',
      body: 'Sunday **02:00** UTC',
      audience: { plans: ['team', 'business'] },
    });
    await service.listForUser(caller);
    // Another container (a fresh service) reading it again writes no second entry.
    const other = createAnnouncementService({
      db: { client: stack.db, tableName: stack.tableName },
      announcements: createAnnouncementRepository({ client: stack.db, tableName: stack.tableName }),
      clock,
      newId: () => newId(now),
    });
    await other.listForUser(caller);
    await other.listForUser(caller);

    const entries = await Promise.all(
      [teamTenant, businessTenant, freeTenant].map(async (tenantId) => {
        const prefix = keys.communicationsPrefix(tenantId);
        const result = await stack.db.send(
          new QueryCommand({
            TableName: stack.tableName,
            KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
            ExpressionAttributeValues: { ':pk': prefix.pk, ':prefix': prefix.skPrefix },
          }),
        );
        return (result.Items ?? []).filter((item) => item.announcementId === id);
      }),
    );
    expect(entries.map((list) => list.length)).toEqual([1, 1, 0]);
    expect(entries[0]?.[0]).toMatchObject({
      kind: 'announcement',
      direction: 'outbound',
      subject: 'Maintenance',
      excerpt: 'Sunday **02:00** UTC',
      status: 'delivered',
    });
  });

  it('records nothing for a read made under impersonation', async () => {
    const id = await publish({ audience: { tenantIds: [freeTenant] } });
    await service.listForUser({ ...caller, impersonatedBy: { operatorId: 'op', sessionId: 's' } });
    const marker = await stack.db.send(
      new GetCommand({ TableName: stack.tableName, Key: keys.announcementDelivered(freeTenant, id) }),
    );
    expect(marker.Item).toBeUndefined();
  });

  it('shows a scheduled announcement when the clock passes its publishAt, with nothing written', async () => {
    const id = await publish({ publishAt: at('2026-12-01T11:00:00Z') });
    expect((await service.listForUser(caller)).items.map((i) => i.announcementId)).not.toContain(id);
    now = new Date('2026-12-01T11:00:00.000Z');
    sent.length = 0;
    expect((await service.listForUser(caller)).items.map((i) => i.announcementId)).toContain(id);
    // Only the delivery records of the tenants it reached: nothing about the announcement itself.
    expect(sent.filter((name) => !['QueryCommand', 'BatchGetCommand'].includes(name))).toEqual([
      'TransactWriteCommand',
      'TransactWriteCommand',
      'TransactWriteCommand',
    ]);
  });

  it('stops showing an announcement when the clock passes its expiresAt', async () => {
    now = new Date('2026-12-01T11:00:00.000Z');
    const id = await publish({ expiresAt: at('2026-12-01T12:00:00Z') });
    expect((await service.listForUser(caller)).items.map((i) => i.announcementId)).toContain(id);
    now = new Date('2026-12-01T12:00:00.000Z');
    expect((await service.listForUser(caller)).items.map((i) => i.announcementId)).not.toContain(id);
  });

  it('never scans, for a user with no tenant either', async () => {
    sent.length = 0;
    await service.listForUser({ userId: newId(), groups: [], platformAdmin: false });
    expect(sent).not.toContain('ScanCommand');
  });
});
