import { Aws, Duration } from 'aws-cdk-lib';
import { OAuthScope, type UserPool, type UserPoolClient, type UserPoolDomain } from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import { userPoolDefinition } from '../../shared/auth/user-pool.ts';
import type { StageConfig } from '../stage.ts';

export interface SsoAppClientProps {
  readonly userPool: UserPool;
  readonly stage: StageConfig;
  /** The product's web app: the hosted UI returns the authorization code to `<appUrl>/sso/callback`. */
  readonly appUrl: string;
  /**
   * The hosted UI's domain prefix (`<prefix>.auth.<region>.amazoncognito.com`), unique per region.
   * @default `plinth-<stage>-<account id>`
   */
  readonly domainPrefix?: string;
}

/** Where the hosted UI sends a user back after SSO, for a given app URL. */
export const ssoCallbackUrlFor = (appUrl: string) => new URL('/sso/callback', appUrl).toString();

/**
 * The app client of federated sign-ins (enterprise SSO) and the user pool domain its hosted UI
 * runs on. Its identity providers are the tenants', created at run time by the `sso` function
 * (shared/sso/identity-providers.ts): this construct never names any, so CloudFormation leaves the
 * client's `SupportedIdentityProviders` to the function. It allows no password flow (only refresh
 * tokens and the OAuth code grant through the tenants' providers), so every token it issues comes
 * from a federated sign-in: what a tenant that requires SSO checks (shared/tenancy/tenant-context.ts).
 */
export class SsoAppClient extends Construct {
  readonly client: UserPoolClient;
  readonly domain: UserPoolDomain;
  /** The hosted UI's base URL (`SSO_HOSTED_UI_URL`). */
  readonly hostedUiUrl: string;
  readonly callbackUrl: string;

  constructor(scope: Construct, id: string, props: SsoAppClientProps) {
    super(scope, id);
    const { appClient } = userPoolDefinition;
    this.domain = props.userPool.addDomain('Domain', {
      cognitoDomain: { domainPrefix: props.domainPrefix ?? `plinth-${props.stage.name}-${Aws.ACCOUNT_ID}` },
    });
    this.callbackUrl = ssoCallbackUrlFor(props.appUrl);
    this.client = props.userPool.addClient('Client', {
      userPoolClientName: `${appClient.name}-sso`,
      generateSecret: false,
      // No password, SRP or custom flow: only refresh tokens (a non-empty object, else Cognito's defaults apply).
      authFlows: { userPassword: false },
      oAuth: {
        flows: { authorizationCodeGrant: true },
        scopes: [OAuthScope.OPENID, OAuthScope.EMAIL, OAuthScope.PROFILE],
        callbackUrls: [this.callbackUrl],
        logoutUrls: [props.appUrl],
      },
      // Empty: CDK then writes no SupportedIdentityProviders, and the run-time list survives deploys.
      supportedIdentityProviders: [],
      accessTokenValidity: Duration.minutes(appClient.accessTokenValidityMinutes),
      idTokenValidity: Duration.minutes(appClient.idTokenValidityMinutes),
      refreshTokenValidity: Duration.days(appClient.refreshTokenValidityDays),
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
    });
    this.hostedUiUrl = this.domain.baseUrl();
  }
}
