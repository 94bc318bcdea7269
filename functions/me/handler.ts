import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { impersonationGateFor } from '#shared/app/impersonation.ts';
import { createRuntime } from '#shared/app/runtime.ts';
import { createApiHandler, implement } from '#shared/http/api-handler.ts';
import { meRoutes as routes } from '#shared/http/routes/me.ts';
import { traceClient } from '#shared/observability/tracer.ts';
import { createTenantRepository } from '#shared/tenants/tenants.repository.ts';
import { createCognitoDirectory } from '#shared/users/identity-directory.ts';
import { createMeService } from '#shared/users/me.service.ts';

const runtime = createRuntime({ tableAccess: 'read' });
const { env, db, clock, newId, userGate } = runtime;
const directory = createCognitoDirectory(
  traceClient(new CognitoIdentityProviderClient({ region: env.AWS_REGION })),
  env.USER_POOL_ID,
);
const me = createMeService({ tenants: createTenantRepository(db, { clock, newId }), directory });

export const handler = createApiHandler(
  'me',
  routes,
  [
    implement(routes.getMe, async ({ caller }) => {
      await userGate.check(caller);
      return me.get(caller);
    }),
  ],
  { impersonation: impersonationGateFor(runtime) },
);
