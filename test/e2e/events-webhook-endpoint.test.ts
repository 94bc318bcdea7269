import type { LambdaFunctionURLEvent, LambdaFunctionURLResult } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalServer, STRIPE_WEBHOOK_PATH, startLocalServer } from '../../scripts/local/server.ts';
import { createTestStack, type TestStack } from '../support/harness.ts';

// The local stand-in for the webhook's Function URL, with a fake function: what reaches the
// function must be exactly what Stripe sent, since the signature covers the raw body.
const received: LambdaFunctionURLEvent[] = [];
let reply: () => Promise<LambdaFunctionURLResult> = async () => ({
  statusCode: 200,
  body: '{"received":true}',
});

let stack: TestStack;
let server: LocalServer;
const errors: unknown[] = [];

beforeAll(async () => {
  stack = await createTestStack({ rules: [] });
  server = await startLocalServer({
    port: 0,
    region: stack.region,
    userPoolId: stack.userPoolId,
    clientId: stack.clientId,
    cognitoEndpoint: stack.endpoint,
    loadWebhookHandler: async () => ({
      handler: async (event) => {
        received.push(event);
        return reply();
      },
    }),
    onError: (error) => errors.push(error),
  });
});

afterAll(async () => {
  await server?.close();
});

const post = (body: string, headers: Record<string, string> = {}) =>
  fetch(`${server.url}${STRIPE_WEBHOOK_PATH}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
    body,
  });

describe('POST /webhooks/stripe on the local server', () => {
  it('hands the raw body and the headers, untouched, to the webhook function as a Function URL event', async () => {
    // Spacing, key order and non-ASCII text a re-serialisation would change.
    const body = '{\n  "id": "evt_1",  "type": "invoice.paid", "data": {"object": {"note": "Zürich ✓"}}\n}';
    received.length = 0;

    await post(body, { 'stripe-signature': 't=1700000000,v1=abc' });

    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({
      version: '2.0',
      routeKey: '$default',
      rawPath: STRIPE_WEBHOOK_PATH,
      body,
      isBase64Encoded: false,
      headers: expect.objectContaining({
        'stripe-signature': 't=1700000000,v1=abc',
        'content-type': 'application/json; charset=utf-8',
      }),
      requestContext: expect.objectContaining({ http: expect.objectContaining({ method: 'POST' }) }),
    });
    expect(received[0]?.requestContext).not.toHaveProperty('authorizer');
  });

  it("answers with the function's status, headers and body", async () => {
    reply = async () => ({
      statusCode: 400,
      headers: { 'content-type': 'application/problem+json' },
      body: '{"title":"Bad signature"}',
    });

    const response = await post('{}');

    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(await response.json()).toEqual({ title: 'Bad signature' });
  });

  it('answers 500 when the function throws, so Stripe retries', async () => {
    reply = async () => {
      throw new Error('table unavailable');
    };
    errors.length = 0;

    const response = await post('{}');

    expect(response.status).toBe(500);
    expect(errors).toHaveLength(1);
  });

  it('needs no token: Stripe authenticates with its signature', async () => {
    reply = async () => ({ statusCode: 200, body: '{"received":true}' });

    const response = await post('{}');

    expect(response.status).toBe(200);
  });
});
