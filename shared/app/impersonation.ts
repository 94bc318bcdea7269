import type { OperatorGuard } from '../admin/operators.ts';
import type { readEnv } from '../config/env.ts';
import type { Db } from '../db/client.ts';
import type { ImpersonationGate } from '../http/api-handler.ts';
import type { Clock, IdGenerator } from '../ids.ts';
import { createImpersonationRepository } from '../impersonation/impersonation.repository.ts';
import { createImpersonationGate } from '../impersonation/impersonation-gate.ts';
import { operatorGuardFor } from './identity.ts';

type Env = Pick<ReturnType<typeof readEnv>, 'AWS_REGION' | 'USER_POOL_ID'>;

/**
 * The impersonation gate of an API function (`createApiHandler(..., { impersonation })`): sessions
 * read from the table, operators checked by the operator guard (the function's own, when it has
 * one, or a new one asking the pool lazily). Nothing is read unless a request carries the header.
 */
export function impersonationGateFor(
  runtime: { env: Env; db: Db; clock: Clock; newId: IdGenerator },
  operators: OperatorGuard = operatorGuardFor(runtime.env, runtime.clock),
): ImpersonationGate {
  const sessions = createImpersonationRepository(runtime.db, runtime);
  return createImpersonationGate({ sessions, operators, clock: runtime.clock });
}
