import * as z from 'zod';
import { lazyValue } from '../app/deferred.ts';

/**
 * Optimistic concurrency over HTTP (RFC 9110 §8.8.3, §13.1.1): a resource carries a version
 * number; its ETag is that number as a strong entity tag (`"3"`), and a change is made only when
 * the request's `If-Match` names the current ETag (or is `*`).
 */

/** One entity tag: `"…"` or weak `W/"…"`. */
const ENTITY_TAG = String.raw`(?:W\/)?"[\x21\x23-\x7E\x80-\xFF]*"`;
const IF_MATCH = new RegExp(String.raw`^\s*(?:\*|${ENTITY_TAG}(?:\s*,\s*${ENTITY_TAG})*)\s*$`);

/** The `If-Match` request header as a route declares it (`route.headers`). */
export const ifMatchHeaders = /* @__PURE__ */ lazyValue(() =>
  z.object({
    'if-match': z
      .string()
      .regex(
        IF_MATCH,
        'must be * or a list of entity tags such as "3" (quotes included), as the ETag gave it',
      )
      .optional()
      .meta({
        description:
          'The ETag of the version the change is based on (from GET, POST or the last PATCH); `*` changes whatever version is current.',
        example: '"3"',
      }),
  }),
);

/** What an `If-Match` header asks for: any current version (`*`), or one of these entity tags. */
export type IfMatch = { readonly any: true } | { readonly any: false; readonly tags: readonly string[] };

/** Parses a header value the schema accepted; `undefined` when the header is absent. */
export function parseIfMatch(value: string | undefined): IfMatch | undefined {
  if (value === undefined) return undefined;
  if (value.trim() === '*') return { any: true };
  return { any: false, tags: value.match(new RegExp(ENTITY_TAG, 'g')) ?? [] };
}

/** The strong ETag of a version. */
export function etagOf(version: number): string {
  return `"${version}"`;
}

/**
 * Whether `ifMatch` allows changing the resource at `version`: `*` does; otherwise one of its tags
 * must equal the current ETag by strong comparison (a weak tag never matches, RFC 9110 §13.1.1).
 */
export function ifMatchAllows(ifMatch: IfMatch, version: number): boolean {
  return ifMatch.any || ifMatch.tags.includes(etagOf(version));
}
