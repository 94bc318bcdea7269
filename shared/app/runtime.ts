import { readEnv } from '../config/env.ts';
import { createDocumentClient, type Db } from '../db/client.ts';
import { newId, systemClock } from '../ids.ts';
import { createTenancy } from '../tenancy/tenant-context.ts';
import { createUserGate } from '../users/user-profile.ts';

/**
 * What every API function builds once per container: validated env, the table, the clock and id
 * generator, the tenancy resolver and the user gate (suspended users, for routes that resolve no
 * tenant). Feature-specific clients are built in each handler so a bundle carries only what its
 * area uses. `tableAccess: 'read'` (the function may not write the table) turns off recording
 * sign-ins, which is a write.
 */
export function createRuntime({ tableAccess = 'readWrite' }: { tableAccess?: 'read' | 'readWrite' } = {}) {
  const env = readEnv();
  const db: Db = {
    client: createDocumentClient({ region: env.AWS_REGION, endpoint: env.AWS_ENDPOINT_URL }),
    tableName: env.TABLE_NAME,
  };
  const recordSignIns = tableAccess === 'readWrite';
  return {
    env,
    db,
    clock: systemClock,
    newId: () => newId(),
    tenancy: createTenancy({ db, recordSignIns }),
    userGate: createUserGate({ db, recordSignIns }),
  };
}
