import {
  type CognitoIdentityProviderClient,
  DeleteIdentityProviderCommand,
  ResourceNotFoundException as ProviderNotFoundException,
} from '@aws-sdk/client-cognito-identity-provider';
import {
  DeleteSecretCommand,
  ResourceNotFoundException as SecretNotFoundException,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { secretNameFor } from '../sso/client-secrets.ts';
import { providerNameFor } from '../sso/sso.records.ts';
import type { TenantSsoEraser } from './erasure.ports.ts';

/**
 * Deletes a purged tenant's SSO where shared/sso/ put it: the pool's provider `sso-<tenantId>`
 * (DeleteIdentityProvider) and the secret `<prefix><tenantId>` (DeleteSecret). Both names follow from
 * the tenant id alone, so the step works whether or not the tenant's SSO config item still exists.
 *
 * The secret goes with `ForceDeleteWithoutRecovery`, as when a tenant removes its SSO: the purge
 * comes after the tenant's grace period, so a further 7 to 30 days in which the client secret could
 * be restored would keep a credential of the tenant's identity provider with no use left for it.
 */
export function createTenantSsoEraser(
  cognito: CognitoIdentityProviderClient,
  secrets: SecretsManagerClient,
  config: { readonly userPoolId: string; readonly secretPrefix: string },
): TenantSsoEraser {
  return {
    async deleteIdentityProvider(tenantId) {
      try {
        await cognito.send(
          new DeleteIdentityProviderCommand({
            UserPoolId: config.userPoolId,
            ProviderName: providerNameFor(tenantId),
          }),
        );
        return true;
      } catch (error) {
        if (error instanceof ProviderNotFoundException) return false;
        throw error;
      }
    },

    async deleteClientSecret(tenantId) {
      try {
        await secrets.send(
          new DeleteSecretCommand({
            SecretId: secretNameFor(config.secretPrefix, tenantId),
            ForceDeleteWithoutRecovery: true,
          }),
        );
      } catch (error) {
        if (!(error instanceof SecretNotFoundException)) throw error;
      }
    },
  };
}
