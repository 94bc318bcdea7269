import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  api,
  createTestStack,
  type LocalServer,
  signUpUser,
  startTestServer,
  type TestStack,
} from '../support/harness.ts';

// The path `npm run dev` seeds through, with the real functions: a new user signs up, creates an
// organisation and reads it back over HTTP.
let stack: TestStack;
let server: LocalServer;

beforeAll(async () => {
  stack = await createTestStack();
  server = await startTestServer(stack);
});

afterAll(async () => {
  await server?.close();
});

describe('local API with the real functions', () => {
  it('answers the public health check', async () => {
    const res = await api(server).get('/health');

    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
  });

  it('lets a new user create a tenant and read it back as its owner', async () => {
    const owner = await signUpUser(stack);
    const client = api(server, owner.accessToken);

    const created = await client.post('/v1/tenants', { name: 'Demo Company', slug: 'demo' });
    const read = await client.get(`/v1/tenants/${created.body.tenantId}`);

    expect(created.status).toBe(201);
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({
      name: 'Demo Company',
      slug: 'demo',
      role: 'owner',
      createdBy: owner.userId,
    });
  });
});
