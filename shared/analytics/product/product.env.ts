import * as z from 'zod';

/** What the product-analytics functions read besides the common env (shared/config/env.ts). */
export const productEnvSchema = z.object({
  /** Days a raw product event is kept before it expires by TTL; its aggregates stay. */
  PRODUCT_EVENT_TTL_DAYS: z.coerce.number().int().min(8).max(3650).default(90),
});
export type ProductEnv = z.infer<typeof productEnvSchema>;

/** Reads the product-analytics settings once per container; fails fast on a bad value. */
export function readProductEnv(source: NodeJS.ProcessEnv = process.env): ProductEnv {
  return productEnvSchema.parse(source);
}
