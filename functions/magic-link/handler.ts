import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { createCognitoCustomAuth } from '#shared/auth/magic-link/cognito-custom-auth.ts';
import { traceClient } from '#shared/observability/tracer.ts';
import { createMagicLinkHandler } from './magic-link-app.ts';

/**
 * Public routes: request a magic link; exchange it for Cognito tokens through the pool's custom
 * auth flow (AdminInitiateAuth / AdminRespondToAuthChallenge; the trigger Lambdas decide).
 */
export const handler = createMagicLinkHandler((pool) =>
  createCognitoCustomAuth(traceClient(new CognitoIdentityProviderClient({ region: pool.region })), pool),
);
