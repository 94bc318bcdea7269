/**
 * The typed API client: openapi-fetch over the types `npm run console:schema` generates from the
 * API's OpenAPI document (schema.d.ts), so every path, query, body and answer is checked against the
 * route table. Adds the operator's access token, refreshes it once on a 401, and turns problem
 * details into {@link ApiError}s.
 */
import createClient from 'openapi-fetch';
import type { paths } from './schema.d.ts';

export type { paths };

/** A refusal or fault from the API, with the problem document's text and field errors. */
export class ApiError extends Error {
  readonly status: number;
  readonly fieldErrors: readonly { field: string; message: string }[];
  constructor(
    status: number,
    message: string,
    fieldErrors: readonly { field: string; message: string }[] = [],
  ) {
    super(message);
    this.status = status;
    this.fieldErrors = fieldErrors;
  }
}

export interface ApiOptions {
  /** The API's origin (no trailing slash). */
  readonly baseUrl: string;
  readonly accessToken: () => string | undefined;
  /** New tokens after a 401; undefined when the session could not be refreshed. */
  readonly refresh: () => Promise<{ accessToken: string } | undefined>;
  readonly fetch?: typeof fetch;
}

export function createApi(options: ApiOptions) {
  const baseFetch = options.fetch ?? ((input, init) => fetch(input, init));
  const authorizedFetch = async (request: Request): Promise<Response> => {
    const send = (token: string | undefined) => {
      const copy = request.clone();
      if (token) copy.headers.set('authorization', `Bearer ${token}`);
      return baseFetch(copy);
    };
    const response = await send(options.accessToken());
    if (response.status !== 401) return response;
    const fresh = await options.refresh();
    return fresh ? send(fresh.accessToken) : response;
  };
  return createClient<paths>({ baseUrl: options.baseUrl, fetch: authorizedFetch });
}

export type Api = ReturnType<typeof createApi>;

interface ProblemLike {
  title?: string;
  detail?: string;
  message?: string;
  errors?: { field?: string; pointer?: string; message?: string; detail?: string }[];
}

/** The data of an answer, or an {@link ApiError} with the problem's detail. */
export async function must<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await call;
  if (response.ok && error === undefined) return data as T;
  const problem = (error ?? {}) as ProblemLike;
  const fieldErrors = (problem.errors ?? []).map((e) => ({
    field: e.field ?? e.pointer ?? '',
    message: e.message ?? e.detail ?? '',
  }));
  const text = problem.detail ?? problem.title ?? problem.message ?? `HTTP ${response.status}`;
  throw new ApiError(response.status, text, fieldErrors);
}

/**
 * For routes that also offer CSV (`Accept: text/csv`): the JSON answer, which is what the client
 * asks for (openapi-fetch sends no Accept header, and the API answers JSON by default).
 */
export async function mustJson<T>(
  call: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<Exclude<T, string>> {
  const data = await must(call);
  if (typeof data === 'string') throw new ApiError(406, 'The API answered CSV where JSON was expected.');
  return data as Exclude<T, string>;
}
