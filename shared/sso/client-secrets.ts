import {
  CreateSecretCommand,
  DeleteSecretCommand,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';

/** Where tenants' OIDC client secrets are kept: one secret per tenant, written, never read back by the API. */
export interface ClientSecretStore {
  /** Stores (or replaces) the tenant's client secret; returns the secret's ARN. */
  put(tenantId: string, secret: string): Promise<string>;
  /** Deletes the tenant's secret at once (no recovery window); nothing when there is none. */
  remove(tenantId: string): Promise<void>;
}

/** The secret's name: `<prefix><tenantId>`, e.g. `plinth/prod/sso/<tenantId>` (the IAM grant names the prefix). */
export const secretNameFor = (prefix: string, tenantId: string) => `${prefix}${tenantId}`;

export function createSecretsManagerStore(client: SecretsManagerClient, prefix: string): ClientSecretStore {
  return {
    async put(tenantId, secret) {
      const name = secretNameFor(prefix, tenantId);
      try {
        const created = await client.send(
          new CreateSecretCommand({
            Name: name,
            SecretString: secret,
            Description: `Plinth: the OIDC client secret of tenant ${tenantId}'s SSO provider`,
          }),
        );
        if (!created.ARN) throw new Error(`CreateSecret returned no ARN for ${name}`);
        return created.ARN;
      } catch (error) {
        if (!(error instanceof ResourceExistsException)) throw error;
      }
      const updated = await client.send(new PutSecretValueCommand({ SecretId: name, SecretString: secret }));
      if (!updated.ARN) throw new Error(`PutSecretValue returned no ARN for ${name}`);
      return updated.ARN;
    },
    async remove(tenantId) {
      try {
        await client.send(
          new DeleteSecretCommand({
            SecretId: secretNameFor(prefix, tenantId),
            ForceDeleteWithoutRecovery: true,
          }),
        );
      } catch (error) {
        if (!(error instanceof ResourceNotFoundException)) throw error;
      }
    },
  };
}
