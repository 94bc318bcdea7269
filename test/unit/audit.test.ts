import { BatchGetCommand, QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { createAuditRepository } from '#shared/audit/audit.repository.ts';
import { auditQuery } from '#shared/audit/audit.schema.ts';
import { createAuditService } from '#shared/audit/audit.service.ts';
import { freeBillingState, type SubscriptionStatus } from '#shared/billing/billing.schema.ts';
import type { PlanId } from '#shared/billing/plans.ts';
import type { Db } from '#shared/db/client.ts';
import { BadRequestError, ForbiddenError, PaymentRequiredError } from '#shared/http/errors.ts';
import type { Role } from '#shared/tenancy/permissions.ts';
import { createTenancy, type TenantContext } from '#shared/tenancy/tenant-context.ts';

const tenantId = '01hzzzzzzzzzzzzzzzzzzzzzza';
const otherTenantId = '01hzzzzzzzzzzzzzzzzzzzzzzb';
const userId = '5b0c2f6e-0000-4000-8000-000000000001';

/**
 * A table double for unit tests: answers the tenancy's BatchGetItem with an active tenant and
 * membership, and each Query with the next prepared page, recording what was asked.
 */
function fakeDb(
  role: Role,
  pages: { Items?: Record<string, unknown>[]; LastEvaluatedKey?: object }[] = [],
  plan: { plan: PlanId; status: SubscriptionStatus } = { plan: 'team', status: 'active' },
) {
  const queries: QueryCommandInput[] = [];
  const db = {
    tableName: 'plinth-test',
    client: {
      async send(command: unknown) {
        if (command instanceof BatchGetCommand) {
          const [tenantKey, memberKey, billingKey] = command.input.RequestItems?.['plinth-test']?.Keys ?? [];
          const tenant = tenantKey?.pk.slice(7) as string;
          return {
            Responses: {
              'plinth-test': [
                { ...tenantKey, tenantId: tenant, status: 'active', ownerCount: 1 },
                { ...memberKey, userId, email: 'ada@example.com', role, status: 'active' },
                { ...billingKey, ...freeBillingState(tenant, '2026-01-01T00:00:00.000Z'), ...plan },
              ],
            },
          };
        }
        if (command instanceof QueryCommand) {
          queries.push(command.input);
          return pages.shift() ?? { Items: [] };
        }
        throw new Error('unexpected command');
      },
    },
  } as unknown as Db;
  return { db, queries };
}

async function contextFor(db: Db, tenant = tenantId): Promise<TenantContext> {
  const caller = { userId, groups: [], platformAdmin: false };
  return createTenancy({ db }).resolve(caller, tenant, { requestId: 'req-1', sourceIp: '127.0.0.1' });
}

const query = (input: Record<string, string> = {}) => auditQuery().parse(input);

function entryItem(at: string, entryId: string, action = 'project.created') {
  return {
    pk: `TENANT#${tenantId}`,
    sk: `AUDIT#${at}#${entryId}`,
    gsi1pk: `TENANT#${tenantId}#ACTOR#${userId}`,
    gsi1sk: `AUDIT#${at}#${entryId}`,
    type: 'audit',
    ttl: 1,
    entryId,
    tenantId,
    at,
    actor: { userId },
    action,
    target: { type: 'project', id: 'p1' },
    before: null,
    after: { name: 'Apollo' },
    requestId: 'req-0',
    sourceIp: '127.0.0.1',
  };
}

describe('audit service', () => {
  it.each(['owner', 'admin'] as const)('lets an %s read the audit log', async (role) => {
    const { db } = fakeDb(role);
    const service = createAuditService({ audit: createAuditRepository(db) });

    const page = await service.list(await contextFor(db), query());

    expect(page.items).toEqual([]);
  });

  it('refuses the Free plan with a 402 naming Team, before reading', async () => {
    const { db, queries } = fakeDb('owner', [], { plan: 'free', status: 'none' });
    const service = createAuditService({ audit: createAuditRepository(db) });
    const ctx = await contextFor(db);

    const refused = service.list(ctx, query());

    await expect(refused).rejects.toThrow(PaymentRequiredError);
    await expect(refused).rejects.toThrow('The Free plan does not include the audit log; upgrade to Team');
    expect(queries).toEqual([]);
  });

  it('refuses a Team tenant that fell to free after a final payment failure', async () => {
    const { db } = fakeDb('owner', [], { plan: 'team', status: 'unpaid' });
    const service = createAuditService({ audit: createAuditRepository(db) });

    await expect(service.list(await contextFor(db), query())).rejects.toThrow(PaymentRequiredError);
  });

  it.each(['manager', 'member'] as const)('refuses a %s with 403 before reading', async (role) => {
    const { db, queries } = fakeDb(role);
    const service = createAuditService({ audit: createAuditRepository(db) });
    const ctx = await contextFor(db);

    await expect(service.list(ctx, query())).rejects.toThrow(ForbiddenError);
    expect(queries).toEqual([]);
  });
});

describe('audit repository', () => {
  async function listWith(
    input: Record<string, string>,
    pages?: Parameters<typeof fakeDb>[1],
    tenant = tenantId,
  ) {
    const fake = fakeDb('owner', pages);
    const repo = createAuditRepository(fake.db).forTenant(await contextFor(fake.db, tenant));
    return { page: await repo.list(query(input)), queries: fake.queries, repo };
  }

  it("reads the tenant's partition newest first across all time", async () => {
    const { queries } = await listWith({ limit: '10' });

    expect(queries).toEqual([
      expect.objectContaining({
        IndexName: undefined,
        KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :to',
        ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk' },
        ExpressionAttributeValues: { ':pk': `TENANT#${tenantId}`, ':from': 'AUDIT#', ':to': 'AUDIT#~' },
        FilterExpression: undefined,
        ScanIndexForward: false,
        Limit: 10,
      }),
    ]);
  });

  it("reads the actor index of the tenant for an actor's entries", async () => {
    const { queries } = await listWith({ actor: userId });

    expect(queries[0]).toMatchObject({
      IndexName: 'gsi1',
      ExpressionAttributeNames: { '#pk': 'gsi1pk', '#sk': 'gsi1sk' },
      ExpressionAttributeValues: { ':pk': `TENANT#${tenantId}#ACTOR#${userId}` },
    });
  });

  it('filters by action with a filter expression', async () => {
    const { queries } = await listWith({ action: 'member.role-changed' });

    expect(queries[0]).toMatchObject({
      FilterExpression: '#action = :action',
      ExpressionAttributeNames: { '#action': 'action' },
      ExpressionAttributeValues: { ':action': 'member.role-changed' },
    });
  });

  it('bounds the sort key with the stored form of the times, both ends inclusive', async () => {
    const { queries } = await listWith({ from: '2024-01-01T00:00:00Z', to: '2024-01-31T23:59:59.5Z' });

    expect(queries[0]?.ExpressionAttributeValues).toMatchObject({
      ':from': 'AUDIT#2024-01-01T00:00:00.000Z',
      ':to': 'AUDIT#2024-01-31T23:59:59.500Z~',
    });
  });

  it('rounds a sub-millisecond start up, so earlier entries of that millisecond stay out', async () => {
    const { queries } = await listWith({ from: '2024-01-01T00:00:00.0001Z' });

    expect(queries[0]?.ExpressionAttributeValues).toMatchObject({
      ':from': 'AUDIT#2024-01-01T00:00:00.001Z',
    });
  });

  it('answers an empty page without reading when the window is inside one millisecond', async () => {
    const { page, queries } = await listWith({
      from: '2024-01-01T00:00:00.0001Z',
      to: '2024-01-01T00:00:00Z',
    });

    expect(page).toEqual({ items: [] });
    expect(queries).toEqual([]);
  });

  it('returns entries without table keys and bookkeeping', async () => {
    const item = entryItem('2024-01-01T00:00:00.000Z', 'e1');

    const { page } = await listWith({}, [{ Items: [item] }]);

    const { pk: _pk, sk: _sk, gsi1pk: _g, gsi1sk: _gs, type: _t, ttl: _ttl, ...entry } = item;
    expect(page.items).toEqual([entry]);
  });

  it('continues from where the previous page stopped', async () => {
    const last = entryItem('2024-01-02T00:00:00.000Z', 'e2');
    const lastKey = { pk: last.pk, sk: last.sk };
    const fake = fakeDb('owner', [{ Items: [last], LastEvaluatedKey: lastKey }, { Items: [] }]);
    const repo = createAuditRepository(fake.db).forTenant(await contextFor(fake.db));

    const first = await repo.list(query({ limit: '1', action: 'project.created' }));
    const second = await repo.list(
      query({ limit: '1', action: 'project.created', cursor: first.nextCursor ?? '' }),
    );

    expect(fake.queries[1]?.ExclusiveStartKey).toEqual(lastKey);
    expect(second.nextCursor).toBeUndefined();
  });

  describe('refuses with 400 a cursor', () => {
    const lastKey = { pk: `TENANT#${tenantId}`, sk: 'AUDIT#2024-01-02T00:00:00.000Z#e2' };

    async function cursorFrom(input: Record<string, string>, key: object = lastKey) {
      const { page } = await listWith(input, [{ Items: [], LastEvaluatedKey: key }]);
      return page.nextCursor ?? '';
    }

    it('made for another action filter', async () => {
      const cursor = await cursorFrom({ action: 'project.created' });

      await expect(listWith({ action: 'project.deleted', cursor })).rejects.toThrow(BadRequestError);
    });

    it('made for another time range', async () => {
      const cursor = await cursorFrom({ from: '2024-01-01T00:00:00Z' });

      await expect(listWith({ from: '2024-01-01T00:00:01Z', cursor })).rejects.toThrow(BadRequestError);
    });

    it('made for an actor query, used without the actor', async () => {
      const key = { ...lastKey, gsi1pk: `TENANT#${tenantId}#ACTOR#${userId}`, gsi1sk: lastKey.sk };
      const cursor = await cursorFrom({ actor: userId }, key);

      await expect(listWith({ cursor })).rejects.toThrow(BadRequestError);
    });

    it('made for another tenant', async () => {
      const cursor = await cursorFrom({});

      await expect(listWith({ cursor }, [], otherTenantId)).rejects.toThrow(BadRequestError);
    });

    it('forged to start outside the time range', async () => {
      const cursor = await cursorFrom({ to: '2024-01-01T00:00:00Z' });

      await expect(listWith({ to: '2024-01-01T00:00:00Z', cursor })).rejects.toMatchObject({
        status: 400,
        errors: [{ field: 'query.cursor', message: expect.any(String) }],
      });
    });
  });
});

describe('audit query', () => {
  it('accepts a range whose ends differ in precision', () => {
    expect(
      auditQuery().safeParse({ from: '2024-01-01T00:00:00Z', to: '2024-01-01T00:00:00.500Z' }).success,
    ).toBe(true);
  });

  it('refuses a start after the end, compared as instants', () => {
    const result = auditQuery().safeParse({ from: '2024-01-01T00:00:00.500Z', to: '2024-01-01T00:00:00Z' });

    expect(result.error?.issues).toEqual([expect.objectContaining({ path: ['from'] })]);
  });

  it('refuses an action that is not noun.verb', () => {
    expect(auditQuery().safeParse({ action: 'DROP TABLE' }).success).toBe(false);
  });
});
