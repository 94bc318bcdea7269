import { deferred } from '#shared/app/deferred.ts';
import { lazyIdentityDirectory } from '#shared/app/identity.ts';
import { impersonationGateFor } from '#shared/app/impersonation.ts';
import { createRuntime } from '#shared/app/runtime.ts';
import { createApiHandler, implement } from '#shared/http/api-handler.ts';
import { meRoutes as routes } from '#shared/http/routes/me.ts';
import { traceClient } from '#shared/observability/tracer.ts';
import { createTenantRepository } from '#shared/tenants/tenants.repository.ts';
import type { TotpAuthenticator } from '#shared/users/cognito-totp.ts';
import { createMeService } from '#shared/users/me.service.ts';
import { createMfaService } from '#shared/users/mfa.service.ts';
import { recordMfa } from '#shared/users/user-profile.ts';

// Writes only the caller's profile (MFA status, sign-in time); serves no tenant-scoped route.
const runtime = createRuntime();
const { env, db, clock, newId, userGate } = runtime;
// The Cognito client is loaded on the first request (which asks the pool for the caller's email),
// not at cold start, as in the tenants function.
const directory = lazyIdentityDirectory(env);
const totp = deferred<TotpAuthenticator>(async () => {
  const [{ CognitoIdentityProviderClient }, { createCognitoTotp }] = await Promise.all([
    import('@aws-sdk/client-cognito-identity-provider'),
    import('#shared/users/cognito-totp.ts'),
  ]);
  return createCognitoTotp(traceClient(new CognitoIdentityProviderClient({ region: env.AWS_REGION })));
});
const tenants = createTenantRepository(db, { clock, newId });
const me = createMeService({ tenants, directory });
const mfa = createMfaService({
  totp,
  directory,
  tenants,
  recordMfa: (userId, enabled, at) => recordMfa(db, userId, enabled, at),
  clock,
});

export const handler = createApiHandler(
  'me',
  routes,
  [
    implement(routes.getMe, async ({ caller }) => me.get(caller, await userGate.check(caller))),
    // The MFA routes call Cognito with the caller's own token (never under impersonation).
    implement(routes.startTotp, async ({ caller, accessToken }) => {
      await userGate.check(caller);
      return mfa.startTotp(caller, accessToken);
    }),
    implement(routes.verifyTotp, async ({ caller, accessToken, body }) => {
      await userGate.check(caller);
      return mfa.confirmTotp(caller, accessToken, body.code);
    }),
    implement(routes.disableMfa, async ({ caller, accessToken }) => {
      await userGate.check(caller);
      await mfa.disable(caller, accessToken);
      return undefined;
    }),
  ],
  { impersonation: impersonationGateFor(runtime) },
);
