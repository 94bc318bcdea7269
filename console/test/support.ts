/** Test helpers: tokens with chosen claims, and a fake API answering JSON by method and path. */
import { createApi } from '../src/api/client.ts';
import type { Tokens } from '../src/auth/cognito.ts';
import { identityOf } from '../src/auth/session.ts';
import type { ConsoleContext } from '../src/context.ts';

const base64url = (value: unknown) =>
  btoa(JSON.stringify(value)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

/** An unsigned JWT (the console only reads claims; the API verifies). */
export function jwt(claims: Record<string, unknown>): string {
  return `${base64url({ alg: 'none' })}.${base64url(claims)}.sig`;
}

export function tokensFor(groups: string[], sub = '11111111-1111-4111-8111-111111111111'): Tokens {
  return {
    accessToken: jwt({ sub, username: sub, 'cognito:groups': groups, token_use: 'access' }),
    idToken: jwt({ sub, email: 'op@example.com', token_use: 'id' }),
    refreshToken: 'refresh-1',
    expiresAt: Date.now() + 3_600_000,
  };
}

export interface Recorded {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly body: unknown;
  readonly authorization: string | null;
}

export type Answer =
  | { status?: number; body: unknown }
  | ((request: Recorded) => { status?: number; body: unknown });

/** A fetch that answers `routes['GET /admin/health']` and records every request. */
export function fakeApi(routes: Record<string, Answer>) {
  const requests: Recorded[] = [];
  const fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request = input instanceof Request ? input : new Request(String(input), init);
    const url = new URL(request.url);
    const text = await request.text();
    const recorded: Recorded = {
      method: request.method,
      path: url.pathname,
      query: url.searchParams,
      body: text ? JSON.parse(text) : undefined,
      authorization: request.headers.get('authorization'),
    };
    requests.push(recorded);
    const answer = routes[`${request.method} ${url.pathname}`];
    if (!answer) {
      return new Response(JSON.stringify({ title: 'Not Found', status: 404, detail: 'no fake route' }), {
        status: 404,
        headers: { 'content-type': 'application/problem+json' },
      });
    }
    const { status = 200, body } = typeof answer === 'function' ? answer(recorded) : answer;
    return new Response(body === undefined ? null : JSON.stringify(body), {
      status,
      headers: { 'content-type': status >= 400 ? 'application/problem+json' : 'application/json' },
    });
  };
  return { fetch: fetch as typeof globalThis.fetch, requests };
}

/** The context the views read, over a fake API, for an operator in `groups`. */
export function consoleContext(groups: string[], routes: Record<string, Answer>) {
  const fake = fakeApi(routes);
  const tokens = tokensFor(groups);
  const value: ConsoleContext = {
    api: createApi({
      baseUrl: 'http://console.test',
      accessToken: () => tokens.accessToken,
      refresh: async () => undefined,
      fetch: fake.fetch,
    }),
    identity: identityOf(tokens),
    today: () => '2026-12-03',
  };
  return { value, requests: fake.requests };
}
