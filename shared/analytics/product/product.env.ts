import * as z from 'zod';

/** What the product-analytics functions read besides the common env (shared/config/env.ts). */
export const productEnvSchema = z.object({
  /**
   * Days a raw product event is kept before it expires by TTL; its aggregates stay. Set per stage
   * by the CDK app (`productEventTtlDays`, lib/stage.ts); at least 8, so an event backdated by the
   * 7 days allowed still outlives its day.
   */
  PRODUCT_EVENT_TTL_DAYS: z.coerce.number().int().min(8).max(3650).default(90),
});
export type ProductEnv = z.infer<typeof productEnvSchema>;

/** Reads the product-analytics settings once per container; fails fast on a bad value. */
export function readProductEnv(source: NodeJS.ProcessEnv = process.env): ProductEnv {
  return productEnvSchema.parse(source);
}

/** What the product-activity consumer reads besides its table: where raw events go for the warehouse. */
export const warehouseEnvSchema = productEnvSchema.extend({
  /** The Amazon Data Firehose stream (name) that writes raw events to the warehouse bucket. */
  PRODUCT_WAREHOUSE_STREAM: z.string().min(1),
  AWS_REGION: z.string().min(1).default('us-east-1'),
});
export type WarehouseEnv = z.infer<typeof warehouseEnvSchema>;

/** Reads the product-activity consumer's settings once per container; fails fast when one is missing. */
export function readWarehouseEnv(source: NodeJS.ProcessEnv = process.env): WarehouseEnv {
  return warehouseEnvSchema.parse(source);
}
