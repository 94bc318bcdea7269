import { describe, expect, it } from 'vitest';
import { ApiError, createApi, must } from '../src/api/client.ts';
import { fakeApi } from './support.ts';

describe('the typed API client', () => {
  it('sends the operator’s access token as a bearer token', async () => {
    const fake = fakeApi({ 'GET /admin/health': { body: { status: 'ok' } } });
    const api = createApi({
      baseUrl: 'http://console.test',
      accessToken: () => 'token-1',
      refresh: async () => undefined,
      fetch: fake.fetch,
    });
    await must(api.GET('/admin/health'));
    expect(fake.requests[0]?.authorization).toBe('Bearer token-1');
  });

  it('refreshes the tokens once after a 401 and repeats the call with the new token', async () => {
    const fake = fakeApi({
      'GET /admin/tenants': (request) =>
        request.authorization === 'Bearer fresh'
          ? { body: { items: [] } }
          : { status: 401, body: { message: 'Unauthorized' } },
    });
    let token = 'stale';
    const api = createApi({
      baseUrl: 'http://console.test',
      accessToken: () => token,
      refresh: async () => {
        token = 'fresh';
        return { accessToken: token };
      },
      fetch: fake.fetch,
    });
    const page = await must(api.GET('/admin/tenants', { params: { query: { q: 'acme' } } }));
    expect(page.items).toEqual([]);
    expect(fake.requests.map((r) => r.authorization)).toEqual(['Bearer stale', 'Bearer fresh']);
    expect(fake.requests[1]?.query.get('q')).toBe('acme');
  });

  it('turns a problem document into an ApiError with its detail and field errors', async () => {
    const fake = fakeApi({
      'POST /admin/users/u-1/suspension': {
        status: 400,
        body: {
          title: 'Bad Request',
          status: 400,
          detail: 'The request is not valid.',
          errors: [{ field: 'reason', message: 'Too small' }],
        },
      },
    });
    const api = createApi({
      baseUrl: 'http://console.test',
      accessToken: () => 't',
      refresh: async () => undefined,
      fetch: fake.fetch,
    });
    const error = await must(
      api.POST('/admin/users/{userId}/suspension', {
        params: { path: { userId: 'u-1' } },
        body: { reason: 'x' },
      }),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({
      status: 400,
      message: 'The request is not valid.',
      fieldErrors: [{ field: 'reason', message: 'Too small' }],
    });
  });
});
