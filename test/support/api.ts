/** What a test sees of an HTTP response: status, headers and the body parsed when it is JSON. */
// biome-ignore lint/suspicious/noExplicitAny: tests assert on response bodies rather than trust them; `any` keeps that terse.
export interface ApiResponse<T = any> {
  readonly status: number;
  readonly headers: Headers;
  /** Parsed JSON (also `application/problem+json`), the text otherwise, `undefined` when empty. */
  readonly body: T;
}

export interface RequestOptions {
  readonly headers?: Record<string, string>;
  /** Sent as-is instead of JSON-encoding `body` (for malformed or non-JSON bodies). */
  readonly rawBody?: string;
}

/**
 * A small client for the local API: `api(server, token).get('/v1/me')`. The token, when given, goes
 * in `Authorization: Bearer …`; JSON bodies get `content-type: application/json`.
 */
export function api(server: { readonly url: string }, token?: string) {
  // biome-ignore lint/suspicious/noExplicitAny: see ApiResponse.
  async function request<T = any>(
    method: string,
    path: string,
    body?: unknown,
    options: RequestOptions = {},
  ): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
    if (token) headers.authorization = `Bearer ${token}`;
    let payload: string | undefined = options.rawBody;
    if (payload === undefined && body !== undefined) {
      payload = JSON.stringify(body);
      headers['content-type'] ??= 'application/json';
    }
    const response = await fetch(`${server.url}${path}`, { method, headers, body: payload });
    const text = await response.text();
    const isJson = /\bjson\b/i.test(response.headers.get('content-type') ?? '');
    const parsed = text === '' ? undefined : isJson ? JSON.parse(text) : text;
    return { status: response.status, headers: response.headers, body: parsed as T };
  }

  return {
    request,
    // biome-ignore lint/suspicious/noExplicitAny: see ApiResponse.
    get: <T = any>(path: string, options?: RequestOptions) => request<T>('GET', path, undefined, options),
    // biome-ignore lint/suspicious/noExplicitAny: see ApiResponse.
    post: <T = any>(path: string, body?: unknown, options?: RequestOptions) =>
      request<T>('POST', path, body, options),
    // biome-ignore lint/suspicious/noExplicitAny: see ApiResponse.
    put: <T = any>(path: string, body?: unknown, options?: RequestOptions) =>
      request<T>('PUT', path, body, options),
    // biome-ignore lint/suspicious/noExplicitAny: see ApiResponse.
    patch: <T = any>(path: string, body?: unknown, options?: RequestOptions) =>
      request<T>('PATCH', path, body, options),
    // biome-ignore lint/suspicious/noExplicitAny: see ApiResponse.
    delete: <T = any>(path: string, options?: RequestOptions) =>
      request<T>('DELETE', path, undefined, options),
  };
}

export type ApiClient = ReturnType<typeof api>;
