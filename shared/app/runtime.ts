import { readEnv } from '../config/env.ts';
import { createDocumentClient, type Db } from '../db/client.ts';
import { createTenantCredentials } from '../db/tenant-credentials.ts';
import { newId, systemClock } from '../ids.ts';
import { parseApiRateLimits } from '../ratelimit/api-rate-limit.ts';
import { createTableRateLimiter } from '../ratelimit/window-counter.ts';
import { createTenancy } from '../tenancy/tenant-context.ts';
import { createUserGate } from '../users/user-profile.ts';

/**
 * What every API function builds once per container: validated env, the table, the clock and id
 * generator, the tenancy resolver, which also enforces each tenant's API rate limit (counted in the
 * table, so shared by all of a tenant's functions), and the user gate (suspended users, for routes
 * that resolve no tenant). Both write the caller's newer sign-in to their profile, and the limit
 * counts requests in the table: a function that uses either needs write access to the table.
 * Tenant-scoped requests sign their tenant's table commands with credentials scoped to the tenant
 * when `TENANT_DATA_ROLE_ARN` is set (shared/db/tenant-credentials.ts; STS is loaded on first use).
 * Feature-specific clients are built in each handler so a bundle carries only what its area uses.
 */
export function createRuntime() {
  const env = readEnv();
  const db: Db = {
    client: createDocumentClient({
      region: env.AWS_REGION,
      endpoint: env.AWS_ENDPOINT_URL,
      tenantCredentials: env.TENANT_DATA_ROLE_ARN
        ? createTenantCredentials({
            roleArn: env.TENANT_DATA_ROLE_ARN,
            region: env.AWS_REGION,
            endpoint: env.AWS_ENDPOINT_URL,
          })
        : undefined,
    }),
    tableName: env.TABLE_NAME,
  };
  const apiRateLimit = {
    limiter: createTableRateLimiter(db, systemClock),
    limits: parseApiRateLimits(env.API_RATE_LIMITS),
  };
  return {
    env,
    db,
    clock: systemClock,
    newId: () => newId(),
    tenancy: createTenancy({ db, apiRateLimit, ssoClientId: env.SSO_CLIENT_ID }),
    userGate: createUserGate({ db }),
  };
}
