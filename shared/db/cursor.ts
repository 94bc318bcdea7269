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

/** DynamoDB refuses empty key values and sort keys above 1024 bytes (partition keys: 2048). */
const isKeyValue = (value: unknown): value is string =>
  typeof value === 'string' && value.length > 0 && Buffer.byteLength(value, 'utf8') <= 1024;

/** The attributes of a LastEvaluatedKey: the table's key, plus the index's key on a GSI query. */
const keyShapes = {
  pk: { sort: 'sk', all: ['pk', 'sk'] },
  gsi1pk: { sort: 'gsi1sk', all: ['gsi1pk', 'gsi1sk', 'pk', 'sk'] },
  gsi2pk: { sort: 'gsi2sk', all: ['gsi2pk', 'gsi2sk', 'pk', 'sk'] },
} as const;

/**
 * Decodes a cursor made by {@link encodeCursor} for the same binding. `partitionAttribute` names
 * the key attribute that must equal the binding's partition (`pk`, `gsi1pk` or `gsi2pk`). The fingerprint is
 * not a secret, so a client can forge one: the key must also have exactly the attributes DynamoDB
 * expects, as strings it accepts, and, when `sortRange` is given, a sort key (`sk`, `gsi1sk` or `gsi2sk`)
 * within the query's inclusive bounds; otherwise DynamoDB would refuse the start key with an
 * error that reaches the client as a 500.
 */
export function decodeCursor(
  cursor: string | undefined,
  binding: CursorBinding,
  partitionAttribute: 'pk' | 'gsi1pk' | 'gsi2pk' = 'pk',
  sortRange?: { readonly from: string; readonly to: string },
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
  const shape = keyShapes[partitionAttribute];
  const expected: readonly string[] = shape.all;
  if (
    entries.length !== expected.length ||
    entries.some(([name, value]) => !expected.includes(name) || !isKeyValue(value))
  ) {
    return invalid();
  }
  const key = Object.fromEntries(entries) as Key;
  if (key[partitionAttribute] !== binding.partition) return invalid();
  const sortKey = key[shape.sort] as string;
  if (sortRange && (sortKey < sortRange.from || sortKey > sortRange.to)) return invalid();
  return key;
}
