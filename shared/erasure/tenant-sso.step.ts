import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Db } from '../db/client.ts';
import { keys } from '../db/keys.ts';
import type { TenantSsoEraser } from './erasure.ports.ts';
import type { StepResult } from './erasure.runner.ts';

/**
 * The `sso-provider` step of a tenant's purge: the tenant's identity provider goes from the user pool
 * (no sign-in is routed to it any more) and then its OIDC client secret from Secrets Manager. Both
 * are deleted by the names shared/sso/ gives them, so the step is complete even when the tenant's SSO
 * config item is gone, and safe to repeat (what is already gone is done). Runs before `tenant-items`,
 * which deletes the config item the counts are read from.
 */
export async function eraseTenantSso(
  deps: { readonly db: Db; readonly sso?: TenantSsoEraser | undefined },
  erasureId: string,
  tenantId: string,
): Promise<StepResult> {
  if (!deps.sso) return { status: 'skipped', note: 'no SSO eraser is configured here' };
  const { db } = deps;
  const { Item: config } = await db.client.send(
    new GetCommand({ TableName: db.tableName, Key: keys.ssoConfig(tenantId), ConsistentRead: true }),
  );
  const providerDeleted = await deps.sso.deleteIdentityProvider(tenantId);
  await deps.sso.deleteClientSecret(tenantId);
  // What the tenant had, from its config (which stays until `tenant-items`): a re-run after a crash
  // finds the provider gone, and Secrets Manager never says whether a forced delete found the secret.
  const counts = {
    ...(providerDeleted || config ? { 'identity-provider': 1 } : {}),
    ...(typeof config?.secretArn === 'string' ? { 'client-secret': 1 } : {}),
  };
  if (Object.keys(counts).length > 0) {
    // SET, not ADD: a re-run writes the same counts again instead of counting twice.
    try {
      await db.client.send(
        new UpdateCommand({
          TableName: db.tableName,
          Key: keys.erasureReport(erasureId),
          UpdateExpression: 'SET progress.#step = :counts',
          ConditionExpression: 'attribute_not_exists(steps.#step)',
          ExpressionAttributeNames: { '#step': 'sso-provider' },
          ExpressionAttributeValues: { ':counts': counts },
        }),
      );
    } catch (error) {
      // Recorded as finished meanwhile, with its counts.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
  return config || providerDeleted
    ? { status: 'done' }
    : { status: 'done', note: 'the tenant had no SSO identity provider' };
}
