import {
  type CognitoIdentityProviderClient,
  CreateIdentityProviderCommand,
  DeleteIdentityProviderCommand,
  DescribeIdentityProviderCommand,
  DescribeUserPoolClientCommand,
  ListIdentityProvidersCommand,
  ResourceNotFoundException,
  UpdateIdentityProviderCommand,
  UpdateUserPoolClientCommand,
  type UpdateUserPoolClientCommandInput,
  type UserPoolClientType,
} from '@aws-sdk/client-cognito-identity-provider';
import { tenantOfProvider } from './sso.records.ts';

/** A tenant's provider as the user pool holds it. */
export type ProviderSpec =
  | { readonly name: string; readonly protocol: 'saml'; readonly metadataUrl: string }
  | {
      readonly name: string;
      readonly protocol: 'oidc';
      readonly issuer: string;
      readonly clientId: string;
      readonly clientSecret: string;
    };

/**
 * The user pool's identity providers of the tenants, and the SSO app client they are attached to.
 * Plinth's providers are the pool's providers named `sso-<tenantId>`; the SSO client supports
 * exactly those (the CDK app creates the client but never sets its providers, so a deploy keeps them).
 */
export interface IdentityProviderDirectory {
  /** Creates the provider, or updates it (re-creates it when its protocol changed). */
  upsert(spec: ProviderSpec): Promise<void>;
  /** Deletes the provider; nothing when it does not exist. */
  remove(name: string): Promise<void>;
  /**
   * Sets the SSO client's supported providers to every tenant provider in the pool. Read-modify-
   * write of the client, so it re-reads and repeats until the client shows what the pool holds:
   * two tenants changing their SSO at once both end up attached.
   */
  attachAll(): Promise<readonly string[]>;
}

/** The attributes Cognito maps from each protocol's assertion to the user's email. */
const emailMapping = {
  saml: { email: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress' },
  oidc: { email: 'email', email_verified: 'email_verified' },
} as const;

function detailsOf(spec: ProviderSpec): Record<string, string> {
  if (spec.protocol === 'saml') return { MetadataURL: spec.metadataUrl, IDPSignout: 'false' };
  return {
    client_id: spec.clientId,
    client_secret: spec.clientSecret,
    oidc_issuer: spec.issuer,
    authorize_scopes: 'openid email profile',
    attributes_request_method: 'GET',
  };
}

const cognitoType = { saml: 'SAML', oidc: 'OIDC' } as const;

/** The fields of a described client that UpdateUserPoolClient takes (it resets any field left out). */
export function clientUpdateInput(
  userPoolId: string,
  client: UserPoolClientType,
  providers: readonly string[],
): UpdateUserPoolClientCommandInput {
  return {
    UserPoolId: userPoolId,
    ClientId: client.ClientId,
    ClientName: client.ClientName,
    RefreshTokenValidity: client.RefreshTokenValidity,
    AccessTokenValidity: client.AccessTokenValidity,
    IdTokenValidity: client.IdTokenValidity,
    TokenValidityUnits: client.TokenValidityUnits,
    ReadAttributes: client.ReadAttributes,
    WriteAttributes: client.WriteAttributes,
    ExplicitAuthFlows: client.ExplicitAuthFlows,
    SupportedIdentityProviders: [...providers],
    CallbackURLs: client.CallbackURLs,
    LogoutURLs: client.LogoutURLs,
    DefaultRedirectURI: client.DefaultRedirectURI,
    AllowedOAuthFlows: client.AllowedOAuthFlows,
    AllowedOAuthScopes: client.AllowedOAuthScopes,
    AllowedOAuthFlowsUserPoolClient: client.AllowedOAuthFlowsUserPoolClient,
    AnalyticsConfiguration: client.AnalyticsConfiguration,
    PreventUserExistenceErrors: client.PreventUserExistenceErrors,
    EnableTokenRevocation: client.EnableTokenRevocation,
    EnablePropagateAdditionalUserContextData: client.EnablePropagateAdditionalUserContextData,
    AuthSessionValidity: client.AuthSessionValidity,
    RefreshTokenRotation: client.RefreshTokenRotation,
  };
}

const sameSet = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((name) => b.includes(name));

export function createCognitoIdentityProviders(
  cognito: CognitoIdentityProviderClient,
  pool: { readonly userPoolId: string; readonly ssoClientId: string },
): IdentityProviderDirectory {
  const { userPoolId, ssoClientId } = pool;

  async function existingType(name: string): Promise<string | undefined> {
    try {
      const { IdentityProvider } = await cognito.send(
        new DescribeIdentityProviderCommand({ UserPoolId: userPoolId, ProviderName: name }),
      );
      return IdentityProvider?.ProviderType;
    } catch (error) {
      if (error instanceof ResourceNotFoundException) return undefined;
      throw error;
    }
  }

  async function tenantProviders(): Promise<string[]> {
    const names: string[] = [];
    let NextToken: string | undefined;
    do {
      const page = await cognito.send(
        new ListIdentityProvidersCommand({ UserPoolId: userPoolId, MaxResults: 60, NextToken }),
      );
      for (const provider of page.Providers ?? []) {
        if (provider.ProviderName && tenantOfProvider(provider.ProviderName))
          names.push(provider.ProviderName);
      }
      NextToken = page.NextToken;
    } while (NextToken);
    return names.sort();
  }

  async function describeClient(): Promise<UserPoolClientType> {
    const { UserPoolClient } = await cognito.send(
      new DescribeUserPoolClientCommand({ UserPoolId: userPoolId, ClientId: ssoClientId }),
    );
    if (!UserPoolClient) throw new Error(`The SSO app client ${ssoClientId} was not found.`);
    return UserPoolClient;
  }

  async function remove(name: string): Promise<void> {
    try {
      await cognito.send(new DeleteIdentityProviderCommand({ UserPoolId: userPoolId, ProviderName: name }));
    } catch (error) {
      if (!(error instanceof ResourceNotFoundException)) throw error;
    }
  }

  return {
    async upsert(spec) {
      const type = cognitoType[spec.protocol];
      const current = await existingType(spec.name);
      if (current !== undefined && current !== type) {
        // A provider's type cannot change: detach and re-create it under the same name.
        await remove(spec.name);
      }
      const fields = {
        UserPoolId: userPoolId,
        ProviderName: spec.name,
        ProviderDetails: detailsOf(spec),
        AttributeMapping: { ...emailMapping[spec.protocol] },
      };
      if (current === type) await cognito.send(new UpdateIdentityProviderCommand(fields));
      else await cognito.send(new CreateIdentityProviderCommand({ ...fields, ProviderType: type }));
    },

    remove,

    async attachAll() {
      for (let attempt = 0; attempt < 5; attempt++) {
        const wanted = await tenantProviders();
        const client = await describeClient();
        if (!sameSet(client.SupportedIdentityProviders ?? [], wanted)) {
          await cognito.send(new UpdateUserPoolClientCommand(clientUpdateInput(userPoolId, client, wanted)));
        }
        // Settled when the pool and the client agree after the write (no change raced it).
        const [after, again] = await Promise.all([describeClient(), tenantProviders()]);
        if (sameSet(after.SupportedIdentityProviders ?? [], again)) return again;
      }
      throw new Error('The SSO app client kept changing while its identity providers were attached; retry.');
    },
  };
}
