import * as z from 'zod';
import { ID_PATTERN } from '../ids.ts';

/** An id made by `newId`; anything else in a path is a 400 before the table is touched. */
export const idSchema = z.string().regex(ID_PATTERN, 'must be a Plinth id (26 lower-case characters)');

export const tenantParams = z.strictObject({ tenantId: idSchema });

export const paginationQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(25),
  cursor: z.string().min(1).max(2048).optional(),
});

/** Wraps an item schema into the shape of every list response. */
export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({
    items: z.array(item),
    /** Pass back as `cursor` to get the next page; absent on the last page. */
    nextCursor: z.string().optional(),
  });
}

export const roleSchema = z.enum(['owner', 'admin', 'manager', 'member']);

export const emailSchema = z
  .email()
  .max(254)
  .transform((e) => e.toLowerCase());

export const slugSchema = z
  .string()
  .min(3)
  .max(48)
  .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'lower-case letters, digits and single hyphens');

export const problemSchema = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string().optional(),
  instance: z.string().optional(),
  errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
});
