import { createHash } from 'node:crypto';
import { BadRequestError } from '../http/errors.ts';

type Key = Record<string, string>;

/**
 * A cursor is opaque to clients, and bound to the partition it pages through and to the
 * query's filters: a cursor from another tenant or another query, or a tampered one, is a 400.
 */
export interface CursorBinding {
  /** The partition (or index partition) value the query reads, e.g. `TENANT#...`. */
  readonly partition: string;
  /** Anything else that shapes the result: filters, index name. */
  readonly scope: string;
}

function fingerprint(binding: CursorBinding): string {
  return createHash('sha256')
    .update(`${binding.partition}\n${binding.scope}`)
    .digest('base64url')
    .slice(0, 22);
}

export function encodeCursor(
  lastKey: Record<string, unknown> | undefined,
  binding: CursorBinding,
): string | undefined {
  if (!lastKey) return undefined;
  return Buffer.from(JSON.stringify({ k: lastKey, f: fingerprint(binding) })).toString('base64url');
}

function invalid(): never {
  throw new BadRequestError('The cursor is not valid for this list.', [
    { field: 'query.cursor', message: 'unknown, tampered or belongs to another list' },
  ]);
}

/**
 * Decodes a cursor made by {@link encodeCursor} for the same binding. `partitionAttribute` names
 * the key attribute that must equal the binding's partition (`pk` or `gsi1pk`).
 */
export function decodeCursor(
  cursor: string | undefined,
  binding: CursorBinding,
  partitionAttribute: 'pk' | 'gsi1pk' = 'pk',
): Key | undefined {
  if (cursor === undefined) return undefined;
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return invalid();
  }
  if (typeof decoded !== 'object' || decoded === null) return invalid();
  const { k, f } = decoded as { k?: unknown; f?: unknown };
  if (f !== fingerprint(binding) || typeof k !== 'object' || k === null) return invalid();
  const entries = Object.entries(k);
  const allowed = new Set(['pk', 'sk', 'gsi1pk', 'gsi1sk']);
  if (
    entries.length === 0 ||
    entries.some(([name, value]) => !allowed.has(name) || typeof value !== 'string')
  ) {
    return invalid();
  }
  const key = Object.fromEntries(entries) as Key;
  if (key[partitionAttribute] !== binding.partition) return invalid();
  return key;
}
