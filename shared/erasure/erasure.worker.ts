import type { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { deferred, once } from '../app/deferred.ts';
import { lazyStripeClient } from '../billing/stripe-client.ts';
import { createDocumentClient, type Db } from '../db/client.ts';
import { newId, systemClock } from '../ids.ts';
import { traceClient } from '../observability/tracer.ts';
import type { IdentityDirectory } from '../users/identity-directory.ts';
import { type ErasureWorkerEnv, pseudonymKeyOf, readErasureWorkerEnv } from './erasure.env.ts';
import type {
  ExportArchiveEraser,
  StripeCustomerEraser,
  TenantSsoEraser,
  UserPoolEraser,
  WarehouseRedactor,
} from './erasure.ports.ts';
import type { ErasureRunner } from './erasure.runner.ts';
import { createErasureService } from './erasure.service.ts';
import { createErasureStore } from './erasure.store.ts';

/**
 * What the erasure workers (functions/erasure-run, functions/tenant-purge) build once per container
 * from their environment: the runner with its adapters (Cognito, Stripe through the billing client,
 * the exports bucket and the product warehouse when configured, the tenants' SSO in the pool and
 * Secrets Manager).
 *
 * Every adapter that talks to something other than the table is built on its first use, its AWS
 * client (or stripe-node) brought in with `await import()`: most runs of the schedule find nothing
 * pending, and a cold start that loaded Cognito, S3, Secrets Manager and Stripe would pay for all
 * four every time (BENCHMARKS.md "Bundles": the cold-start budget). So are the runner's steps, with
 * the first erasure a run finds pending.
 */
export function createErasureWorker(environment: NodeJS.ProcessEnv = process.env) {
  const env: ErasureWorkerEnv = readErasureWorkerEnv(environment);
  const db: Db = {
    client: createDocumentClient({ region: env.AWS_REGION, endpoint: env.AWS_ENDPOINT_URL }),
    tableName: env.TABLE_NAME,
  };
  // One Cognito client for the user eraser, the tenants' providers and the directory.
  const cognito = once(async (): Promise<CognitoIdentityProviderClient> => {
    const { CognitoIdentityProviderClient } = await import('@aws-sdk/client-cognito-identity-provider');
    return traceClient(new CognitoIdentityProviderClient({ region: env.AWS_REGION }));
  });
  const adapters = once(() => import('./adapters.ts'));
  const stripeClient = lazyStripeClient(env);
  const store = createErasureStore(db);
  const pseudonymKey = pseudonymKeyOf(env);
  const bucket = env.EXPORTS_BUCKET_NAME;
  const warehouseBucket = env.WAREHOUSE_BUCKET_NAME;
  const loadRunner = once(async () => {
    const { createErasureRunner } = await import('./erasure.runner.ts');
    return createErasureRunner({
      db,
      store,
      clock: systemClock,
      pseudonymKey,
      userPool: deferred<UserPoolEraser>(async () =>
        (await adapters()).createCognitoUserEraser(await cognito(), env.USER_POOL_ID),
      ),
      stripe: deferred<StripeCustomerEraser>(async () =>
        (await adapters()).createStripeCustomerEraser(stripeClient),
      ),
      exports: bucket
        ? deferred<ExportArchiveEraser>(async () => {
            const [{ S3Client }, { createS3ExportEraser }] = await Promise.all([
              import('@aws-sdk/client-s3'),
              adapters(),
            ]);
            const s3 = new S3Client({
              region: env.AWS_REGION,
              forcePathStyle: Boolean(env.AWS_ENDPOINT_URL),
            });
            return createS3ExportEraser(traceClient(s3), bucket);
          })
        : undefined,
      sso: deferred<TenantSsoEraser>(async () => {
        const [{ SecretsManagerClient }, { createTenantSsoEraser }] = await Promise.all([
          import('@aws-sdk/client-secrets-manager'),
          import('./sso-eraser.ts'),
        ]);
        return createTenantSsoEraser(
          await cognito(),
          traceClient(new SecretsManagerClient({ region: env.AWS_REGION })),
          {
            userPoolId: env.USER_POOL_ID,
            secretPrefix: env.SSO_SECRET_PREFIX,
            ssoClientId: env.SSO_CLIENT_ID,
          },
        );
      }),
      warehouse: warehouseBucket
        ? // The redactor's module (zlib, streams) comes with its first use, as its S3 client does.
          deferred<WarehouseRedactor>(async () =>
            (await import('./warehouse-redaction.ts')).lazyWarehouseRedactor({
              bucket: warehouseBucket,
              region: env.AWS_REGION,
              endpoint: env.AWS_ENDPOINT_URL,
              wrap: traceClient,
            }),
          )
        : undefined,
      ...(env.WAREHOUSE_SETTLE_SECONDS === undefined
        ? {}
        : { warehouseSettleMs: env.WAREHOUSE_SETTLE_SECONDS * 1000 }),
    });
  });
  const runner = {
    /**
     * The runner's runPending, its steps (and what they import) loaded with the first erasure the
     * schedule finds pending: most runs find none, and answer from one Query.
     */
    async runPending(limit?: number): ReturnType<ErasureRunner['runPending']> {
      if ((await store.pendingIds(1)).length === 0)
        return { completed: 0, blocked: 0, deferred: 0, failed: 0 };
      return (await loadRunner()).runPending(limit);
    },
  };
  return { env, db, store, pseudonymKey, cognito, runner };
}

/**
 * The tenant-purge worker: {@link createErasureWorker}'s runner plus the requesting service, which
 * asks for the purges that are due (functions/erasure-run needs no service, so its bundle holds none).
 */
export function createPurgeWorker(environment: NodeJS.ProcessEnv = process.env) {
  const { env, db, store, pseudonymKey, cognito, runner } = createErasureWorker(environment);
  const service = createErasureService({
    db,
    store,
    clock: systemClock,
    newId: () => newId(),
    pseudonymKey,
    directory: deferred<IdentityDirectory>(async () => {
      const { createCognitoDirectory } = await import('../users/identity-directory.ts');
      return createCognitoDirectory(await cognito(), env.USER_POOL_ID);
    }),
  });
  return { env, runner, service };
}
