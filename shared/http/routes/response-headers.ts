import type { ResponseHeaderDefinition } from '../route.ts';

/** The response headers of a route that counts against rate limits (shared/ratelimit). */
export const rateLimited: Record<string, ResponseHeaderDefinition> = {
  'ratelimit-policy': {
    description:
      'The rate limits this request counts against (draft-ietf-httpapi-ratelimit-headers), e.g. `"invitations-per-tenant";q=20;w=3600`: `q` units per `w` seconds.',
  },
  ratelimit: {
    description:
      'What is left of each limit, e.g. `"invitations-per-tenant";r=19;t=1800`: `r` units remaining, `t` seconds until the window resets.',
  },
};
