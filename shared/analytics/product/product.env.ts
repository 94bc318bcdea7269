import { environmentReader, nonEmpty, type Rule, wholeNumber } from '../../config/env-rules.ts';

/**
 * Days a raw product event is kept before it expires by TTL; its aggregates stay. Set per stage by
 * the CDK app (`productEventTtlDays`, lib/stage.ts); at least 8, so an event backdated by the 7 days
 * allowed still outlives its day.
 */
export const productEventTtlDays: Rule = wholeNumber(8, 3650);

/** What the product-analytics functions read besides the common env (shared/config/env.ts). */
export interface ProductEnv {
  readonly PRODUCT_EVENT_TTL_DAYS: number;
}

/** Reads the product-analytics settings once per container; fails fast on a bad value. */
export function readProductEnv(source: NodeJS.ProcessEnv = process.env): ProductEnv {
  const read = environmentReader(source, 'product analytics');
  return read.done({
    PRODUCT_EVENT_TTL_DAYS: Number(read.optional('PRODUCT_EVENT_TTL_DAYS', productEventTtlDays) ?? 90),
  });
}

/** What the product-activity consumer reads besides its table: where raw events go for the warehouse. */
export interface WarehouseEnv extends ProductEnv {
  /** The Amazon Data Firehose stream (name) that writes raw events to the warehouse bucket. */
  readonly PRODUCT_WAREHOUSE_STREAM: string;
  readonly AWS_REGION: string;
}

/** Reads the product-activity consumer's settings once per container; fails fast when one is missing. */
export function readWarehouseEnv(source: NodeJS.ProcessEnv = process.env): WarehouseEnv {
  const read = environmentReader(source, 'product analytics');
  return read.done({
    PRODUCT_EVENT_TTL_DAYS: Number(read.optional('PRODUCT_EVENT_TTL_DAYS', productEventTtlDays) ?? 90),
    PRODUCT_WAREHOUSE_STREAM: read.required('PRODUCT_WAREHOUSE_STREAM'),
    AWS_REGION: read.optional('AWS_REGION', nonEmpty) ?? 'us-east-1',
  });
}
