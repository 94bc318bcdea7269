import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { S3Client } from '@aws-sdk/client-s3';
import { lazyStripeClient } from '../billing/stripe-client.ts';
import { createDocumentClient, type Db } from '../db/client.ts';
import { newId, systemClock } from '../ids.ts';
import { traceClient } from '../observability/tracer.ts';
import { createCognitoDirectory } from '../users/identity-directory.ts';
import { createCognitoUserEraser, createS3ExportEraser, createStripeCustomerEraser } from './adapters.ts';
import { type ErasureWorkerEnv, erasureWorkerEnv, pseudonymKeyOf } from './erasure.env.ts';
import { createErasureRunner } from './erasure.runner.ts';
import { createErasureService } from './erasure.service.ts';
import { createErasureStore } from './erasure.store.ts';
import { lazyWarehouseRedactor } from './warehouse-redaction.ts';

/**
 * What the erasure workers (functions/erasure-run, functions/tenant-purge) build once per container
 * from their environment: the runner with its adapters (Cognito, Stripe through the billing client,
 * the exports bucket and the product warehouse when configured) and the requesting service.
 */
export function createErasureWorker(environment: NodeJS.ProcessEnv = process.env) {
  const env: ErasureWorkerEnv = erasureWorkerEnv.parse(environment);
  const db: Db = {
    client: createDocumentClient({ region: env.AWS_REGION, endpoint: env.AWS_ENDPOINT_URL }),
    tableName: env.TABLE_NAME,
  };
  const cognito = traceClient(new CognitoIdentityProviderClient({ region: env.AWS_REGION }));
  const store = createErasureStore(db);
  const pseudonymKey = pseudonymKeyOf(env);
  const runner = createErasureRunner({
    db,
    store,
    clock: systemClock,
    pseudonymKey,
    userPool: createCognitoUserEraser(cognito, env.USER_POOL_ID),
    stripe: createStripeCustomerEraser(lazyStripeClient(env)),
    exports: env.EXPORTS_BUCKET_NAME
      ? createS3ExportEraser(
          traceClient(
            new S3Client({ region: env.AWS_REGION, forcePathStyle: Boolean(env.AWS_ENDPOINT_URL) }),
          ),
          env.EXPORTS_BUCKET_NAME,
        )
      : undefined,
    warehouse: env.WAREHOUSE_BUCKET_NAME
      ? lazyWarehouseRedactor({
          bucket: env.WAREHOUSE_BUCKET_NAME,
          region: env.AWS_REGION,
          endpoint: env.AWS_ENDPOINT_URL,
          wrap: traceClient,
        })
      : undefined,
    ...(env.WAREHOUSE_SETTLE_SECONDS === undefined
      ? {}
      : { warehouseSettleMs: env.WAREHOUSE_SETTLE_SECONDS * 1000 }),
  });
  const service = createErasureService({
    db,
    store,
    clock: systemClock,
    newId: () => newId(),
    pseudonymKey,
    directory: createCognitoDirectory(cognito, env.USER_POOL_ID),
  });
  return { env, runner, service };
}
