import { createOperatorGuard, type OperatorGuard } from '../admin/operators.ts';
import type { readEnv } from '../config/env.ts';
import type { Clock } from '../ids.ts';
import { traceClient } from '../observability/tracer.ts';
import type { IdentityDirectory } from '../users/identity-directory.ts';
import { deferred } from './deferred.ts';

type Env = Pick<ReturnType<typeof readEnv>, 'AWS_REGION' | 'USER_POOL_ID'>;

/**
 * The user pool as a directory, with the Cognito client loaded on first use rather than at cold
 * start (most requests of a function never ask the pool). The client honours AWS_ENDPOINT_URL, which
 * points it at the emulator locally.
 */
export function lazyIdentityDirectory(env: Env): IdentityDirectory {
  return deferred<IdentityDirectory>(async () => {
    const [{ CognitoIdentityProviderClient }, { createCognitoDirectory }] = await Promise.all([
      import('@aws-sdk/client-cognito-identity-provider'),
      import('../users/identity-directory.ts'),
    ]);
    return createCognitoDirectory(
      traceClient(new CognitoIdentityProviderClient({ region: env.AWS_REGION })),
      env.USER_POOL_ID,
    );
  });
}

/** The guard of a function's operator routes, asking the pool (lazily) whether an operator has MFA. */
export function operatorGuardFor(
  env: Env,
  clock: Clock,
  directory = lazyIdentityDirectory(env),
): OperatorGuard {
  return createOperatorGuard({ directory, clock });
}
