import * as z from 'zod';
import { hasSecretKey, secretKeyMissing, stripeClientEnvShape } from '../billing/stripe-client.env.ts';

/**
 * The erasure workers' environment (functions/erasure-run, functions/tenant-purge), read once per
 * container and failing fast. The API function reads only `ERASURE_PSEUDONYM_KEY` (through
 * {@link pseudonymKeyOf}) besides its usual environment.
 */
export const erasureWorkerEnv = z
  .object({
    TABLE_NAME: z.string().min(1),
    USER_POOL_ID: z.string().min(1),
    AWS_REGION: z.string().min(1).default('us-east-1'),
    AWS_ENDPOINT_URL: z.url().optional(),
    ERASURE_PSEUDONYM_KEY: z.string().min(16).optional(),
    /** The exports bucket (functions/export-*): its `tenants/<tenantId>/` objects go with a purge. */
    EXPORTS_BUCKET_NAME: z.string().min(1).optional(),
    /** Where the tenants' SSO client secrets are (shared/sso/sso.env.ts): a purge deletes its tenant's. */
    SSO_SECRET_PREFIX: z.string().min(1),
    /**
     * The SSO app client (shared/sso/sso.env.ts): after a purge deletes its tenant's provider, the
     * client's list of providers is set to those the pool still has, as removing SSO does.
     */
    SSO_CLIENT_ID: z.string().min(1).optional(),
    /** The product warehouse bucket (lib/constructs/product-warehouse.ts): the `warehouse` step's. */
    WAREHOUSE_BUCKET_NAME: z.string().min(1).optional(),
    /**
     * Seconds the `warehouse` step waits after the table's copies are deleted, for late Firehose
     * deliveries (shared/erasure/warehouse-step.ts); locally 0, as moto's Firehose writes at once.
     */
    WAREHOUSE_SETTLE_SECONDS: z.coerce.number().int().min(0).optional(),
    /** Days a soft-deleted tenant is kept before the tenant-purge schedule erases it (lib/stage.ts). */
    TENANT_PURGE_GRACE_DAYS: z.coerce.number().int().min(0).max(3650).default(30),
    ...stripeClientEnvShape,
  })
  // A purge deletes the tenant's Stripe customer.
  .refine(hasSecretKey, secretKeyMissing);
export type ErasureWorkerEnv = z.infer<typeof erasureWorkerEnv>;

// Where the key of pseudonyms is chosen; re-exported for the workers and tests that read it here.
export { pseudonymKeyOf } from './pseudonym.ts';
