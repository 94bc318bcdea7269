import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { PriceIds } from '../../shared/billing/plans.ts';
import { busDefinition } from '../../shared/events/bus.ts';
import { functionAreas } from '../../shared/http/route.ts';
import { repoRoot } from '../emulators/paths.ts';
import { LOCAL_CREDENTIALS } from './aws.ts';
import { LOCAL_ACCOUNT_ID } from './lambda-context.ts';
import { localFunctionName } from './metrics.ts';
import { LOCAL_EXPORT_RETENTION_DAYS, type LocalResources } from './resources.ts';
import { type LocalStripe, stripeEnvironment } from './stripe.ts';

/** Where the local stack mails what goes to the operators (disputes); read it back from moto's SES. */
export const LOCAL_OPS_EMAIL = 'ops@plinth.local';

/**
 * The environment the Lambda handlers read (shared/config/env.ts) for a local stack, plus what makes
 * every AWS SDK v3 client talk to the emulator (`AWS_ENDPOINT_URL`) with dummy credentials.
 * With `stripe`, also the billing variables (shared/billing/billing.env.ts) that point the Stripe
 * client at stripe-mock; without it the billing functions fail at cold start, naming what is missing.
 * Apply it to `process.env` before the first handler import.
 */
export function handlerEnvironment(
  resources: LocalResources,
  appUrl: string,
  stripe?: LocalStripe,
): Record<string, string> {
  return {
    ...(stripe ? stripeEnvironment(stripe) : {}),
    AWS_REGION: resources.region,
    AWS_DEFAULT_REGION: resources.region,
    AWS_ENDPOINT_URL: resources.endpoint,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    TABLE_NAME: resources.tableName,
    USER_POOL_ID: resources.userPoolId,
    // The API authorizer (functions/api-authorizer): whose access tokens it accepts, and the
    // emulator's JWKS instead of cognito-idp.amazonaws.com.
    USER_POOL_CLIENT_IDS: `${resources.clientId},${resources.ssoClientId}`,
    COGNITO_JWKS_URI: `${resources.endpoint}/${resources.userPoolId}/.well-known/jwks.json`,
    USER_POOL_CLIENT_ID: resources.clientId,
    EVENT_BUS_NAME: resources.eventBusName,
    APP_URL: appUrl,
    MAIL_FROM: resources.mailFrom,
    // The dev stage's list (lib/stage.ts): a front-end served locally may be a redirect target.
    ALLOWED_REDIRECT_ORIGINS: LOCAL_REDIRECT_ORIGINS.join(','),
    OPS_EMAIL: LOCAL_OPS_EMAIL,
    PRODUCT_WAREHOUSE_STREAM: resources.warehouseStreamName,
    AUDIT_DIGEST_BUCKET: resources.auditDigestBucket,
    // Tenant-scoped requests assume it with their tenant's session tag through moto's STS, as on
    // AWS (moto does not evaluate the role's policy: shared/db/tenant-scope.ts checks the same rule).
    TENANT_DATA_ROLE_ARN: localTenantDataRoleArn(resources.stage),
    // Enterprise SSO (shared/sso/sso.env.ts): the SSO client, the hosted UI address (AWS only),
    // secrets in moto's Secrets Manager, and domain verification simulated (no DNS lookup locally).
    SSO_CLIENT_ID: resources.ssoClientId,
    SSO_HOSTED_UI_URL: resources.ssoHostedUiUrl,
    SSO_CALLBACK_URL: new URL('/sso/callback', appUrl).toString(),
    SSO_SECRET_PREFIX: `plinth/${resources.stage}/sso/`,
    SSO_DOMAIN_VERIFICATION: 'simulated',
    EXPORTS_BUCKET_NAME: resources.exportsBucket,
    // The erasure workers' `warehouse` step; moto's Firehose writes each batch at once (no buffer
    // to wait for), so the step runs as soon as the table's copies are gone.
    WAREHOUSE_BUCKET_NAME: resources.warehouseBucket,
    WAREHOUSE_SETTLE_SECONDS: '0',
    EXPORT_RETENTION_DAYS: String(LOCAL_EXPORT_RETENTION_DAYS),
    // EMF lines are for CloudWatch: handlers called on their own print none; the local server and
    // runner send them to the emulator's CloudWatch instead (scripts/local/metrics.ts).
    POWERTOOLS_METRICS_DISABLED: process.env.POWERTOOLS_METRICS_DISABLED ?? 'true',
    // The stage's namespace, as AppFunction sets it (lib/constructs/alarms.ts metricsNamespace).
    POWERTOOLS_METRICS_NAMESPACE: `Plinth/${resources.stage}`,
    ...healthEnvironment(resources),
  };
}

