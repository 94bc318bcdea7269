import { regexes } from 'zod';

/**
 * The environment every function reads at cold start. Read without building a zod schema, as the
 * authorizer's is (shared/api-clients/authorizer.env.ts): a cold start runs this once, and building
 * and first-parsing a dozen-field zod object was a measurable share of every function's init
 * (BENCHMARKS.md, "Cold init, 2026-12-03"). The rules are zod's: a variable that is set must be
 * non-empty and well-formed; one that is absent takes its default or stays undefined.
 */
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

/** Whether a value that is set passes; `undefined` (absent) is decided by the caller. */
type Rule = (value: string) => boolean;

const nonEmpty: Rule = (value) => value.length > 0;
const url: Rule = (value) => URL.canParse(value);
const email: Rule = (value) => regexes.email.test(value);
const arn: Rule = (value) => value.startsWith('arn:');
const days: Rule = (value) => /^\s*\d+\s*$/.test(value) && Number(value) >= 1 && Number(value) <= 90;

let cached: Env | undefined;

/** Reads and validates the environment once per container; fails fast with every invalid name. */
export function readEnv(source: NodeJS.ProcessEnv = process.env): Env {
  if (source === process.env && cached) return cached;
  const invalid: string[] = [];
  const read = (name: string, rule: Rule, required = false): string | undefined => {
    const value = source[name];
    if (value === undefined ? required : !rule(value)) invalid.push(name);
    return value;
  };
  const env: Env = {
    TABLE_NAME: read('TABLE_NAME', nonEmpty, true) as string,
    AWS_REGION: read('AWS_REGION', nonEmpty) ?? 'us-east-1',
    USER_POOL_ID: read('USER_POOL_ID', nonEmpty, true) as string,
    EVENT_BUS_NAME: read('EVENT_BUS_NAME', nonEmpty),
    AWS_ENDPOINT_URL: read('AWS_ENDPOINT_URL', url),
    APP_URL: read('APP_URL', url) ?? 'http://localhost:3000',
    MAIL_FROM: read('MAIL_FROM', email) ?? 'no-reply@plinth.local',
    MAIL_CONFIGURATION_SET: read('MAIL_CONFIGURATION_SET', nonEmpty),
    TENANT_DATA_ROLE_ARN: read('TENANT_DATA_ROLE_ARN', arn),
    INVITATION_TTL_DAYS: Number(read('INVITATION_TTL_DAYS', days) ?? 7),
    API_RATE_LIMITS: read('API_RATE_LIMITS', () => true),
    SSO_CLIENT_ID: read('SSO_CLIENT_ID', nonEmpty),
  };
  if (invalid.length > 0) throw new Error(`Invalid environment: ${invalid.join(', ')}`);
  if (source === process.env) cached = env;
  return env;
}
