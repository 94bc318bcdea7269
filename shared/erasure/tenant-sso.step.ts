import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { Db } from '../db/client.ts';
import { keys } from '../db/keys.ts';
import { transactWrite } from '../db/transact.ts';
import type { TenantSsoEraser } from './erasure.ports.ts';
import type { StepResult } from './erasure.runner.ts';
import type { ErasureStore } from './erasure.store.ts';

/**
 * The `sso-provider` step of a tenant's purge: the tenant's identity provider goes from the user pool
 * (no sign-in is routed to it any more) and then its OIDC client secret from Secrets Manager. Both
 * are deleted by the names shared/sso/ gives them, so the step is complete even when the tenant's SSO
 * config item is gone, and safe to repeat (what is already gone is done). Runs before `tenant-items`,
 * which deletes the config item the counts are read from.
 */
export async function eraseTenantSso(
  deps: { readonly db: Db; readonly store: ErasureStore; readonly sso?: TenantSsoEraser | undefined },
  erasureId: string,
  tenantId: string,
): Promise<StepResult> {
  if (!deps.sso) return { status: 'skipped', note: 'no SSO eraser is configured here' };
  const { Item: config } = await deps.db.client.send(
    new GetCommand({ TableName: deps.db.tableName, Key: keys.ssoConfig(tenantId), ConsistentRead: true }),
  );
  const providerDeleted = await deps.sso.deleteIdentityProvider(tenantId);
  await deps.sso.deleteClientSecret(tenantId);
  // Secrets Manager does not say whether a forced delete found the secret: the config says one was stored.
  const counts = {
    ...(providerDeleted ? { 'identity-provider': 1 } : {}),
    ...(typeof config?.secretArn === 'string' ? { 'client-secret': 1 } : {}),
  };
  if (Object.keys(counts).length > 0) {
    await transactWrite(deps.db, [deps.store.progressStep(erasureId, 'sso-provider', counts)]);
  }
  return providerDeleted || config
    ? { status: 'done' }
    : { status: 'done', note: 'the tenant had no SSO identity provider' };
}
