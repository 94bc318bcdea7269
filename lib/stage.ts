import { RemovalPolicy } from 'aws-cdk-lib';
import { FeaturePlan } from 'aws-cdk-lib/aws-cognito';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { productEventTtlDays } from '../shared/analytics/product/product.env.ts';
import { isOrigin } from '../shared/billing/billing.env.ts';

/** Days each kind of record is kept (README "Privacy and data protection" lists them with their defaults). */
export interface Retention {
  /** Tenant and platform audit entries (`AUDIT_RETENTION_DAYS`). */
  readonly auditEntryDays: number;
  /**
   * A raw product event (`PRODUCT_EVENT_TTL_DAYS` of the functions that write raw events); its
   * aggregates stay, and the warehouse keeps every event. CDK context `productEventTtlDays`
   * (`{"prod":180}`) replaces a stage's value.
   */
  readonly productEventDays: number;
  /** Export jobs and their archives (`EXPORT_RETENTION_DAYS`). */
  readonly exportDays: number;
  /** Outbox items after EventBridge accepted their event (`OUTBOX_RETENTION_DAYS`). */
  readonly outboxDays: number;
  /** A tenant's communication history: emails sent, ticket messages, announcements (`COMMUNICATION_RETENTION_DAYS`). */
  readonly communicationDays: number;
}

/** The environment variables of a stage's retention, as shared/config/retention.ts reads them. */
export function retentionEnvironment(retention: Retention): Record<string, string> {
  return {
    AUDIT_RETENTION_DAYS: String(retention.auditEntryDays),
    EXPORT_RETENTION_DAYS: String(retention.exportDays),
    OUTBOX_RETENTION_DAYS: String(retention.outboxDays),
    COMMUNICATION_RETENTION_DAYS: String(retention.communicationDays),
  };
}

/** The deployable stages; chosen with `cdk deploy -c stage=prod`. */
export const stageNames = ['dev', 'prod'] as const;
export type StageName = (typeof stageNames)[number];

/** Everything that differs between a throwaway development stage and production. */
export interface StageConfig {
  readonly name: StageName;
  /** What happens to stateful resources (table, user pool, log groups) when the stack goes away. */
  readonly removalPolicy: RemovalPolicy;
  /** DynamoDB and Cognito deletion protection: a delete must first switch it off. */
  readonly deletionProtection: boolean;
  readonly logRetention: RetentionDays;
  /** `POWERTOOLS_LOG_LEVEL` of every function. */
  readonly logLevel: 'DEBUG' | 'INFO';
  /** Default route throttling of the HTTP API stage (requests per second, burst). */
  readonly throttle: { readonly rateLimit: number; readonly burstLimit: number };
  /**
   * The user pool's feature plan. Plus turns on threat protection (compromised credentials,
   * adaptive authentication); it is priced per monthly active user, so dev stays on Essentials.
   */
  readonly userPoolFeaturePlan: FeaturePlan;
  /** Origins allowed by CORS besides the app URL (local front-end servers in dev). */
  readonly extraCorsOrigins: readonly string[];
  /**
   * Origins besides the app URL's that checkout success/cancel and portal return URLs may point
   * to (`ALLOWED_REDIRECT_ORIGINS` of the billing function); anything else is a 400. CDK context
   * `allowedRedirectOrigins` (`{"prod":["https://www.acme.com"]}`) replaces a stage's list.
   */
  readonly allowedRedirectOrigins: readonly string[];
  /**
   * How long the table keeps each kind of record, in days; TTL enforces it (every writer sets the
   * item's `ttl` from these, shared/config/retention.ts). AppFunction passes them to every function.
   */
  readonly retention: Retention;
  /**
   * Encrypt the table with a customer managed KMS key (rotated yearly) instead of DynamoDB's AWS
   * owned key: the key's own policy and CloudTrail then say who may read the data and who did.
   */
  readonly tableKey: 'customer-managed' | 'aws-owned';
  /**
   * Encrypt the queues (dead-letter queues included), buckets and log groups with a customer
   * managed KMS key per stack (rotated yearly, lib/constructs/stage-key.ts) instead of the services'
   * AWS managed keys.
   */
  readonly dataKeys: 'customer-managed' | 'aws-managed';
  /**
   * Days each daily audit digest stays locked (Object Lock, compliance mode) in the audit digest
   * bucket: nobody can change or delete it before then (lib/constructs/audit-digest-bucket.ts).
   * Longer than the longest verify window; an auditor's look-back in prod.
   */
  readonly auditDigestRetentionDays: number;
  /**
   * Days a soft-deleted tenant is kept (restorable by support) before the tenant-purge schedule
   * erases it for good (shared/erasure/, `TENANT_PURGE_GRACE_DAYS` of the tenant-purge function).
   */
  readonly tenantPurgeGraceDays: number;
}

