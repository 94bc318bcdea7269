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
import { createCognitoIdentityProviders } from '../sso/identity-providers.ts';
import { providerNameFor } from '../sso/sso.records.ts';
import type { TenantSsoEraser } from './erasure.ports.ts';

/**
 * Deletes a purged tenant's SSO where shared/sso/ put it: the pool's provider `sso-<tenantId>`
 * (DeleteIdentityProvider) and the secret `<prefix><tenantId>` (DeleteSecret). Both names follow from
 * the tenant id alone, so the step works whether or not the tenant's SSO config item still exists.
 *
 * With the SSO app client's id, the provider's deletion is followed by setting the client's list of
 * providers to those the pool still has (shared/sso/identity-providers.ts `attachAll`, as removing
 * SSO does), also when the provider was already gone: a run that crashed between the two finishes it.
 *
 * The secret goes with `ForceDeleteWithoutRecovery`, as when a tenant removes its SSO: the purge
 * comes after the tenant's grace period, so a further 7 to 30 days in which the client secret could
 * be restored would keep a credential of the tenant's identity provider with no use left for it.
 */
export function createTenantSsoEraser(
  cognito: CognitoIdentityProviderClient,
  secrets: SecretsManagerClient,
  config: {
    readonly userPoolId: string;
    readonly secretPrefix: string;
    /** The SSO app client whose provider list follows the pool's (SSO_CLIENT_ID). */
    readonly ssoClientId?: string | undefined;
  },
): TenantSsoEraser {
  const { userPoolId, ssoClientId } = config;
  return {
    async deleteIdentityProvider(tenantId) {
      let deleted = true;
      try {
        await cognito.send(
          new DeleteIdentityProviderCommand({
            UserPoolId: userPoolId,
            ProviderName: providerNameFor(tenantId),
          }),
        );
      } catch (error) {
        if (!(error instanceof ProviderNotFoundException)) throw error;
        deleted = false;
      }
      if (ssoClientId) await createCognitoIdentityProviders(cognito, { userPoolId, ssoClientId }).attachAll();
      return deleted;
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
