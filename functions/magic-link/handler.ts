import { deferred } from '#shared/app/deferred.ts';
import type { CustomAuthSignIn } from '#shared/auth/magic-link/magic-link.service.ts';
import { traceClient } from '#shared/observability/tracer.ts';
import { createMagicLinkHandler } from './magic-link-app.ts';

/**
 * Public routes: request a magic link; exchange it for Cognito tokens through the pool's custom
 * auth flow (AdminInitiateAuth / AdminRespondToAuthChallenge; the trigger Lambdas decide). The
 * Cognito client of the exchange is loaded on the first exchange, not at cold start: a request for
 * a link does not need it (its directory lookup loads Cognito on first use too).
 */
export const handler = createMagicLinkHandler((pool) =>
  deferred<CustomAuthSignIn>(async () => {
    const [{ CognitoIdentityProviderClient }, { createCognitoCustomAuth }] = await Promise.all([
      import('@aws-sdk/client-cognito-identity-provider'),
      import('#shared/auth/magic-link/cognito-custom-auth.ts'),
    ]);
    return createCognitoCustomAuth(
      traceClient(new CognitoIdentityProviderClient({ region: pool.region })),
      pool,
    );
  }),
);
