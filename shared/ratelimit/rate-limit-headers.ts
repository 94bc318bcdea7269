import { type ResponseHeaders, TooManyRequestsError } from '../http/errors.ts';
import type { RateLimitDecision } from './rate-limiter.ts';

/**
 * The RateLimit header fields of draft-ietf-httpapi-ratelimit-headers (structured-field lists,
 * one member per policy checked):
 * - `RateLimit-Policy: "invitations-per-tenant";q=20;w=3600` — the quota `q` per window `w` seconds;
 * - `RateLimit: "invitations-per-tenant";r=19;t=1800` — `r` units remaining, `t` seconds to reset;
 * - on a refusal also `Retry-After: <seconds>` (RFC 9110), the refused policy's reset.
 * Header names are lower-case, as HTTP/2 sends them.
 */
export function rateLimitHeaders(decisions: readonly RateLimitDecision[]): ResponseHeaders {
  if (decisions.length === 0) return {};
  const headers: Record<string, string> = {
    'ratelimit-policy': decisions
      .map(({ policy }) => `"${policy.name}";q=${policy.limit};w=${policy.windowSeconds}`)
      .join(', '),
    ratelimit: decisions.map((d) => `"${d.policy.name}";r=${d.remaining};t=${d.resetSeconds}`).join(', '),
  };
  const refused = decisions.find((d) => !d.allowed);
  if (refused) headers['retry-after'] = String(refused.resetSeconds);
  return headers;
}

/** "35 minutes", "1 hour", "20 seconds": a reset time for people. */
export function describeWait(seconds: number): string {
  const [amount, unit] =
    seconds >= 5400
      ? [Math.round(seconds / 3600), 'hour']
      : seconds >= 90
        ? [Math.ceil(seconds / 60), 'minute']
        : [seconds, 'second'];
  return `${amount} ${unit}${amount === 1 ? '' : 's'}`;
}

/**
 * 429 from the rate limiter: `detail` says which limit, and when to retry; the headers carry
 * `Retry-After` and the RateLimit fields of every check made for the request.
 */
export class RateLimitedError extends TooManyRequestsError {
  readonly decisions: readonly RateLimitDecision[];

  constructor(detail: string, decisions: readonly RateLimitDecision[]) {
    const refused = decisions.find((d) => !d.allowed);
    const wait = refused ? ` Try again in ${describeWait(refused.resetSeconds)}.` : '';
    super(`${detail}${wait}`, rateLimitHeaders(decisions));
    this.name = 'RateLimitedError';
    this.decisions = decisions;
  }
}
