import { deferred } from '#shared/app/deferred.ts';
import { impersonationGateFor } from '#shared/app/impersonation.ts';
import { createRuntime } from '#shared/app/runtime.ts';
import { createApiHandler, implement } from '#shared/http/api-handler.ts';
import { ssoRoutes as routes } from '#shared/http/routes/sso.ts';
import { traceClient } from '#shared/observability/tracer.ts';
import type { ClientSecretStore } from '#shared/sso/client-secrets.ts';
import { createDnsVerifier, simulatedVerifier } from '#shared/sso/domain-verification.ts';
import type { IdentityProviderDirectory } from '#shared/sso/identity-providers.ts';
import { readSsoEnv } from '#shared/sso/sso.env.ts';
import { createSsoRepository } from '#shared/sso/sso.repository.ts';
import { createSsoService } from '#shared/sso/sso.service.ts';

const runtime = createRuntime();
const { env, db, clock, newId, tenancy } = runtime;
const ssoEnv = readSsoEnv();
// The Cognito and Secrets Manager clients load on the first configuration change, not at cold
// start: discovery (the public, busiest route) needs neither.
const providers = deferred<IdentityProviderDirectory>(async () => {
  const [{ CognitoIdentityProviderClient }, { createCognitoIdentityProviders }] = await Promise.all([
    import('@aws-sdk/client-cognito-identity-provider'),
    import('#shared/sso/identity-providers.ts'),
  ]);
  return createCognitoIdentityProviders(
    traceClient(new CognitoIdentityProviderClient({ region: env.AWS_REGION })),
    { userPoolId: env.USER_POOL_ID, ssoClientId: ssoEnv.SSO_CLIENT_ID },
  );
});
const secrets = deferred<ClientSecretStore>(async () => {
  const [{ SecretsManagerClient }, { createSecretsManagerStore }] = await Promise.all([
    import('@aws-sdk/client-secrets-manager'),
    import('#shared/sso/client-secrets.ts'),
  ]);
  return createSecretsManagerStore(
    traceClient(new SecretsManagerClient({ region: env.AWS_REGION })),
    ssoEnv.SSO_SECRET_PREFIX,
  );
});
const sso = createSsoService({
  repo: createSsoRepository(db, { clock, newId }),
  providers,
  secrets,
  verifier: ssoEnv.SSO_DOMAIN_VERIFICATION === 'simulated' ? simulatedVerifier : createDnsVerifier(),
  hostedUi: {
    baseUrl: ssoEnv.SSO_HOSTED_UI_URL,
    clientId: ssoEnv.SSO_CLIENT_ID,
    callbackUrl: ssoEnv.SSO_CALLBACK_URL,
  },
  clock,
});

export const handler = createApiHandler(
  'sso',
  routes,
  [
    implement(routes.getSso, async ({ params, caller, request }) =>
      sso.get(await tenancy.resolve(caller, params.tenantId, request)),
    ),
    implement(routes.putSso, async ({ params, caller, request, body }) =>
      sso.put(await tenancy.resolve(caller, params.tenantId, request), body),
    ),
    implement(routes.deleteSso, async ({ params, caller, request }) => {
      await sso.remove(await tenancy.resolve(caller, params.tenantId, request));
      return undefined;
    }),
    implement(routes.claimSsoDomain, async ({ params, caller, request, body }) =>
      sso.claimDomain(await tenancy.resolve(caller, params.tenantId, request), body.domain),
    ),
    implement(routes.verifySsoDomain, async ({ params, caller, request }) =>
      sso.verifyDomain(await tenancy.resolve(caller, params.tenantId, request), params.domain),
    ),
    implement(routes.discoverSso, async ({ query }) => sso.discover(query.email)),
  ],
  { impersonation: impersonationGateFor(runtime) },
);
