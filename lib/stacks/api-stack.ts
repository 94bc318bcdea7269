import { Aws, CfnOutput, Duration, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { AccessLogField, AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  CorsHttpMethod,
  HttpApi,
  HttpMethod,
  type HttpStage,
  LogGroupLogDestination,
} from 'aws-cdk-lib/aws-apigatewayv2';
import {
  HttpJwtAuthorizer,
  HttpLambdaAuthorizer,
  HttpLambdaResponseType,
} from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import type { IUserPool, IUserPoolClient } from 'aws-cdk-lib/aws-cognito';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import { PolicyStatement, type Role } from 'aws-cdk-lib/aws-iam';
import { type FunctionUrl, FunctionUrlAuthType } from 'aws-cdk-lib/aws-lambda';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { AUTHORIZER_CACHE_SECONDS, acceptsApiClients } from '../../shared/api-clients/scopes.ts';
import { issuerFor } from '../../shared/auth/user-pool.ts';
import { STRIPE_FUNCTION_TIMEOUT_SECONDS } from '../../shared/billing/stripe-budget.ts';
import { webhookMetricNames } from '../../shared/billing/webhooks/webhook.deps.ts';
import { API_KEY_PK_PREFIX } from '../../shared/db/keys.ts';
import { tableDefinition } from '../../shared/db/table.ts';
import { EVENT_SOURCE } from '../../shared/events/bus.ts';
import { EXPORT_REQUESTED } from '../../shared/exports/export-events.ts';
import { type FunctionArea, functionAreas, routeKey } from '../../shared/http/route.ts';
import { routeList } from '../../shared/http/routes.ts';
import { appMetric, countAlarm, failureAlarm } from '../constructs/alarms.ts';
import {
  AppFunction,
  defaultFunctionEntry,
  type TableAccess,
  type UserPoolAccess,
} from '../constructs/app-function.ts';
import { auditDigestBucketName, grantReadAuditDigests } from '../constructs/audit-digest-bucket.ts';
import { erasureKeyEnvironment } from '../constructs/erasure-key.ts';
import { exportsBucketName, grantPresignExports } from '../constructs/exports-bucket.ts';
import { type HealthWatch, watchHealth } from '../constructs/health-watch.ts';
import type { SsoAppClient } from '../constructs/sso-app-client.ts';
import { ssoSecretPrefixFor } from '../constructs/sso-secrets.ts';
import { createStageKey, logGroupEncryption } from '../constructs/stage-key.ts';
import { TenantDataRole } from '../constructs/tenant-data-role.ts';
import type { StageConfig } from '../stage.ts';
import type { StripeConfig } from '../stripe-config.ts';

/**
 * What each area's function may touch besides its own log group. Least privilege, reviewed here.
 * Every function that serves an operator route reads the operator with AdminGetUser (MFA enrolled?).
 */
interface AreaAccess {
  readonly table: TableAccess['mode'] | 'none';
  readonly userPoolActions: UserPoolAccess['actions'];
  readonly sendsEmail: boolean;
  /** Calls Stripe: reads the secret key parameter and gets the price ids and grace period. */
  readonly stripe: boolean;
  /** Reads queue depths and CloudWatch metrics of the whole stage (lib/constructs/health-watch.ts). */
  readonly watchesHealth?: boolean;
  /** Lists and reads the audit digests (verify and export routes). */
  readonly readsAuditDigests?: boolean;
  /** Creates, replaces and deletes tenants' OIDC client secrets under the stage's SSO prefix. */
  readonly writesSsoSecrets?: boolean;
  /** Presigns download links to export archives (s3:GetObject) and puts export requests on the bus. */
  readonly servesExports?: boolean;
}

/**
 * `me`, `tenants` (the new owner's email) and `invitations` read the caller's verified email with
 * AdminGetUser, since Cognito access tokens carry no email; `invitations` mails the invitation link;
 * `audit` only reads what other areas write, and `me` writes only the caller's profile (MFA status;
 * its enrolment calls Cognito with the user's own token, which needs no IAM grant); `system` (health, OpenAPI) touches
 * no data; `billing` (checkout, portal, plan changes) and `admin-billing` (refunds, credits, comps,
 * cancellations) call Stripe with the secret key. Checked against the handlers: widen an entry here when a handler starts needing more.
 */
export const areaAccess = {
  system: { table: 'none', userPoolActions: [], sendsEmail: false, stripe: false },
  me: { table: 'readWrite', userPoolActions: ['cognito-idp:AdminGetUser'], sendsEmail: false, stripe: false },
  tenants: {
    table: 'readWrite',
    userPoolActions: ['cognito-idp:AdminGetUser'],
    sendsEmail: false,
    stripe: false,
  },
  // AdminGetUser: the operator guard's MFA check of requests under impersonation (every area with
  // routes that may run under it).
  members: {
    table: 'readWrite',
    userPoolActions: ['cognito-idp:AdminGetUser'],
    sendsEmail: false,
    stripe: false,
  },
  invitations: {
    table: 'readWrite',
    userPoolActions: ['cognito-idp:AdminGetUser'],
    sendsEmail: true,
    stripe: false,
  },
  projects: {
    table: 'readWrite',
    userPoolActions: ['cognito-idp:AdminGetUser'],
    sendsEmail: false,
    stripe: false,
  },
  /**
   * Reads the audit log and its digests (verify, export); writes only the tenant's API request count
   * and the caller's sign-in time.
   */
  audit: {
    table: 'readWrite',
    userPoolActions: ['cognito-idp:AdminGetUser'],
    sendsEmail: false,
    stripe: false,
    readsAuditDigests: true,
  },
  billing: { table: 'readWrite', userPoolActions: [], sendsEmail: false, stripe: true },
  /** Refunds (Stripe); suspends, reactivates and resets users in the pool (shared/admin/user-admin.ts). */
  admin: {
    table: 'readWrite',
    userPoolActions: [
      'cognito-idp:AdminGetUser',
      'cognito-idp:AdminDisableUser',
      'cognito-idp:AdminEnableUser',
      'cognito-idp:AdminUserGlobalSignOut',
      'cognito-idp:AdminResetUserPassword',
    ],
    sendsEmail: false,
    stripe: false,
  },
  /** Finance operators' billing adjustments: the only operator function with the Stripe key. */
  'admin-billing': {
    table: 'readWrite',
    userPoolActions: ['cognito-idp:AdminGetUser'],
    sendsEmail: false,
    stripe: true,
  },
  /** Reads the rollup's snapshots and the recorded MRR movements; writes the audited acquisition spend. */
  metrics: {
    table: 'readWrite',
    userPoolActions: ['cognito-idp:AdminGetUser'],
    sendsEmail: false,
    stripe: false,
  },
  /** Records tracked events and their aggregates (conditional puts, transactions); reads the aggregates. */
  'product-analytics': {
    table: 'readWrite',
    userPoolActions: ['cognito-idp:AdminGetUser'],
    sendsEmail: false,
    stripe: false,
  },
  /** Opens, lists and ends impersonation sessions with their audit entries; asks the pool whether the user exists. */
  impersonation: {
    table: 'readWrite',
    userPoolActions: ['cognito-idp:AdminGetUser'],
    sendsEmail: false,
    stripe: false,
  },
  /** Operators' announcements (audited transactions) and users' reads and dismissals. */
  announcements: {
    table: 'readWrite',
    userPoolActions: ['cognito-idp:AdminGetUser'],
    sendsEmail: false,
    stripe: false,
  },
  /** Tickets and their history (transactions); mails support's replies; AdminGetUser for operators and assignees. */
  support: {
    table: 'readWrite',
    userPoolActions: ['cognito-idp:AdminGetUser'],
    sendsEmail: true,
    stripe: false,
  },
  /** Counts unpublished outbox items (gsi1); reads SQS queue attributes and CloudWatch metrics. */
  health: {
    table: 'read',
    userPoolActions: ['cognito-idp:AdminGetUser'],
    sendsEmail: false,
    stripe: false,
    watchesHealth: true,
  },
  /** A tenant's API clients and their key items, written with their audit entries (transactions). */
  'api-clients': { table: 'readWrite', userPoolActions: [], sendsEmail: false, stripe: false },
  /**
   * Accepts erasures (shared/erasure/): reads the caller's or user's email and memberships, writes the
   * report and its work item (and the platform audit entry); the workers do the erasing.
   */
  erasure: {
    table: 'readWrite',
    userPoolActions: ['cognito-idp:AdminGetUser'],
    sendsEmail: false,
    stripe: false,
  },
  /**
   * Export jobs (the caller's sign-in, the tenant's request count); AdminGetUser for the requester's
   * email (where the "ready" email goes); puts the worker's event on the bus; presigns downloads.
   */
  exports: {
    table: 'readWrite',
    userPoolActions: ['cognito-idp:AdminGetUser'],
    sendsEmail: false,
    stripe: false,
    servesExports: true,
  },
  /**
   * Public magic-link sign-in: counts its rate limits and stores a link's hash in the table, mails
   * the link; AdminGetUser finds the address's account, AdminInitiateAuth and
   * AdminRespondToAuthChallenge run the pool's custom auth flow (its triggers check the link).
   */
  'magic-link': {
    table: 'readWrite',
    userPoolActions: [
      'cognito-idp:AdminGetUser',
      'cognito-idp:AdminInitiateAuth',
      'cognito-idp:AdminRespondToAuthChallenge',
    ],
    sendsEmail: true,
    stripe: false,
  },
  /**
   * Tenants' SSO: their identity providers in the pool and the SSO client's provider list (read,
   * then written whole), their OIDC client secrets, the config and domain claims (transactions).
   */
  sso: {
    table: 'readWrite',
    userPoolActions: [
      'cognito-idp:AdminGetUser',
      'cognito-idp:CreateIdentityProvider',
      'cognito-idp:UpdateIdentityProvider',
      'cognito-idp:DeleteIdentityProvider',
      'cognito-idp:DescribeIdentityProvider',
      'cognito-idp:ListIdentityProviders',
      'cognito-idp:DescribeUserPoolClient',
      'cognito-idp:UpdateUserPoolClient',
    ],
    sendsEmail: false,
    stripe: false,
    writesSsoSecrets: true,
  },
} as const satisfies Record<FunctionArea, AreaAccess>;

/**
 * The routes reviewed as public. Any other route with `auth: 'none'` keeps its AwsSolutions-APIG4
 * finding and fails `cdk synth` until it is reviewed and listed here.
 */
const publicRouteKeys: ReadonlySet<string> = new Set([
  'GET /health',
  'GET /openapi.json',
  'GET /v1/plans',
  // Signing in: the caller has no token yet. Rate limited per address and client IP in the function.
  'POST /v1/auth/magic-link',
  'POST /v1/auth/magic-link/session',
  // Home-realm discovery: an authorize URL for a verified SSO domain, a 404 for anything else.
  'GET /v1/auth/sso',
]);

export interface ApiStackProps extends StackProps {
  readonly stage: StageConfig;
  readonly table: ITableV2;
  readonly userPool: IUserPool;
  readonly userPoolClient: IUserPoolClient;
  /** Enterprise SSO's app client (its tokens are accepted too) and hosted UI. */
  readonly sso: Pick<SsoAppClient, 'client' | 'hostedUiUrl' | 'callbackUrl'>;
  readonly eventBus: IEventBus;
  /** The product's web app: invitation links point here and CORS allows its origin. */
  readonly appUrl: string;
  /** The SES-verified sender of invitation and support emails. */
  readonly mailFrom: string;
  /** The SES configuration set mail goes through (bounces and complaints are reported from it). */
  readonly mailConfigurationSetName: string;
  /** The stage's Stripe settings: parameter names, price ids, grace period. */
  readonly stripe: StripeConfig;
  /**
   * Origins besides `appUrl`'s that checkout and portal redirect URLs may point to.
   * @default [] (the app's origin only)
   */
  readonly allowedRedirectOrigins?: readonly string[];
  /**
   * Days a tracked event stays in the table (`PRODUCT_EVENT_TTL_DAYS` of product-analytics).
   * @default stage.retention.productEventDays
   */
  readonly productEventTtlDays?: number;
  /**
   * The erasure pseudonym key (the data stack's secret): the erasure functions get its value as
   * `ERASURE_PSEUDONYM_KEY`, resolved by CloudFormation at deploy time. @default - none: pseudonyms
   * are keyed by the table name (shared/erasure/erasure.env.ts), as locally
   */
  readonly erasurePseudonymKey?: ISecret;
  /** @default defaultFunctionEntry (functions/<name>/handler.ts) */
  readonly functionEntry?: (name: string) => string;
  /**
   * The other stacks' functions and queues the health function watches, besides this stack's.
   * @default - this stack's functions only
   */
  readonly watched?: Pick<HealthWatch, 'functions' | 'queues'>;
}

/**
 * The HTTP API (one Lambda per feature area, one route per entry of `routeList`) and the Stripe
 * webhook's Lambda Function URL.
 */
export class ApiStack extends Stack {
  readonly httpApi: HttpApi;
  readonly apiStage: HttpStage;
  readonly functions: Readonly<Record<FunctionArea, AppFunction>>;
  readonly stripeWebhook: AppFunction;
  /** The role tenant-scoped requests assume (lib/constructs/tenant-data-role.ts). */
  readonly tenantDataRole: Role;
  readonly stripeWebhookUrl: FunctionUrl;
  /** The Lambda authorizer of the routes API keys may call (API keys and users' access tokens). */
  readonly apiAuthorizer: AppFunction;
  readonly alarms: readonly Alarm[];
  /** The HTTP API's access logs (route key, status, latency per request): the dashboard queries them. */
  readonly accessLogs: LogGroup;

  constructor(scope: Construct, id: string, props: ApiStackProps) {
    super(scope, id, props);
    const { stage } = props;
    // Encrypts this stack's queues, buckets and log groups in prod (lib/constructs/stage-key.ts).
    createStageKey(this, stage);
    const functionEntry = props.functionEntry ?? defaultFunctionEntry;

    const environment = {
      TABLE_NAME: props.table.tableName,
      USER_POOL_ID: props.userPool.userPoolId,
      EVENT_BUS_NAME: props.eventBus.eventBusName,
      APP_URL: props.appUrl,
      MAIL_FROM: props.mailFrom,
      MAIL_CONFIGURATION_SET: props.mailConfigurationSetName,
    };
    // What shared/billing/billing.env.ts reads; the secrets as SSM parameter names, never values.
    const stripeEnvironment = {
      STRIPE_SECRET_KEY_PARAMETER: props.stripe.secretKeyParameter,
      STRIPE_PRICE_IDS: props.stripe.priceIdsJson,
      BILLING_GRACE_DAYS: String(props.stripe.graceDays),
    };
    // Only the billing routes take redirect URLs (checkout, portal).
    const billingEnvironment = {
      ALLOWED_REDIRECT_ORIGINS: (props.allowedRedirectOrigins ?? []).join(','),
    };

    // The tracking routes write raw events (shared/analytics/product/product.env.ts).
    const productEnvironment = {
      PRODUCT_EVENT_TTL_DAYS: String(props.productEventTtlDays ?? stage.retention.productEventDays),
    };

    // What shared/sso/sso.env.ts reads (the client id is in every function's environment).
    const ssoEnvironment = {
      SSO_HOSTED_UI_URL: props.sso.hostedUiUrl,
      SSO_CALLBACK_URL: props.sso.callbackUrl,
      SSO_SECRET_PREFIX: ssoSecretPrefixFor(stage.name),
      SSO_DOMAIN_VERIFICATION: 'dns',
    };

    const indexNames = tableDefinition.globalSecondaryIndexes.map((index) => index.indexName);
    const functions = {} as Record<FunctionArea, AppFunction>;
    for (const area of functionAreas) {
      const access: AreaAccess = areaAccess[area];
      functions[area] = new AppFunction(this, `${pascalCase(area)}Function`, {
        entry: functionEntry(area),
        stage,
        description: `Plinth ${stage.name} API: ${area} routes`,
        environment: {
          ...environment,
          // Every tenant-scoped route checks a tenant's `requireSso` against the token's client.
          SSO_CLIENT_ID: props.sso.client.userPoolClientId,
          ...(access.stripe ? stripeEnvironment : {}),
          ...(area === 'billing' ? billingEnvironment : {}),
          ...(area === 'product-analytics' ? productEnvironment : {}),
          // The app client the magic-link function runs the custom auth flow with.
          ...(area === 'magic-link' ? { USER_POOL_CLIENT_ID: props.userPoolClient.userPoolClientId } : {}),
          ...(area === 'erasure' ? erasureKeyEnvironment(props.erasurePseudonymKey) : {}),
          ...(access.readsAuditDigests ? { AUDIT_DIGEST_BUCKET: auditDigestBucketName(stage) } : {}),
          ...(access.writesSsoSecrets ? ssoEnvironment : {}),
          ...(access.servesExports
            ? {
                EXPORTS_BUCKET_NAME: exportsBucketName(stage),
              }
            : {}),
        },
        ...(access.table === 'none'
          ? {}
          : { tableAccess: { table: props.table, indexNames, mode: access.table } }),
        ...(access.userPoolActions.length > 0
          ? { userPoolAccess: { userPool: props.userPool, actions: access.userPoolActions } }
          : {}),
        ...(access.sendsEmail
          ? { sendEmailFrom: props.mailFrom, sendEmailConfigurationSet: props.mailConfigurationSetName }
          : {}),
        ...(access.stripe
          ? {
              readParameters: [props.stripe.secretKeyParameter],
              // The worst-case sequence of Stripe calls fits (shared/billing/stripe-budget.ts).
              timeout: Duration.seconds(STRIPE_FUNCTION_TIMEOUT_SECONDS),
            }
          : {}),
      });
      // The bucket is the data stack's (lib/constructs/audit-digest-bucket.ts), named before synthesis.
      if (access.readsAuditDigests) grantReadAuditDigests(functions[area].role, stage);
      if (access.writesSsoSecrets) grantSsoSecrets(functions[area], stage.name);
      if (access.servesExports) {
        // The bucket is the data stack's (lib/constructs/exports-bucket.ts), named before synthesis.
        grantPresignExports(functions[area].role, stage);
        // A user's export has no tenant partition for an outbox item: the request goes to the bus
        // directly (a failed put withdraws the job), and only that one kind of event may.
        functions[area].role.addToPrincipalPolicy(
          new PolicyStatement({
            actions: ['events:PutEvents'],
            resources: [props.eventBus.eventBusArn],
            conditions: {
              StringEquals: { 'events:source': EVENT_SOURCE, 'events:detail-type': EXPORT_REQUESTED },
            },
          }),
        );
      }
    }
    this.functions = functions;

    // Tenant-scoped requests sign their tenant's table commands with this role's credentials, tagged
    // with the tenant (shared/db/tenant-credentials.ts): every area that reads or writes the table.
    const tenantAreas = functionAreas.filter((area) => areaAccess[area].table !== 'none');
    this.tenantDataRole = new TenantDataRole(this, 'TenantData', {
      table: props.table,
      assumedBy: tenantAreas.map((area) => functions[area].role),
    }).role;
    for (const area of tenantAreas) {
      functions[area].function.addEnvironment('TENANT_DATA_ROLE_ARN', this.tenantDataRole.roleArn);
    }

    // Stripe calls this URL directly. No reserved concurrency: it cannot be set on accounts whose
    // concurrency quota is still the new-account default, and Stripe retries throttled deliveries.
    this.stripeWebhook = new AppFunction(this, 'StripeWebhookFunction', {
      entry: functionEntry('stripe-webhook'),
      stage,
      description: `Plinth ${stage.name}: Stripe webhook endpoint`,
      environment: {
        ...environment,
        ...stripeEnvironment,
        STRIPE_WEBHOOK_SECRET_PARAMETER: props.stripe.webhookSecretParameter,
      },
      // Room for re-fetching objects from Stripe (worst case per call in stripe-budget.ts) before answering.
      timeout: Duration.seconds(20),
      tableAccess: { table: props.table, indexNames, mode: 'readWrite' },
      readParameters: [props.stripe.secretKeyParameter, props.stripe.webhookSecretParameter],
    });
    this.stripeWebhookUrl = this.stripeWebhook.function.addFunctionUrl({
      authType: FunctionUrlAuthType.NONE,
    });
    for (const area of functionAreas) {
      if (!(areaAccess[area] as AreaAccess).watchesHealth) continue;
      // Every function but the watcher itself (its own name in its environment would be a cycle).
      const apiFunctions = Object.entries(functions).filter(([name]) => name !== area);
      watchHealth(functions[area], {
        functions: {
          ...Object.fromEntries(apiFunctions.map(([name, fn]) => [name, fn.function])),
          'stripe-webhook': this.stripeWebhook.function,
          ...props.watched?.functions,
        },
        queues: props.watched?.queues ?? [],
        webhook: this.stripeWebhook.function,
      });
    }
    new CfnOutput(this, 'StripeWebhookUrl', {
      value: this.stripeWebhookUrl.url,
      description: 'Register this URL as the endpoint of the Stripe webhook (Developers → Webhooks).',
    });
    // The webhook's EMF counts, in the stage's namespace like every function's (AppFunction sets it).
    const webhookMetric = (name: string, period = Duration.minutes(5)) =>
      appMetric(stage.name, name).with({ period });
    this.alarms = [
      failureAlarm(
        this,
        'StripeWebhookFailuresAlarm',
        'The Stripe webhook failed (a crash, or an event it could not apply: bad payload, other API version, Stripe or AWS error); Stripe retries, but look before its retries run out.',
        {
          errors: this.stripeWebhook.function.metricErrors({ statistic: 'Sum' }),
          failedEvents: webhookMetric(webhookMetricNames.failed),
        },
      ),
      countAlarm(
        this,
        'StripeWebhookDeferredAlarm',
        'Refund or charge events have waited three hours for their invoice (answered 503, Stripe retries for three days): check that invoice.paid reaches the webhook.',
        webhookMetric(webhookMetricNames.deferred, Duration.hours(1)),
        3,
      ),
      countAlarm(
        this,
        'StripeDuplicateSubscriptionsAlarm',
        'A tenant has a second live subscription (see duplicateSubscriptions in its billing state and the error log): cancel and refund the second in Stripe.',
        webhookMetric(webhookMetricNames.duplicateSubscriptions),
      ),
      countAlarm(
        this,
        'StripeDisputesOpenedAlarm',
        "A customer disputed a payment: submit evidence in the Stripe dashboard before its deadline (the error log and the operators' email name the dispute).",
        webhookMetric(webhookMetricNames.disputesOpened),
      ),
    ];

    this.httpApi = new HttpApi(this, 'HttpApi', {
      apiName: `plinth-${stage.name}`,
      description: `Plinth ${stage.name} HTTP API`,
      createDefaultStage: false,
      corsPreflight: {
        allowOrigins: [new URL(props.appUrl).origin, ...stage.extraCorsOrigins],
        allowMethods: [
          CorsHttpMethod.GET,
          CorsHttpMethod.POST,
          CorsHttpMethod.PUT,
          CorsHttpMethod.PATCH,
          CorsHttpMethod.DELETE,
          CorsHttpMethod.OPTIONS,
        ],
        // If-Match guards project updates; the web app reads ETags and rate-limit headers.
        allowHeaders: ['authorization', 'content-type', 'if-match', 'plinth-impersonation'],
        exposeHeaders: ['etag', 'retry-after', 'ratelimit', 'ratelimit-policy'],
        maxAge: Duration.hours(1),
      },
    });

    const accessLogs = new LogGroup(this, 'AccessLogs', {
      ...logGroupEncryption(this),
      retention: stage.logRetention,
      removalPolicy: stage.removalPolicy,
    });
    this.accessLogs = accessLogs;
    this.apiStage = this.httpApi.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: stage.throttle.rateLimit, burstLimit: stage.throttle.burstLimit },
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: AccessLogField.contextRequestId(),
            ip: AccessLogField.contextIdentitySourceIp(),
            requestTime: AccessLogField.contextRequestTime(),
            httpMethod: AccessLogField.contextHttpMethod(),
            routeKey: AccessLogField.contextRouteKey(),
            status: AccessLogField.contextStatus(),
            protocol: AccessLogField.contextProtocol(),
            responseLength: AccessLogField.contextResponseLength(),
            latency: AccessLogField.contextResponseLatency(),
            integrationLatency: AccessLogField.contextIntegrationLatency(),
            integrationError: AccessLogField.contextIntegrationErrorMessage(),
            authorizerError: AccessLogField.contextAuthorizerError(),
          }),
        ),
      },
    });

    // Clients send Cognito access tokens, which carry the app client id in `client_id` rather than
    // `aud`; an HTTP API JWT authorizer accepts a token when either claim matches the audience.
    const jwtAuthorizer = new HttpJwtAuthorizer(
      'CognitoJwt',
      issuerFor(this.region, props.userPool.userPoolId),
      {
        // The web client's tokens (passwords, codes, passkeys) and the SSO client's (federated sign-ins).
        jwtAudience: [props.userPoolClient.userPoolClientId, props.sso.client.userPoolClientId],
        identitySource: ['$request.header.Authorization'],
      },
    );

    // The routes API keys may call (shared/api-clients/scopes.ts) take one REQUEST authorizer that
    // accepts both keys and users' access tokens, since a route has a single authorizer.
    this.apiAuthorizer = new AppFunction(this, 'ApiAuthorizerFunction', {
      entry: functionEntry('api-authorizer'),
      stage,
      description: `Plinth ${stage.name}: API authorizer (API keys and Cognito access tokens)`,
      memorySize: 256,
      timeout: Duration.seconds(5),
      environment: {
        TABLE_NAME: props.table.tableName,
        USER_POOL_ID: props.userPool.userPoolId,
        // Users signed in with a password, a passkey or a magic link (web client) or through their
        // tenant's identity provider (SSO client).
        USER_POOL_CLIENT_IDS: [props.userPoolClient.userPoolClientId, props.sso.client.userPoolClientId].join(
          ',',
        ),
      },
    });
    // Least privilege: GetItem of API key items only (partition keys `APIKEY#…`), nothing else of the table.
    this.apiAuthorizer.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['dynamodb:GetItem'],
        resources: [props.table.tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${API_KEY_PK_PREFIX}*`] } },
      }),
    );
    props.table.encryptionKey?.grant(this.apiAuthorizer.role, 'kms:Decrypt', 'kms:DescribeKey');
    const lambdaAuthorizer = new HttpLambdaAuthorizer('ApiKeyOrJwt', this.apiAuthorizer.function, {
      authorizerName: 'api-key-or-jwt',
      responseTypes: [HttpLambdaResponseType.SIMPLE],
      identitySource: ['$request.header.Authorization'],
      resultsCacheTtl: Duration.seconds(AUTHORIZER_CACHE_SECONDS),
    });

    const integrations = new Map<FunctionArea, HttpLambdaIntegration>();
    const integrationFor = (area: FunctionArea) => {
      let integration = integrations.get(area);
      if (!integration) {
        integration = new HttpLambdaIntegration(`${pascalCase(area)}Integration`, functions[area].function);
        integrations.set(area, integration);
      }
      return integration;
    };

    for (const route of routeList) {
      const [httpRoute] = this.httpApi.addRoutes({
        path: route.path,
        methods: [HttpMethod[route.method]],
        integration: integrationFor(route.area),
        ...(route.auth === 'jwt'
          ? { authorizer: acceptsApiClients(routeKey(route)) ? lambdaAuthorizer : jwtAuthorizer }
          : {}),
      });
      if (route.auth === 'none' && httpRoute && publicRouteKeys.has(routeKey(route))) {
        Validations.of(httpRoute).acknowledge({
          id: 'AwsSolutions-APIG4',
          reason: `${routeKey(route)} is public by design and returns no tenant or user data: ${route.summary}`,
        });
      }
    }

    new CfnOutput(this, 'ApiUrl', { value: this.apiStage.url });
  }
}

/**
 * Create, replace and delete the stage's SSO client secrets: secret ARNs end in a random suffix, so
 * the grant names the prefix. No GetSecretValue: the API stores the secrets and never reads them back.
 */
function grantSsoSecrets(fn: AppFunction, stage: string): void {
  // Pseudo parameters rather than the stack's concrete env, so the acknowledgement below names the
  // same resource in every stage and account.
  const resource = `arn:${Aws.PARTITION}:secretsmanager:${Aws.REGION}:${Aws.ACCOUNT_ID}:secret:${ssoSecretPrefixFor(stage)}*`;
  fn.role.addToPrincipalPolicy(
    new PolicyStatement({
      actions: [
        'secretsmanager:CreateSecret',
        'secretsmanager:PutSecretValue',
        'secretsmanager:DeleteSecret',
      ],
      resources: [resource],
    }),
  );
  Validations.of(fn.role).acknowledge({
    id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:${ssoSecretPrefixFor(stage)}*]`,
    reason:
      "Tenants' OIDC client secrets are created at run time, one per tenant, and their ARNs end in a random suffix: the grant names the stage's SSO prefix, for the three write actions only.",
  });
}

function pascalCase(value: string): string {
  return value.replace(/(^|[-_])(\w)/g, (_match, _separator, letter: string) => letter.toUpperCase());
}
