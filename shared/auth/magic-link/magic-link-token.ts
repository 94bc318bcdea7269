import { createHash, randomBytes } from 'node:crypto';

/** How long a magic link works after it was requested. */
export const MAGIC_LINK_TTL_SECONDS = 15 * 60;

/** 32 random bytes, base64url: 43 characters. */
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** A new link token: 256 random bits, URL-safe. Only its hash is stored. */
export function newMagicLinkToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * What the table keeps of a token: its SHA-256 (base64url). The token has 256 bits of entropy, so a
 * plain hash (no salt, no slow KDF) is enough: nobody can guess a preimage, and a leaked table holds
 * nothing that signs anyone in.
 */
export function hashMagicLinkToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('base64url');
}

/** Whether `value` has the shape of a token we issue; anything else is refused without a lookup. */
export function isMagicLinkToken(value: string): boolean {
  return TOKEN_PATTERN.test(value);
}

/** When a link requested at `now` stops working (epoch milliseconds). */
export function magicLinkExpiry(now: Date): number {
  return now.getTime() + MAGIC_LINK_TTL_SECONDS * 1000;
}

/** The link the email carries: the product's page, which exchanges it for tokens. */
export function magicLinkUrl(appUrl: string, token: string, email: string): string {
  const url = new URL('/sign-in/magic', appUrl);
  url.searchParams.set('token', token);
  url.searchParams.set('email', email);
  return url.toString();
}
