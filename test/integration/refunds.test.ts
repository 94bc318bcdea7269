import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keys } from '#shared/db/keys.ts';
import { newId } from '#shared/ids.ts';
import {
  api,
  createTestStack,
  type LocalServer,
  signUpOperator,
  signUpUser,
  startTestServer,
  type TestStack,
  type TestUser,
} from '../support/harness.ts';

/**
 * POST /admin/tenants/{tenantId}/refunds through the local HTTP server, against moto and stripe-mock.
 * The charge locator the invoice mirror writes is seeded straight into the table.
 */

let stack: TestStack;
let server: LocalServer;
let operator: TestUser;
let owner: TestUser;
let tenantId: string;
let otherTenantId: string;

beforeAll(async () => {
  stack = await createTestStack();
  server = await startTestServer(stack);
  [operator, owner] = await Promise.all([signUpOperator(stack), signUpUser(stack)]);
  const client = api(server, owner.accessToken);
  tenantId = (await client.post('/v1/tenants', { name: 'Refunded', slug: 'refunded' })).body.tenantId;
  otherTenantId = (await client.post('/v1/tenants', { name: 'Other', slug: 'other' })).body.tenantId;
  await chargeOf(tenantId, 'ch_paidmarch');
  await chargeOf(otherTenantId, 'ch_othertenant');
});
afterAll(() => server.close());

/** Records a charge as one of the tenant's payments, as the invoice mirror does. */
async function chargeOf(id: string, chargeId: string): Promise<void> {
  const invoiceSk = keys.invoice(id, '2026-03-01T00:00:00.000Z', `in_${chargeId.slice(3)}`).sk;
  await stack.db.send(
    new PutCommand({
      TableName: stack.tableName,
      Item: {
        ...keys.chargeLocator(id, chargeId),
        type: 'charge-locator',
        chargeId,
        invoiceId: `in_${chargeId.slice(3)}`,
        invoiceSk,
      },
    }),
  );
}

async function refundAudit(id: string) {
  const range = keys.auditRange(id);
  const result = await stack.db.send(
    new QueryCommand({
      TableName: stack.tableName,
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: { ':pk': range.pk, ':from': range.skFrom, ':to': range.skTo },
    }),
  );
  return (result.Items ?? []).filter((i) => i.action === 'billing.refund-created');
}

const refunds = (id: string) => `/admin/tenants/${id}/refunds`;

describe('admin refunds', () => {
  it('refunds part of a charge for a platform admin', async () => {
    const response = await api(server, operator.accessToken).post(refunds(tenantId), {
      chargeId: 'ch_paidmarch',
      amount: 100,
      reason: 'Charged twice',
    });
    expect(response.status).toBe(201);
    expect(response.body).toEqual({
      refundId: expect.stringMatching(/^re_/),
      chargeId: expect.stringMatching(/^ch_/),
      amount: expect.any(Number),
      currency: expect.any(String),
      status: expect.any(String),
    });
  });

  it("audits the refund in the tenant's log as a support action with the operator, amount and reason", async () => {
    await api(server, operator.accessToken).post(refunds(tenantId), {
      chargeId: 'ch_paidmarch',
      reason: 'Outage on 3 March',
    });
    const entries = await refundAudit(tenantId);
    expect(entries).toContainEqual(
      expect.objectContaining({
        actor: { userId: operator.userId, kind: 'support' },
        target: { type: 'charge', id: 'ch_paidmarch' },
        after: expect.objectContaining({ amount: expect.any(Number) }),
        reason: 'Outage on 3 March',
      }),
    );
  });

  it('refuses the tenant’s own owner with 403: the admin API is for operators only', async () => {
    const response = await api(server, owner.accessToken).post(refunds(tenantId), {
      chargeId: 'ch_paidmarch',
      reason: 'I want my money back',
    });
    expect(response.status).toBe(403);
  });

  it('answers 404 for a tenant that does not exist', async () => {
    const response = await api(server, operator.accessToken).post(refunds(newId()), {
      chargeId: 'ch_paidmarch',
      reason: 'Charged twice',
    });
    expect(response.status).toBe(404);
  });

  it("answers 404 for another tenant's charge and writes nothing", async () => {
    const before = await refundAudit(tenantId);
    const response = await api(server, operator.accessToken).post(refunds(tenantId), {
      chargeId: 'ch_othertenant',
      reason: 'Charged twice',
    });
    expect(response.status).toBe(404);
    expect(await refundAudit(tenantId)).toEqual(before);
  });

  it.each([
    ['no reason', { chargeId: 'ch_paidmarch' }],
    ['a zero amount', { chargeId: 'ch_paidmarch', amount: 0, reason: 'Charged twice' }],
    ['something that is not a charge id', { chargeId: 'in_123', reason: 'Charged twice' }],
  ])('rejects %s with a 400 and writes nothing', async (_name, body) => {
    const before = await refundAudit(tenantId);
    const response = await api(server, operator.accessToken).post(refunds(tenantId), body);
    expect(response.status).toBe(400);
    expect(await refundAudit(tenantId)).toEqual(before);
  });
});
