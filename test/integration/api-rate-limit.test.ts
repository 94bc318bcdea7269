import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '#shared/db/client.ts';
import { NotFoundError } from '#shared/http/errors.ts';
import { parseApiRateLimits } from '#shared/ratelimit/api-rate-limit.ts';
import { RateLimitedError } from '#shared/ratelimit/rate-limit-headers.ts';
import { createTableRateLimiter } from '#shared/ratelimit/window-counter.ts';
import { createTenancy } from '#shared/tenancy/tenant-context.ts';
import { mirrorSubscription } from '../support/billing-state.ts';
import {
  api,
  createTestStack,
  type LocalServer,
  signUpUser,
  startTestServer,
  type TestStack,
  type TestUser,
} from '../support/harness.ts';

/** The tenant's API request limit where the tenant is resolved, on the table, with a clock the test moves. */

let stack: TestStack;
let server: LocalServer;
let db: Db;

beforeAll(async () => {
  stack = await createTestStack();
  server = await startTestServer(stack);
  db = { client: stack.db, tableName: stack.tableName };
});
afterAll(() => server.close());

let tenants = 0;
async function ownedTenant(): Promise<{ owner: TestUser; tenantId: string }> {
  const owner = await signUpUser(stack);
  const slug = `limit-${Date.now().toString(36)}-${++tenants}`;
  const created = await api(server, owner.accessToken).post('/v1/tenants', { name: 'Limited', slug });
  return { owner, tenantId: created.body.tenantId as string };
}

/** A resolver as one function builds it: its own limiter over the shared table, the test's clock. */
function tenancyAt(clock: () => Date, limits = '{"free":2,"team":4}') {
  return createTenancy({
    db,
    apiRateLimit: { limiter: createTableRateLimiter(db, clock), limits: parseApiRateLimits(limits) },
  });
}

const request = () => ({ requestId: 'req', sourceIp: '127.0.0.1', responseHeaders: {} });
const callerOf = (user: TestUser) => ({ userId: user.userId, groups: [], platformAdmin: false });

describe('API rate limit per tenant', () => {
  it('refuses the request past the free plan limit with a 429 naming the policy', async () => {
    const { owner, tenantId } = await ownedTenant();
    const now = new Date('2026-03-01T10:00:00Z');
    const tenancy = tenancyAt(() => now);
    await tenancy.resolve(callerOf(owner), tenantId, request());
    await tenancy.resolve(callerOf(owner), tenantId, request());

    const refused = await tenancy.resolve(callerOf(owner), tenantId, request()).catch((e: unknown) => e);

    expect(refused).toBeInstanceOf(RateLimitedError);
    expect((refused as RateLimitedError).headers['ratelimit-policy']).toBe('"api-requests";q=2;w=60');
    expect(Number((refused as RateLimitedError).headers['retry-after'])).toBeGreaterThanOrEqual(1);
  });

  it("shares one count between two functions' resolvers", async () => {
    const { owner, tenantId } = await ownedTenant();
    const now = new Date('2026-03-01T10:00:00Z');
    await tenancyAt(() => now).resolve(callerOf(owner), tenantId, request());
    await tenancyAt(() => now).resolve(callerOf(owner), tenantId, request());

    await expect(tenancyAt(() => now).resolve(callerOf(owner), tenantId, request())).rejects.toThrow(
      RateLimitedError,
    );
  });

  it('allows requests again once the window has passed', async () => {
    const { owner, tenantId } = await ownedTenant();
    let now = new Date('2026-03-01T10:00:00Z');
    const tenancy = tenancyAt(() => now);
    await tenancy.resolve(callerOf(owner), tenantId, request());
    await tenancy.resolve(callerOf(owner), tenantId, request());
    await expect(tenancy.resolve(callerOf(owner), tenantId, request())).rejects.toThrow(RateLimitedError);

    now = new Date(now.getTime() + 60_000);
    const ctx = await tenancy.resolve(callerOf(owner), tenantId, request());

    expect(ctx.rateLimit).toMatchObject({ allowed: true, remaining: 1 });
  });

  it("holds a tenant on a live Team subscription to the Team plan's limit", async () => {
    const { owner, tenantId } = await ownedTenant();
    await mirrorSubscription(stack, tenantId, { plan: 'team', status: 'active' });
    const now = new Date('2026-03-01T10:00:00Z');

    const ctx = await tenancyAt(() => now).resolve(callerOf(owner), tenantId, request());

    expect(ctx.rateLimit).toMatchObject({ allowed: true, remaining: 3, policy: { limit: 4 } });
  });

  it("adds the tenant's RateLimit headers to the request's response", async () => {
    const { owner, tenantId } = await ownedTenant();
    const meta = request();

    await tenancyAt(() => new Date('2026-03-01T10:00:00Z')).resolve(callerOf(owner), tenantId, meta);

    expect(meta.responseHeaders).toMatchObject({
      'ratelimit-policy': '"api-requests";q=2;w=60',
      ratelimit: expect.stringMatching(/^"api-requests";r=1;t=\d+$/),
    });
  });

  it('counts nothing for a caller who is not a member, and answers them 404', async () => {
    const { owner, tenantId } = await ownedTenant();
    const stranger = await signUpUser(stack);
    const now = new Date('2026-03-01T10:00:00Z');
    const tenancy = tenancyAt(() => now);
    for (let i = 0; i < 3; i++) {
      await expect(tenancy.resolve(callerOf(stranger), tenantId, request())).rejects.toThrow(NotFoundError);
    }

    const ctx = await tenancy.resolve(callerOf(owner), tenantId, request());

    expect(ctx.rateLimit?.remaining).toBe(1);
  });
});