const stageConfigs: Record<StageName, StageConfig> = {
  dev: {
    name: 'dev',
    removalPolicy: RemovalPolicy.DESTROY,
    deletionProtection: false,
    logRetention: RetentionDays.ONE_WEEK,
    logLevel: 'DEBUG',
    throttle: { rateLimit: 50, burstLimit: 100 },
    userPoolFeaturePlan: FeaturePlan.ESSENTIALS,
    extraCorsOrigins: ['http://localhost:3000', 'http://localhost:5173'],
    allowedRedirectOrigins: ['http://localhost:3000', 'http://localhost:5173'],
    retention: {
      // A throwaway stage keeps little: its data is test data.
      auditEntryDays: 90,
      // Raw events a month: the usage reads work from the aggregates anyway.
      productEventDays: 30,
      exportDays: 7,
      outboxDays: 7,
      communicationDays: 90,
    },
    // A throwaway stage holds test data only; a key costs $1 a month and outlives the stage.
    tableKey: 'aws-owned',
    dataKeys: 'aws-managed',
    // A throwaway stage must not keep undeletable objects for long.
    auditDigestRetentionDays: 1,
    tenantPurgeGraceDays: 30,
  },
  prod: {
    name: 'prod',
    removalPolicy: RemovalPolicy.RETAIN,
    deletionProtection: true,
    logRetention: RetentionDays.THREE_MONTHS,
    logLevel: 'INFO',
    throttle: { rateLimit: 500, burstLimit: 1000 },
    userPoolFeaturePlan: FeaturePlan.PLUS,
    extraCorsOrigins: [],
    allowedRedirectOrigins: [],
    retention: {
      // About seven years: the usual look-back of financial and security audits.
      auditEntryDays: 2562,
      productEventDays: 90,
      // The promise to users: a download link lives a week.
      exportDays: 7,
      // Long enough to replay or investigate a week's events, short enough to hold no history.
      outboxDays: 7,
      // Two years of emails, ticket messages and announcements: support looks back that far.
      communicationDays: 730,
    },
    tableKey: 'customer-managed',
    dataKeys: 'customer-managed',
    // More than a year: a yearly audit can check the whole previous year against locked digests.
    auditDigestRetentionDays: 400,
    tenantPurgeGraceDays: 30,
  },
};

export function isStageName(value: unknown): value is StageName {
  return typeof value === 'string' && (stageNames as readonly string[]).includes(value);
}

/** The configuration of a stage; throws for an unknown name so a typo never deploys. */
export function stageConfigFor(name: unknown): StageConfig {
  if (!isStageName(name)) {
    throw new Error(`Unknown stage ${JSON.stringify(name)}: expected one of ${stageNames.join(', ')}`);
  }
  return stageConfigs[name];
}

/**
 * The stage's redirect origins: the CDK context's list for this stage (`allowedRedirectOrigins`,
 * stage → list) when it has one, else the stage's own. Throws naming the entry that is not an
 * origin (`scheme://host[:port]`, nothing after it), and any plain-http origin in prod.
 */
export function redirectOriginsFor(
  stage: StageConfig,
  fromContext: Readonly<Record<string, unknown>> = {},
): readonly string[] {
  const configured = fromContext[stage.name];
  if (configured === undefined) return stage.allowedRedirectOrigins;
  const where = `context allowedRedirectOrigins.${stage.name}`;
  if (!Array.isArray(configured) || configured.some((entry) => typeof entry !== 'string')) {
    throw new Error(`${where} must be a list of origins, e.g. ["https://www.acme.com"].`);
  }
  for (const origin of configured as string[]) {
    if (!isOrigin(origin)) {
      throw new Error(
        `${where}: ${JSON.stringify(origin)} is not an origin (scheme://host[:port], no path).`,
      );
    }
    if (stage.name === 'prod' && !origin.startsWith('https://')) {
      throw new Error(`${where}: ${JSON.stringify(origin)} must use https in prod.`);
    }
  }
  return configured as string[];
}

/**
 * The stage's raw product event TTL in days: the CDK context's value for this stage
 * (`productEventTtlDays`, stage → days, in cdk.json or `-c productEventTtlDays='{"prod":180}'`)
 * when it has one, else the stage's own. Throws, naming the entry, for anything but a whole number
 * of days the functions accept (8 to 3650, shared/analytics/product/product.env.ts).
 */
export function productEventTtlDaysFor(
  stage: StageConfig,
  fromContext: Readonly<Record<string, unknown>> = {},
): number {
  const configured = fromContext[stage.name];
  if (configured === undefined) return stage.retention.productEventDays;
  if (
    (typeof configured !== 'number' && typeof configured !== 'string') ||
    !productEventTtlDays(String(configured))
  ) {
    throw new Error(
      `context productEventTtlDays.${stage.name}: ${JSON.stringify(configured)} is not a number of days from 8 to 3650.`,
    );
  }
  return Number(configured);
}

/**
 * The stage's audit digest retention in days: the CDK context's value for this stage
 * (`auditDigestRetentionDays`, stage → days, in cdk.json or `-c auditDigestRetentionDays='{"prod":2555}'`)
 * when it has one, else the stage's own. Throws, naming the entry, for anything but a whole number
 * of days from 1 to 36500 (S3's Object Lock limit is 100 years). Compliance mode cannot be undone:
 * every digest written keeps its retention even if this is lowered later.
 */
