import { readStripeClientEnv, type StripeClientEnv } from '../billing/stripe-client.env.ts';
import { environmentReader, nonEmpty, readAwsClientSettings, wholeNumber } from '../config/env-rules.ts';

/**
 * The erasure workers' environment (functions/erasure-run, functions/tenant-purge), read once per
 * container and failing fast. The API function reads only `ERASURE_PSEUDONYM_KEY` (through
 * {@link pseudonymKeyOf}) besides its usual environment.
 */
export interface ErasureWorkerEnv extends StripeClientEnv {
  readonly TABLE_NAME: string;
  readonly USER_POOL_ID: string;
  readonly AWS_REGION: string;
  readonly AWS_ENDPOINT_URL: string | undefined;
  /** At least 16 characters (shared/erasure/pseudonym.ts). */
  readonly ERASURE_PSEUDONYM_KEY: string | undefined;
  /** The exports bucket (functions/export-*): its `tenants/<tenantId>/` objects go with a purge. */
  readonly EXPORTS_BUCKET_NAME: string | undefined;
  /** Where the tenants' SSO client secrets are (shared/sso/sso.env.ts): a purge deletes its tenant's. */
  readonly SSO_SECRET_PREFIX: string;
  /**
   * The SSO app client (shared/sso/sso.env.ts): after a purge deletes its tenant's provider, the
   * client's list of providers is set to those the pool still has, as removing SSO does.
   */
  readonly SSO_CLIENT_ID: string | undefined;
  /** The product warehouse bucket (lib/constructs/product-warehouse.ts): the `warehouse` step's. */
  readonly WAREHOUSE_BUCKET_NAME: string | undefined;
  /**
   * Seconds the `warehouse` step waits after the table's copies are deleted, for late Firehose
   * deliveries (shared/erasure/warehouse-step.ts); locally 0, as moto's Firehose writes at once.
   */
  readonly WAREHOUSE_SETTLE_SECONDS: number | undefined;
  /** Days a soft-deleted tenant is kept before the tenant-purge schedule erases it (lib/stage.ts). */
  readonly TENANT_PURGE_GRACE_DAYS: number;
}

/** Reads the erasure workers' environment; fails fast naming every bad variable. */
export function readErasureWorkerEnv(source: NodeJS.ProcessEnv = process.env): ErasureWorkerEnv {
  const read = environmentReader(source, 'erasure');
  const settle = read.optional('WAREHOUSE_SETTLE_SECONDS', wholeNumber(0, Number.MAX_SAFE_INTEGER));
  return read.done({
    TABLE_NAME: read.required('TABLE_NAME'),
    USER_POOL_ID: read.required('USER_POOL_ID'),
    ...readAwsClientSettings(read),
    ERASURE_PSEUDONYM_KEY: read.optional('ERASURE_PSEUDONYM_KEY', (key) => key.length >= 16),
    EXPORTS_BUCKET_NAME: read.optional('EXPORTS_BUCKET_NAME', nonEmpty),
    SSO_SECRET_PREFIX: read.required('SSO_SECRET_PREFIX'),
    SSO_CLIENT_ID: read.optional('SSO_CLIENT_ID', nonEmpty),
    WAREHOUSE_BUCKET_NAME: read.optional('WAREHOUSE_BUCKET_NAME', nonEmpty),
    WAREHOUSE_SETTLE_SECONDS: settle === undefined ? undefined : Number(settle),
    TENANT_PURGE_GRACE_DAYS: Number(read.optional('TENANT_PURGE_GRACE_DAYS', wholeNumber(0, 3650)) ?? 30),
    // A purge deletes the tenant's Stripe customer.
    ...readStripeClientEnv(read),
  });
}

// Where the key of pseudonyms is chosen; re-exported for the workers and tests that read it here.
export { pseudonymKeyOf } from './pseudonym.ts';
