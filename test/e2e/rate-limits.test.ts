import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  api,
  createTestStack,
  type LocalServer,
  readSentEmails,
  signUpUser,
  startTestServer,
  type TestStack,
  uniqueEmail,
} from '../support/harness.ts';

/** The rate limiter as an HTTP client meets it, through the local API Gateway. */

let stack: TestStack;
let server: LocalServer;

beforeAll(async () => {
  stack = await createTestStack();
  server = await startTestServer(stack);
});
afterAll(() => server.close());

describe('rate limits over HTTP', () => {
  it('answers the fourth invitation email to one address within the hour with a 429 and Retry-After', async () => {
    const owner = await signUpUser(stack);
    const client = api(server, owner.accessToken);
    const tenant = await client.post('/v1/tenants', { name: 'Limits', slug: 'limits-e2e' });
    const path = `/v1/tenants/${tenant.body.tenantId}/invitations`;
    const email = uniqueEmail('ada');

    const sends = [];
    for (let i = 0; i < 4; i++) sends.push(await client.post(path, { email, role: 'member' }));

    expect(sends.map((r) => r.status)).toEqual([201, 201, 201, 429]);
    expect(sends[0]?.headers.get('ratelimit')).toMatch(/^"invitations-per-recipient";r=2;t=\d+, /);
    const refused = sends[3];
    expect(refused?.headers.get('content-type')).toBe('application/problem+json');
    expect(Number(refused?.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // The refused policy first; the tenant's API request limit (counted for the request) follows it.
    expect(refused?.headers.get('ratelimit-policy')).toMatch(/^"invitations-per-recipient";q=3;w=3600(, |$)/);
    expect(refused?.body.detail).toMatch(/Try again in \d+ (minutes?|seconds?|hours?)\.$/);
    expect((await readSentEmails(stack)).filter((m) => m.to.includes(email))).toHaveLength(3);
  });
});