export function auditDigestRetentionDaysFor(
  stage: StageConfig,
  fromContext: Readonly<Record<string, unknown>> = {},
): number {
  const configured = fromContext[stage.name];
  if (configured === undefined) return stage.auditDigestRetentionDays;
  if (
    typeof configured !== 'number' ||
    !Number.isInteger(configured) ||
    configured < 1 ||
    configured > 36_500
  ) {
    throw new Error(
      `context auditDigestRetentionDays.${stage.name}: ${JSON.stringify(configured)} is not a number of days from 1 to 36500.`,
    );
  }
  return configured;
}

/** The admin console's own domain name and the ACM certificate CloudFront serves it with. */
export interface ConsoleDomain {
  /** e.g. `console.acme.com`; point it at the distribution (output `ConsoleDistributionDomain`). */
  readonly domainName: string;
  /** An ACM certificate for `domainName` in us-east-1, the only region CloudFront takes them from. */
  readonly certificateArn: string;
}

const HOSTNAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
const CLOUDFRONT_CERTIFICATE_ARN = /^arn:aws[a-z-]*:acm:us-east-1:\d{12}:certificate\/[0-9a-f-]+$/;

/**
 * The stage's console domain from the CDK context (`consoleDomain`, stage → `{ domainName,
 * certificateArn }`, in cdk.json or `-c consoleDomain='{"prod":{...}}'`), or `undefined`: a stage
 * without one serves the console at its `*.cloudfront.net` name. Throws, naming the entry, for a
 * name that is not a hostname or a certificate that is not an ACM ARN in us-east-1.
 */
export function consoleDomainFor(
  stage: StageConfig,
  fromContext: Readonly<Record<string, unknown>> = {},
): ConsoleDomain | undefined {
  const configured = fromContext[stage.name];
  if (configured === undefined || configured === null) return undefined;
  const where = `context consoleDomain.${stage.name}`;
  const entry = (typeof configured === 'object' ? configured : {}) as Record<string, unknown>;
  const { domainName, certificateArn } = entry;
  if (typeof domainName !== 'string' || !HOSTNAME.test(domainName)) {
    throw new Error(
      `${where}.domainName: ${JSON.stringify(domainName ?? null)} is not a lower-case host name, e.g. "console.acme.com".`,
    );
  }
  if (typeof certificateArn !== 'string' || !CLOUDFRONT_CERTIFICATE_ARN.test(certificateArn)) {
    throw new Error(
      `${where}.certificateArn: ${JSON.stringify(certificateArn ?? null)} is not an ACM certificate ARN in us-east-1 (CloudFront takes certificates from there only).`,
    );
  }
  return { domainName, certificateArn };
}

/** Domains reserved for documentation (RFC 2606): the example defaults of `appUrl` and `mailFrom`. */
const EXAMPLE_DOMAIN = /(^|\.)example\.(com|net|org)$/i;

/**
 * Refuses to synthesize prod with the example defaults: invitation and billing links would point
 * at example.com and SES would refuse (or worse, send as) an address nobody verified.
 */
export function assertStageReady(
  stage: StageConfig,
  context: { readonly appUrl: string; readonly mailFrom: string },
): void {
  if (stage.name !== 'prod') return;
  const problems: string[] = [];
  if (EXAMPLE_DOMAIN.test(new URL(context.appUrl).hostname)) {
    problems.push(
      `appUrl is the example default (${context.appUrl}): pass your web app's URL with -c appUrl=https://app.yourcompany.com`,
    );
  }
  if (EXAMPLE_DOMAIN.test(context.mailFrom.split('@').at(-1) ?? '')) {
    problems.push(
      `mailFrom is the example default (${context.mailFrom}): pass an SES-verified sender with -c mailFrom=no-reply@yourcompany.com`,
    );
  }
  if (problems.length > 0) {
    throw new Error(`The prod stage is not configured: ${problems.join('; ')}.`);
  }
}

/**
 * The operators' address of a stage (disputes are mailed there) from the `opsEmail` context: one
 * address for the stage being synthesised (`-c opsEmail=ops@acme.com`) or a map stage → address
 * (cdk.json holds `dev`'s). Throws, naming the stage, when the stage has none or it is not an email.
 */
export function opsEmailFor(stage: StageName, context: unknown): string {
  let value = context;
  if (typeof value === 'string' && value.trim().startsWith('{')) {
    try {
      value = JSON.parse(value) as unknown;
    } catch {
      // Not JSON: taken as the address itself below.
    }
  }
  const address =
    typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[stage] : value;
  if (typeof address !== 'string' || !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(address)) {
    throw new Error(
      `Invalid CDK context: opsEmail: stage ${stage} needs the operators' email address (cdk.json "opsEmail": { "${stage}": "ops@…" } or -c opsEmail=ops@…); got ${JSON.stringify(address ?? null)}`,
    );
  }
  return address;
}
