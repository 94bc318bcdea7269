import * as z from 'zod';
import { lazyValue } from '../app/deferred.ts';
import { ID_PATTERN } from '../ids.ts';

// Like every schema module's, each schema here is a `lazyValue` thunk: built on first use, then the
// same schema on every call (shared/http/route.ts says why). Each call is marked `@__PURE__`, so a
// bundle holds only the schemas its function can use. Keep the marks on any schema added here.

/** An id made by `newId`; anything else in a path is a 400 before the table is touched. */
export const idSchema = /* @__PURE__ */ lazyValue(() =>
  z.string().regex(ID_PATTERN, 'must be a Plinth id (26 lower-case characters)'),
);

export const tenantParams = /* @__PURE__ */ lazyValue(() => z.strictObject({ tenantId: idSchema() }));

export const paginationQuery = /* @__PURE__ */ lazyValue(() =>
  z.strictObject({
    limit: z.coerce.number().int().min(1).max(100).default(25),
    // Cursors are base64url (shared/db/cursor.ts); saying so keeps any URL that passes this schema
    // small enough for the request line limits of API Gateway and Node.
    cursor: z
      .string()
      .min(1)
      .max(2048)
      .regex(/^[A-Za-z0-9_-]+$/, 'an opaque cursor: pass back the nextCursor of the previous page')
      .optional(),
  }),
);

/** Wraps an item schema into the shape of every list response. */
export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({
    items: z.array(item),
    /** Pass back as `cursor` to get the next page; absent on the last page. */
    nextCursor: z.string().optional(),
  });
}

export const roleSchema = /* @__PURE__ */ lazyValue(() => z.enum(['owner', 'admin', 'manager', 'member']));

export const emailSchema = /* @__PURE__ */ lazyValue(() =>
  z
    .email()
    .max(254)
    // The document names zod's own pattern: `format: email` alone admits addresses zod refuses.
    .meta({ pattern: z.regexes.email.source })
    // RFC 5321's limit, which `format: email` implies and zod's pattern does not check.
    .refine((e) => (e.split('@')[0] ?? '').length <= 64, 'the part before @ may have at most 64 characters')
    .transform((e) => e.toLowerCase()),
);

/**
 * A PATCH body: every field optional, at least one sent (`{}` is a 400), which the document states
 * as `minProperties: 1`.
 */
export function partialUpdate<T extends z.ZodObject>(fields: T) {
  return fields
    .refine((b) => Object.keys(b).length > 0, { message: 'send at least one field to change' })
    .meta({ minProperties: 1 });
}

export const slugSchema = /* @__PURE__ */ lazyValue(() =>
  z
    .string()
    .min(3)
    .max(48)
    .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'lower-case letters, digits and single hyphens'),
);
