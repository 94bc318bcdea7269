/**
 * The magic-link function as the local server runs it: the deployed function's routes and wiring
 * (functions/magic-link/magic-link-app.ts) with the local stand-in for the pool's custom auth flow
 * (./custom-auth.ts), which runs the deployed trigger handlers in process around the emulator.
 */
import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { createMagicLinkHandler } from '../../functions/magic-link/magic-link-app.ts';
import { createLocalCustomAuth } from './custom-auth.ts';

export const handler = createMagicLinkHandler((pool) =>
  // Honours AWS_ENDPOINT_URL (the emulator), as every function's client does locally.
  createLocalCustomAuth(new CognitoIdentityProviderClient({ region: pool.region }), pool),
);
