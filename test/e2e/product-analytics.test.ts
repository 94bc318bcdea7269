import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

/** The tracking API and the analytics reads over HTTP, through the local server's route table. */

let stack: TestStack;
let server: LocalServer;
let owner: TestUser;
let operator: TestUser;
let tenantId: string;
const today = new Date().toISOString().slice(0, 10);

beforeAll(async () => {
  stack = await createTestStack();
  server = await startTestServer(stack);
  [owner, operator] = await Promise.all([signUpUser(stack), signUpOperator(stack)]);
  const created = await api(server, owner.accessToken).post('/v1/tenants', {
    name: 'Tracked',
    slug: 'tracked',
  });
  tenantId = created.body.tenantId;
});
afterAll(() => server.close());

describe('POST /v1/tenants/{tenantId}/events', () => {
  it('answers 202 with accepted, duplicates and rejected', async () => {
    const response = await api(server, owner.accessToken).post(`/v1/tenants/${tenantId}/events`, {
      events: [
        { id: 'e2e-1', name: 'report_exported', properties: { format: 'csv', rows: 12, scheduled: false } },
        { id: 'e2e-2', name: 'not snake' },
      ],
    });
    expect(response.status).toBe(202);
    expect(response.body).toEqual({
      accepted: 1,
      duplicates: 0,
      rejected: [{ index: 1, errors: [{ field: 'name', message: expect.any(String) }] }],
    });
    // The route's own limit first, then the tenant's API request limit.
    expect(response.headers.get('ratelimit-policy')).toMatch(
      /^"product-events-per-tenant";q=6000;w=60, "api-requests";q=\d+;w=60$/,
    );
  });

  it('counts a retried batch as duplicates', async () => {
    const client = api(server, owner.accessToken);
    const body = { events: [{ id: 'e2e-retry', name: 'clicked' }] };
    await client.post(`/v1/tenants/${tenantId}/events`, body);
    const retried = await client.post(`/v1/tenants/${tenantId}/events`, body);
    expect(retried.body).toMatchObject({ accepted: 0, duplicates: 1 });
  });

  it('answers 400 with every field error when no event is valid', async () => {
    const response = await api(server, owner.accessToken).post(`/v1/tenants/${tenantId}/events`, {
      events: [{ id: 'x', name: 'Bad' }, { name: 'no_id' }],
    });
    expect(response.status).toBe(400);
    expect(response.body.errors.map((e: { field: string }) => e.field)).toEqual([
      'body.events.0.name',
      'body.events.1.id',
    ]);
  });

  it('takes a body above the API-wide 16 KB limit', async () => {
    const events = Array.from({ length: 100 }, (_, i) => ({
      id: `big-${i}`,
      name: 'page_viewed',
      properties: { path: `/${'p'.repeat(300)}` },
    }));
    const response = await api(server, owner.accessToken).post(`/v1/tenants/${tenantId}/events`, { events });
    expect(JSON.stringify({ events }).length).toBeGreaterThan(16 * 1024);
    expect(response.status).toBe(202);
    expect(response.body.accepted).toBe(100);
  });

  it('refuses a body above its own 256 KB limit with a 413', async () => {
    const events = Array.from({ length: 100 }, (_, i) => ({
      id: `huge-${i}`,
      name: 'page_viewed',
      properties: { a: 'x'.repeat(1000), b: 'y'.repeat(1000), c: 'z'.repeat(700) },
    }));
    const response = await api(server, owner.accessToken).post(`/v1/tenants/${tenantId}/events`, { events });
    expect(response.status).toBe(413);
  });

  it('refuses a batch of more than 100 events with a 400', async () => {
    const events = Array.from({ length: 101 }, (_, i) => ({ id: `n-${i}`, name: 'x' }));
    const response = await api(server, owner.accessToken).post(`/v1/tenants/${tenantId}/events`, { events });
    expect(response.status).toBe(400);
  });
});

describe('analytics reads', () => {
  it('answers 402 on the Free plan', async () => {
    const response = await api(server, owner.accessToken).get(`/v1/tenants/${tenantId}/analytics/usage`);
    expect(response.status).toBe(402);
  });

  it("returns today's tracked events once the tenant is on Team", async () => {
    await mirrorSubscription(stack, tenantId);
    const response = await api(server, owner.accessToken).get(
      `/v1/tenants/${tenantId}/analytics/usage?from=${today}&to=${today}`,
    );
    expect(response.status).toBe(200);
    expect(response.body.days).toEqual([
      {
        date: today,
        activeUsers: 1,
        events: expect.objectContaining({ report_exported: 1, clicked: 1, page_viewed: 100 }),
      },
    ]);
  });

  it("returns the tenant's retention cohorts", async () => {
    await mirrorSubscription(stack, tenantId);
    const response = await api(server, owner.accessToken).get(`/v1/tenants/${tenantId}/analytics/retention`);
    expect(response.status).toBe(200);
    expect(response.body.cohorts).toHaveLength(1);
    expect(response.body.cohorts[0]).toMatchObject({ users: 1, weeks: [{ k: 0, activeUsers: 1, rate: 1 }] });
  });

  it('serves the platform retention and feature use to platform admins only', async () => {
    const [asOperator, asOwner] = await Promise.all([
      api(server, operator.accessToken).get(`/admin/metrics/features?from=${today}&to=${today}`),
      api(server, owner.accessToken).get('/admin/metrics/retention'),
    ]);
    expect(asOperator.status).toBe(200);
    expect(asOperator.body.features[0]).toEqual({ name: 'page_viewed', events: 100 });
    expect(asOwner.status).toBe(403);
  });
});
