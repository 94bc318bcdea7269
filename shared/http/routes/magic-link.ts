import {
  magicLinkRequestBody,
  magicLinkRequested,
  magicLinkSessionBody,
  signInTokens,
} from '../../auth/magic-link/magic-link.schema.ts';
import { defineRoute, type RouteDefinition } from '../route.ts';
import { rateLimited } from './response-headers.ts';

/**
 * The `magic-link` function's routes: passwordless sign-in by emailed link. Public (no bearer
 * token: the caller is signing in), reviewed as such in lib/stacks/api-stack.ts.
 */
export const magicLinkRoutes = {
  requestMagicLink: defineRoute({
    method: 'POST',
    path: '/v1/auth/magic-link',
    area: 'magic-link',
    auth: 'none',
    operationId: 'requestMagicLink',
    summary:
      "Email a single-use sign-in link (15 minutes) to the address, if it has an account; the same 202 either way. Rate limited per address and per client IP. A new link replaces the address's previous one.",
    body: magicLinkRequestBody,
    response: magicLinkRequested,
    status: 202,
    responseHeaders: rateLimited,
    problems: [429],
  }),
  createMagicLinkSession: defineRoute({
    method: 'POST',
    path: '/v1/auth/magic-link/session',
    area: 'magic-link',
    auth: 'none',
    operationId: 'createMagicLinkSession',
    summary:
      "Exchange a magic link's email and token for the user's Cognito tokens (the pool's custom auth flow, run server side); the link works once. Rate limited per client IP.",
    body: magicLinkSessionBody,
    response: signInTokens,
    status: 200,
    responseHeaders: rateLimited,
    problems: [401, 429],
  }),
} as const satisfies Record<string, RouteDefinition>;