/** The tenant-data role's ARN of a local stage (moto's STS answers AssumeRole for it). */
export function localTenantDataRoleArn(stage: string): string {
  return `arn:aws:iam::${LOCAL_ACCOUNT_ID}:role/${stage}-tenant-data`;
}

/**
 * What the health function watches locally (shared/health/health.config.ts): the local function
 * names, and the rules' queues with their dead-letter queues (locally the publisher, product
 * activity and schedules have none).
 */
export function healthEnvironment(resources: LocalResources): Record<string, string> {
  const names = [
    ...functionAreas.filter((area) => area !== 'health'),
    'stripe-webhook',
    'outbox-publisher',
    'product-activity',
    ...busDefinition.rules.map((rule) => rule.consumer),
    ...busDefinition.schedules.map((schedule) => schedule.target),
  ];
  return {
    HEALTH_FUNCTIONS: JSON.stringify(
      Object.fromEntries([...new Set(names)].map((name) => [name, localFunctionName(resources.stage, name)])),
    ),
    HEALTH_QUEUES: JSON.stringify(
      resources.rules.map((rule) => ({
        name: rule.ruleName,
        url: rule.queueUrl,
        deadLetterUrl: rule.deadLetterQueueUrl,
      })),
    ),
    HEALTH_WEBHOOK_FUNCTION: localFunctionName(resources.stage, 'stripe-webhook'),
  };
}

/** Origins of front-end dev servers that billing redirects may return to locally, as in the dev stage. */
export const LOCAL_REDIRECT_ORIGINS: readonly string[] = ['http://localhost:3000', 'http://localhost:5173'];

/** What `npm run dev` leaves in `.plinth/local.json` for scripts and people. */
export interface LocalStackFile {
  readonly apiUrl: string;
  readonly region: string;
  readonly tableName: string;
  readonly eventBusName: string;
  /** Where raw product events land on moto: `aws s3 ls s3://<bucket>/events/ --recursive`. */
  readonly warehouse?: { readonly bucket: string; readonly deliveryStream: string };
  readonly cognito: { readonly endpoint: string; readonly userPoolId: string; readonly clientId: string };
  /** The local stand-in for the Stripe webhook's Function URL (`POST`, signed as Stripe signs). */
  readonly webhookUrl?: string;
  /** stripe-mock's address, the webhook signing secret and the price ids of this run. */
  readonly stripe?: { readonly apiUrl: string; readonly webhookSecret: string; readonly priceIds: PriceIds };
  /** The dev process's control endpoint (`npm run schedule`), on 127.0.0.1. */
  readonly controlUrl?: string;
  readonly demo?: {
    readonly tenantId?: string | undefined;
    readonly email: string;
    readonly password: string;
  };
}

export const localStackFilePath = join(repoRoot, '.plinth', 'local.json');

export async function writeLocalStackFile(file: LocalStackFile): Promise<void> {
  await mkdir(dirname(localStackFilePath), { recursive: true });
  await writeFile(localStackFilePath, `${JSON.stringify(file, null, 2)}\n`);
}

/** Reads the file `npm run dev` wrote; fails with a hint when it is not running. */
export async function readLocalStackFile(): Promise<LocalStackFile> {
  try {
    return JSON.parse(await readFile(localStackFilePath, 'utf8')) as LocalStackFile;
  } catch (error) {
    throw new Error(`Cannot read ${localStackFilePath}: start the local stack with \`npm run dev\` first.`, {
      cause: error,
    });
  }
}
