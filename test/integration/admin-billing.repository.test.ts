import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { createAdminBillingRepository } from '#shared/admin/billing/admin-billing.repository.ts';
import type { Credit } from '#shared/admin/billing/admin-billing.schema.ts';
import type { PlatformAuditEvent } from '#shared/admin/platform-audit.ts';
import { keys } from '#shared/db/keys.ts';
import { newId } from '#shared/ids.ts';
import { createTestStack, type TestStack } from '../support/harness.ts';

/** The credit record and its audit entries in one transaction, against moto's DynamoDB. */

let stack: TestStack;
let repo: ReturnType<typeof createAdminBillingRepository>;

beforeAll(async () => {
  stack = await createTestStack();
  Object.assign(process.env, stack.env);
  repo = createAdminBillingRepository(
    { client: stack.db, tableName: stack.tableName },
    { clock: () => new Date(), newId },
  );
});

const credit = (creditId: string): Credit => ({
  creditId,
  amount: 1500,
  currency: 'usd',
  endingBalance: -1500,
  reason: 'Outage on 3 March',
  operatorId: 'op-fin',
  createdAt: '2026-03-05T10:00:00.000Z',
});

const audit = (tenantId: string, creditId: string): PlatformAuditEvent => ({
  operatorId: 'op-fin',
  action: 'billing.credit-created',
  target: { type: 'customer', id: 'cus_1', tenantId },
  before: null,
  after: { creditId },
  reason: 'Outage on 3 March',
  request: { requestId: 'req-1', sourceIp: '203.0.113.7' },
});

async function tenantItems(tenantId: string, prefix: string) {
  const { Items = [] } = await stack.db.send(
    new QueryCommand({
      TableName: stack.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': keys.tenant(tenantId).pk, ':prefix': prefix },
      ConsistentRead: true,
    }),
  );
  return Items;
}

async function platformEntriesFor(creditId: string) {
  const { Items = [] } = await stack.db.send(
    new QueryCommand({
      TableName: stack.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': keys.platformAuditEntry('', '').pk },
      ConsistentRead: true,
    }),
  );
  return Items.filter((item) => (item.after as { creditId?: string } | null)?.creditId === creditId);
}

describe('recordCredit', () => {
  it('records the credit with its platform and tenant audit entries', async () => {
    const tenantId = newId();
    expect(await repo.recordCredit(tenantId, credit('cbtxn_a1'), audit(tenantId, 'cbtxn_a1'))).toBe(true);
    expect(await repo.credits(tenantId, 25)).toEqual([credit('cbtxn_a1')]);
    expect(await tenantItems(tenantId, 'AUDIT#')).toHaveLength(1);
    expect(await platformEntriesFor('cbtxn_a1')).toHaveLength(1);
  });

  it('records a credit Stripe returned again (a retried request) once, with one audit entry', async () => {
    const tenantId = newId();
    await repo.recordCredit(tenantId, credit('cbtxn_b1'), audit(tenantId, 'cbtxn_b1'));
    expect(await repo.recordCredit(tenantId, credit('cbtxn_b1'), audit(tenantId, 'cbtxn_b1'))).toBe(false);
    expect(await tenantItems(tenantId, 'CREDIT#')).toHaveLength(1);
    expect(await tenantItems(tenantId, 'AUDIT#')).toHaveLength(1);
    expect(await platformEntriesFor('cbtxn_b1')).toHaveLength(1);
  });

  it("lists a tenant's credits newest first, and never another tenant's", async () => {
    const tenantId = newId();
    const other = newId();
    await repo.recordCredit(tenantId, credit('cbtxn_c1'), audit(tenantId, 'cbtxn_c1'));
    await repo.recordCredit(
      tenantId,
      { ...credit('cbtxn_c2'), createdAt: '2026-04-01T00:00:00.000Z' },
      audit(tenantId, 'cbtxn_c2'),
    );
    await repo.recordCredit(other, credit('cbtxn_c3'), audit(other, 'cbtxn_c3'));
    expect((await repo.credits(tenantId, 25)).map((c) => c.creditId)).toEqual(['cbtxn_c2', 'cbtxn_c1']);
  });
});
