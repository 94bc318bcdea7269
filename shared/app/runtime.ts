import { readEnv } from '../config/env.ts';
import { createDocumentClient, type Db } from '../db/client.ts';
import { newId, systemClock } from '../ids.ts';
import { createTenancy } from '../tenancy/tenant-context.ts';

/**
 * What every API function builds once per container: validated env, the table, the clock and id
 * generator, and the tenancy resolver. Feature-specific clients are built in each handler so a
 * bundle carries only what its area uses.
 */
export function createRuntime() {
  const env = readEnv();
  const db: Db = {
    client: createDocumentClient({ region: env.AWS_REGION, endpoint: env.AWS_ENDPOINT_URL }),
    tableName: env.TABLE_NAME,
  };
  return { env, db, clock: systemClock, newId: () => newId(), tenancy: createTenancy({ db }) };
}
