import { createHmac } from 'node:crypto';

/**
 * The stable pseudonym that replaces a person (or an erased tenant) wherever Plinth keeps a record of
 * what they did: `erased-<16 hex>`, an HMAC-SHA256 of the subject under the stage's key. The same
 * subject gives the same pseudonym everywhere (audit log, tickets, analytics), so actions still line
 * up with each other; without the key the pseudonym cannot be traced back to the id.
 */
export function pseudonymOf(key: string, kind: 'user' | 'tenant', id: string): string {
  return `erased-${createHmac('sha256', key).update(`${kind}:${id}`, 'utf8').digest('hex').slice(0, 16)}`;
}

/** What a pseudonymisation replaces: a user's id and email (any case) wherever they appear. */
export interface PersonalValues {
  readonly userId: string;
  readonly email?: string | undefined;
  readonly pseudonym: string;
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Replaces, in any JSON-like value, every string equal to the user id and every occurrence of the
 * email (case-insensitive, also inside longer text such as a message body) by the pseudonym; keys
 * are kept. Returns the same reference when nothing changed, so callers can skip the write.
 */
export function replacePersonal<T>(value: T, personal: PersonalValues): T {
  const email = personal.email?.toLowerCase();
  const emailPattern = email ? new RegExp(escapeRegExp(email), 'gi') : undefined;
  const walk = (current: unknown): unknown => {
    if (typeof current === 'string') {
      if (current === personal.userId) return personal.pseudonym;
      if (emailPattern && email && current.toLowerCase().includes(email)) {
        return current.replace(emailPattern, personal.pseudonym);
      }
      return current;
    }
    if (Array.isArray(current)) {
      const mapped = current.map(walk);
      return mapped.some((item, index) => item !== current[index]) ? mapped : current;
    }
    if (current !== null && typeof current === 'object') {
      let changed = false;
      const entries = Object.entries(current as Record<string, unknown>).map(([key, item]) => {
        const next = walk(item);
        if (next !== item) changed = true;
        return [key, next] as const;
      });
      return changed ? Object.fromEntries(entries) : current;
    }
    return current;
  };
  return walk(value) as T;
}

/**
 * The key pseudonyms are made with: `ERASURE_PSEUDONYM_KEY` where set (deployed: the data stack's secret,
 * so a pseudonym cannot be traced back to a user id by someone holding the ids), else the table's
 * name (stable per stage, so local runs and tests agree across functions). Here rather than in
 * erasure.env.ts, so the API function reads it without building the workers' environment schema.
 */
export function pseudonymKeyOf(env: {
  ERASURE_PSEUDONYM_KEY?: string | undefined;
  TABLE_NAME: string;
}): string {
  return env.ERASURE_PSEUDONYM_KEY ?? `plinth-erasure|${env.TABLE_NAME}`;
}
