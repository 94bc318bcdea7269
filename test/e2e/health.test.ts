import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localClientConfig } from '../../scripts/local/aws.ts';
import {
  api,
  createTestStack,
  type LocalServer,
  signUpOperator,
  signUpUser,
  startTestServer,
  type TestStack,
} from '../support/harness.ts';

/** `GET /admin/health` over HTTP, as an operator runs it with curl. */

let stack: TestStack;
let server: LocalServer;

beforeAll(async () => {
  stack = await createTestStack();
  server = await startTestServer(stack);
});
afterAll(() => server.close());

describe('GET /admin/health over HTTP', () => {
  it('answers a platform admin with a status per dependency and their figures', async () => {
    const admin = await signUpOperator(stack, ['platform-admin']);

    const response = await api(server, admin.accessToken).get('/admin/health');

    expect(response.status).toBe(200);
    expect(Object.keys(response.body.dependencies)).toEqual([
      'table',
      'bus',
      'queues',
      'webhook',
      'functions',
    ]);
    expect(response.body.dependencies.table.tableName).toBe(stack.tableName);
    expect(response.body.dependencies.functions.functions).toContainEqual({
      name: 'projects',
      errors: { last24Hours: 0, lastHour: 0 },
      throttles: 0,
    });
  });

  it.each(['support', 'finance'] as const)('lets a %s operator read it (admin:read)', async (role) => {
    const operator = await signUpOperator(stack, [role]);

    const response = await api(server, operator.accessToken).get('/admin/health');

    expect(response.status).toBe(200);
  });

  it('refuses a customer with 403', async () => {
    const customer = await signUpUser(stack);

    const response = await api(server, customer.accessToken).get('/admin/health');

    expect(response.status).toBe(403);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
  });

  it('puts a dead-lettered message first in what needs attention', async () => {
    const rule = stack.rules[0];
    if (!rule) throw new Error('the stack has no rule');
    await new SQSClient(localClientConfig(stack)).send(
      new SendMessageCommand({ QueueUrl: rule.deadLetterQueueUrl, MessageBody: '{}' }),
    );
    const admin = await signUpOperator(stack, ['platform-admin']);

    const response = await api(server, admin.accessToken).get('/admin/health');

    expect(response.body.status).toBe('failing');
    expect(response.body.attention[0]).toMatchObject({ status: 'failing', dependency: 'queues' });
    expect(response.body.attention[0].summary).toContain(rule.ruleName);
  });
});
