import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

/** A time-ordered, URL-safe id (ULID-like: 10 chars of time, 16 of randomness, lower-case Crockford). */
export function newId(now: Date = new Date()): string {
  let time = now.getTime();
  let head = '';
  for (let i = 0; i < 10; i++) {
    head = ALPHABET[time % 32] + head;
    time = Math.floor(time / 32);
  }
  const bytes = randomBytes(16);
  let tail = '';
  for (const byte of bytes) tail += ALPHABET[byte % 32];
  return head + tail;
}

/** Matches ids made by {@link newId}; used to reject malformed path ids before touching the table. */
export const ID_PATTERN = /^[0-9a-hjkmnp-tv-z]{26}$/;

export type IdGenerator = () => string;
export type Clock = () => Date;

export const systemClock: Clock = () => new Date();
