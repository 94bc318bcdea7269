import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Every key starts with this, so secret scanners and people recognise a Plinth API key. */
export const API_KEY_PREFIX = 'plk_';

const KEY_ID_ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
const KEY_ID_LENGTH = 16;
/** 32 random bytes (256 bits), base64url: 43 characters. */
const SECRET_BYTES = 32;

const KEY_PATTERN = /^plk_([0-9a-hjkmnp-tv-z]{16})_([A-Za-z0-9_-]{43})$/;

/** A freshly issued key: `key` is shown once and never stored; `hash` is what the table keeps. */
export interface IssuedApiKey {
  readonly keyId: string;
  /** `plk_<keyId>`: shown in lists to tell keys apart; not a secret. */
  readonly prefix: string;
  readonly key: string;
  readonly hash: string;
}

/**
 * Issues a key `plk_<keyId>_<secret>`: a 16-character key id (80 random bits, the table lookup)
 * and a 256-bit secret, both from the OS CSPRNG.
 */
export function issueApiKey(random: (size: number) => Buffer = randomBytes): IssuedApiKey {
  const idBytes = random(KEY_ID_LENGTH);
  let keyId = '';
  for (const byte of idBytes) keyId += KEY_ID_ALPHABET[byte % 32];
  const secret = random(SECRET_BYTES).toString('base64url');
  const key = `${API_KEY_PREFIX}${keyId}_${secret}`;
  return { keyId, prefix: `${API_KEY_PREFIX}${keyId}`, key, hash: hashApiKey(key) };
}

/** The key id of a well-formed key, else undefined (anything else is not a Plinth key). */
export function parseApiKey(key: string): { readonly keyId: string } | undefined {
  const match = KEY_PATTERN.exec(key);
  return match?.[1] ? { keyId: match[1] } : undefined;
}

/** Whether a bearer token looks like a Plinth API key rather than a JWT. */
export function looksLikeApiKey(token: string): boolean {
  return token.startsWith(API_KEY_PREFIX);
}

/**
 * SHA-256 of the whole key, hex. A fast hash is enough here: the secret has 256 bits of entropy, so
 * there is nothing to guess (salting and stretching guard low-entropy passwords).
 */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** Compares `key` with a stored hash in constant time. */
export function apiKeyMatches(key: string, storedHash: string): boolean {
  const presented = Buffer.from(hashApiKey(key), 'hex');
  const stored = Buffer.from(storedHash, 'hex');
  return stored.length === presented.length && timingSafeEqual(presented, stored);
}
