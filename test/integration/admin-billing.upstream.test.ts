import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keys } from '#shared/db/keys.ts';
import { mirrorSubscription } from '../support/billing-state.ts';
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
 * The operators' billing adjustments when Stripe cannot be reached: this file's handlers talk to a
 * port where nothing listens (the rest is a normal test stack). A 502, and no audit entry claiming
 * a change that did not happen, no credit recorded, the mirror untouched.
 */

let stack: TestStack;
let server: LocalServer;
let finance: TestUser;
let tenantId: string;

beforeAll(async () => {
  const base = await createTestStack();
  stack = { ...base, env: { ...base.env, STRIPE_API_URL: 'http://127.0.0.1:9' } };
  server = await startTestServer(stack, { onError: () => undefined });
  const owner = await signUpUser(stack);
  finance = await signUpOperator(stack, ['finance']);
  tenantId = (await api(server, owner.accessToken).post('/v1/tenants', { name: 'Offline', slug: 'offline' }))
    .body.tenantId;
  await mirrorSubscription(stack, tenantId, { monthlyAmount: { amount: 2900, currency: 'usd' } });
});
afterAll(() => server.close());

async function itemsOf(pk: string, skPrefix: string) {
  const { Items = [] } = await stack.db.send(
    new QueryCommand({
      TableName: stack.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': pk, ':prefix': skPrefix },
      ConsistentRead: true,
    }),
  );
  return Items;
}

const tenantAudit = () => itemsOf(keys.tenant(tenantId).pk, 'AUDIT#');
const platformAudit = () => itemsOf(keys.platformAuditEntry('', '').pk, 'AUDIT#');

describe('billing adjustments when Stripe is unreachable', () => {
  it.each([
    ['a credit', 'credits', { amount: 700, reason: 'Offline credit' }],
    ['a comp', 'comps', { until: '2027-01-01', reason: 'Offline comp' }],
    ['a cancellation now', 'cancellation', { atPeriodEnd: false, reason: 'Offline cancel' }],
    ['a cancellation at period end', 'cancellation', { atPeriodEnd: true, reason: 'Offline cancel' }],
  ])('answers %s with a 502 and writes nothing', async (_name, what, body) => {
    const billingBefore = await itemsOf(keys.billing(tenantId).pk, 'BILLING');
    const response = await api(server, finance.accessToken).post(`/admin/tenants/${tenantId}/${what}`, body);

    expect(response.status).toBe(502);
    expect(JSON.stringify(response.body)).not.toMatch(/stripe|sk_test/i);
    expect((await tenantAudit()).filter((entry) => String(entry.action).startsWith('billing.'))).toEqual([]);
    expect((await platformAudit()).filter((entry) => entry.tenantId === tenantId)).toEqual([]);
    expect(await itemsOf(keys.tenant(tenantId).pk, 'CREDIT#')).toEqual([]);
    expect(await itemsOf(keys.billing(tenantId).pk, 'BILLING')).toEqual(billingBefore);
  });
});
