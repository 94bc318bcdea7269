import {
  anyValue,
  email,
  environmentReader,
  nonEmpty,
  readAwsClientSettings,
  startsWith,
  url,
  wholeNumber,
} from './env-rules.ts';

/** The environment every function reads at cold start, read by zod's rules without zod (./env-rules.ts). */
export interface Env {
  readonly TABLE_NAME: string;
  readonly AWS_REGION: string;
  readonly USER_POOL_ID: string;
  readonly EVENT_BUS_NAME: string | undefined;
  /** Set only locally: every AWS client talks to this endpoint (moto server). */
  readonly AWS_ENDPOINT_URL: string | undefined;
  /** Where invitation links point (the product's web app). */
  readonly APP_URL: string;
  /** Verified SES identity that invitation emails are sent from. */
  readonly MAIL_FROM: string;
  /** The SES configuration set that reports bounces and complaints (CDK sets it; absent locally). */
  readonly MAIL_CONFIGURATION_SET: string | undefined;
  /**
   * The tenant-data role that tenant-scoped requests assume, tagged with their tenant
   * (shared/db/tenant-credentials.ts); absent: they use the function's role (the in-process tenant
   * check still applies).
   */
  readonly TENANT_DATA_ROLE_ARN: string | undefined;
  /** Days an invitation stays open: a whole number from 1 to 90. */
  readonly INVITATION_TTL_DAYS: number;
  /**
   * This environment's API request limits per tenant, replacing the plan catalogue's
   * (shared/ratelimit/api-rate-limit.ts, which validates it); absent: the catalogue.
   */
  readonly API_RATE_LIMITS: string | undefined;
  /**
   * The SSO app client (shared/sso/): its tokens come from federated sign-ins only, which a tenant
   * that requires SSO accepts for its verified domains' emails. Absent: no token counts as SSO.
   */
  readonly SSO_CLIENT_ID: string | undefined;
}

let cached: Env | undefined;

/** Reads and validates the environment once per container; fails fast with every invalid name. */
export function readEnv(source: NodeJS.ProcessEnv = process.env): Env {
  if (source === process.env && cached) return cached;
  const read = environmentReader(source);
  const env = read.done<Env>({
    TABLE_NAME: read.required('TABLE_NAME'),
    USER_POOL_ID: read.required('USER_POOL_ID'),
    EVENT_BUS_NAME: read.optional('EVENT_BUS_NAME', nonEmpty),
    ...readAwsClientSettings(read),
    APP_URL: read.optional('APP_URL', url) ?? 'http://localhost:3000',
    MAIL_FROM: read.optional('MAIL_FROM', email) ?? 'no-reply@plinth.local',
    MAIL_CONFIGURATION_SET: read.optional('MAIL_CONFIGURATION_SET', nonEmpty),
    TENANT_DATA_ROLE_ARN: read.optional('TENANT_DATA_ROLE_ARN', startsWith('arn:')),
    INVITATION_TTL_DAYS: Number(read.optional('INVITATION_TTL_DAYS', wholeNumber(1, 90)) ?? 7),
    API_RATE_LIMITS: read.optional('API_RATE_LIMITS', anyValue),
    SSO_CLIENT_ID: read.optional('SSO_CLIENT_ID', nonEmpty),
  });
  if (source === process.env) cached = env;
  return env;
}
