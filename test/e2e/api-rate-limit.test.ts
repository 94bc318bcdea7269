import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  api,
  createTestStack,
  type LocalServer,
  signUpUser,
  startTestServer,
  type TestStack,
} from '../support/harness.ts';

/**
 * The per-tenant API rate limit as a client meets it. This file's stack holds the free plan to 3
 * requests per 2-second window, so a burst meets the limit and the reset comes without a long wait.
 */

let stack: TestStack;
let server: LocalServer;

beforeAll(async () => {
  const created = await createTestStack();
  stack = {
    ...created,
    env: { ...created.env, API_RATE_LIMITS: JSON.stringify({ windowSeconds: 2, free: 3 }) },
  };
  server = await startTestServer(stack);
});
afterAll(() => server.close());

let slugs = 0;
async function freeTenant() {
  const owner = await signUpUser(stack);
  const client = api(server, owner.accessToken);
  const slug = `burst-${Date.now().toString(36)}-${++slugs}`;
  const created = await client.post('/v1/tenants', { name: 'Burst', slug });
  expect(created.status).toBe(201);
  return { client, path: `/v1/tenants/${created.body.tenantId}` };
}

describe('API rate limit per tenant over HTTP', () => {
  it('answers a burst past the limit with 429, Retry-After and RateLimit headers, and serves again after the window', async () => {
    const { client, path } = await freeTenant();

    // Twelve at once: whatever the machine's load, they cannot all fit in the windows they span.
    const burst = await Promise.all(Array.from({ length: 12 }, () => client.get(path)));

    const refused = burst.filter((r) => r.status === 429);
    expect(refused.length).toBeGreaterThan(0);
    expect(burst.filter((r) => r.status === 200).length).toBeGreaterThanOrEqual(3);
    const last = refused.at(-1);
    expect(last?.headers.get('content-type')).toBe('application/problem+json');
    expect(last?.headers.get('ratelimit-policy')).toBe('"api-requests";q=3;w=2');
    expect(last?.headers.get('ratelimit')).toMatch(/^"api-requests";r=0;t=[12]$/);
    const retryAfter = Number(last?.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(2);

    // Past the end of every window the burst touched (each answer says when its window ends).
    const resets = burst.map((r) => Number(/;t=(\d+)/.exec(r.headers.get('ratelimit') ?? '')?.[1] ?? 0));
    await sleep(Math.max(...resets) * 1000 + 100);
    const after = await client.get(path);

    expect(after.status).toBe(200);
    expect(after.headers.get('ratelimit')).toMatch(/^"api-requests";r=2;t=[12]$/);
  });

  it('sends the RateLimit headers with a success response', async () => {
    const { client, path } = await freeTenant();

    const response = await client.get(path);

    expect(response.status).toBe(200);
    expect(response.headers.get('ratelimit-policy')).toBe('"api-requests";q=3;w=2');
    expect(response.headers.get('ratelimit')).toMatch(/^"api-requests";r=2;t=[12]$/);
    expect(response.headers.get('retry-after')).toBeNull();
  });

  it("counts each tenant on its own: one tenant's burst leaves another's requests served", async () => {
    const busy = await freeTenant();
    const quiet = await freeTenant();
    await Promise.all(Array.from({ length: 8 }, () => busy.client.get(busy.path)));

    const response = await quiet.client.get(quiet.path);

    expect(response.status).toBe(200);
  });
});
