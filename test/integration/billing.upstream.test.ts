import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keys } from '#shared/db/keys.ts';
import {
  api,
  createTestStack,
  type LocalServer,
  signUpUser,
  startTestServer,
  type TestStack,
  type TestUser,
} from '../support/harness.ts';

/**
 * What the billing routes do when Stripe cannot be reached: this file's handlers talk to a port
 * where nothing listens (the rest of the environment is a normal test stack).
 */

let stack: TestStack;
let server: LocalServer;
let owner: TestUser;
let tenantId: string;

beforeAll(async () => {
  const base = await createTestStack();
  stack = { ...base, env: { ...base.env, STRIPE_API_URL: 'http://127.0.0.1:9' } };
  server = await startTestServer(stack, { onError: () => undefined });
  owner = await signUpUser(stack);
  tenantId = (await api(server, owner.accessToken).post('/v1/tenants', { name: 'Offline', slug: 'offline' }))
    .body.tenantId;
});
afterAll(() => server.close());

describe('billing when Stripe is unreachable', () => {
  it('answers a checkout with a 502 that says nothing of Stripe, and writes nothing', async () => {
    const response = await api(server, owner.accessToken).post(`/v1/tenants/${tenantId}/billing/checkout`, {
      plan: 'team',
      interval: 'month',
    });
    expect(response.status).toBe(502);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(JSON.stringify(response.body)).not.toMatch(/stripe|sk_test/i);

    const billing = await stack.db.send(
      new GetCommand({ TableName: stack.tableName, Key: keys.billing(tenantId) }),
    );
    expect(billing.Item).toBeUndefined();
    const range = keys.auditRange(tenantId);
    const audit = await stack.db.send(
      new QueryCommand({
        TableName: stack.tableName,
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
        ExpressionAttributeValues: { ':pk': range.pk, ':from': range.skFrom, ':to': range.skTo },
      }),
    );
    expect((audit.Items ?? []).filter((i) => String(i.action).startsWith('billing.'))).toEqual([]);
  });
});
