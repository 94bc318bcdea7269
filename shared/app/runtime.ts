import { readEnv } from '../config/env.ts';
import { createDocumentClient, type Db } from '../db/client.ts';
import { newId, systemClock } from '../ids.ts';
import { parseApiRateLimits } from '../ratelimit/api-rate-limit.ts';
import { createTableRateLimiter } from '../ratelimit/window-counter.ts';
import { createTenancy } from '../tenancy/tenant-context.ts';
import { createUserGate } from '../users/user-profile.ts';

/**
 * What every API function builds once per container: validated env, the table, the clock and id
 * generator, the tenancy resolver, which also enforces each tenant's API rate limit (counted in the
 * table, so shared by all of a tenant's functions), and the user gate (suspended users, for routes
 * that resolve no tenant). Feature-specific clients are built in each handler so a bundle carries
 * only what its area uses. `tableAccess: 'read'` (the function may not write the table) turns off
 * the two writes: recording sign-ins and counting requests; such a function must serve no
 * tenant-scoped route, or those routes would go unlimited.
 */
export function createRuntime({ tableAccess = 'readWrite' }: { tableAccess?: 'read' | 'readWrite' } = {}) {
  const env = readEnv();
  const db: Db = {
    client: createDocumentClient({ region: env.AWS_REGION, endpoint: env.AWS_ENDPOINT_URL }),
    tableName: env.TABLE_NAME,
  };
  const writes = tableAccess === 'readWrite';
  const apiRateLimit = writes
    ? { limiter: createTableRateLimiter(db, systemClock), limits: parseApiRateLimits(env.API_RATE_LIMITS) }
    : undefined;
  return {
    env,
    db,
    clock: systemClock,
    newId: () => newId(),
    tenancy: createTenancy({ db, recordSignIns: writes, apiRateLimit }),
    userGate: createUserGate({ db, recordSignIns: writes }),
  };
}
