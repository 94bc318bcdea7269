import * as z from 'zod';

const schema = z.object({
  TABLE_NAME: z.string().min(1),
  AWS_REGION: z.string().min(1).default('us-east-1'),
  USER_POOL_ID: z.string().min(1),
  EVENT_BUS_NAME: z.string().min(1).optional(),
  /** Set only locally: every AWS client talks to this endpoint (moto server). */
  AWS_ENDPOINT_URL: z.url().optional(),
  /** Where invitation links point (the product's web app). */
  APP_URL: z.url().default('http://localhost:3000'),
  /** Verified SES identity that invitation emails are sent from. */
  MAIL_FROM: z.email().default('no-reply@plinth.local'),
  /** The SES configuration set that reports bounces and complaints (CDK sets it; absent locally). */
  MAIL_CONFIGURATION_SET: z.string().min(1).optional(),
  /**
   * The tenant-data role that tenant-scoped requests assume, tagged with their tenant
   * (shared/db/tenant-credentials.ts); absent: they use the function's role (the in-process tenant
   * check still applies).
   */
  TENANT_DATA_ROLE_ARN: z.string().startsWith('arn:').optional(),
  INVITATION_TTL_DAYS: z.coerce.number().int().min(1).max(90).default(7),
  /**
   * This environment's API request limits per tenant, replacing the plan catalogue's
   * (shared/ratelimit/api-rate-limit.ts); absent: the catalogue.
   */
  API_RATE_LIMITS: z.string().optional(),
  /**
   * The SSO app client (shared/sso/): its tokens come from federated sign-ins only, which a tenant
   * that requires SSO accepts for its verified domains' emails. Absent: no token counts as SSO.
   */
  SSO_CLIENT_ID: z.string().min(1).optional(),
});

export type Env = z.infer<typeof schema>;

let cached: Env | undefined;

/** Reads and validates the environment once per container; fails fast with every missing name. */
export function readEnv(source: NodeJS.ProcessEnv = process.env): Env {
  if (source === process.env && cached) return cached;
  const parsed = schema.safeParse(source);
  if (!parsed.success) {
    const names = parsed.error.issues.map((i) => i.path.join('.')).join(', ');
    throw new Error(`Invalid environment: ${names}`, { cause: parsed.error });
  }
  if (source === process.env) cached = parsed.data;
  return parsed.data;
}
