import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type CursorBinding, decodeCursor, encodeCursor } from '#shared/db/cursor.ts';
import { BadRequestError } from '#shared/http/errors.ts';

const tenantA = 'TENANT#01hzzzzzzzzzzzzzzzzzzzzzza';
const tenantB = 'TENANT#01hzzzzzzzzzzzzzzzzzzzzzzb';
const projects: CursorBinding = { partition: tenantA, scope: 'projects' };
const lastProject = { pk: tenantA, sk: 'PROJECT#01j00000000000000000000000' };

/** A cursor built by hand, the way a client could forge one: the fingerprint is not secret. */
function forge(key: unknown, like: { cursor: string }): string {
  const { f } = JSON.parse(Buffer.from(like.cursor, 'base64url').toString('utf8'));
  return Buffer.from(JSON.stringify({ k: key, f })).toString('base64url');
}

function rejection(run: () => unknown): BadRequestError {
  try {
    run();
  } catch (error) {
    if (error instanceof BadRequestError) return error;
    throw error;
  }
  throw new Error('expected a BadRequestError, but the cursor was accepted');
}

const validCursor = encodeCursor(lastProject, projects) as string;

describe('encodeCursor and decodeCursor', () => {
  it('round-trips the last evaluated key', () => {
    expect(decodeCursor(validCursor, projects)).toEqual(lastProject);
  });

  it('encodes no cursor on the last page', () => {
    expect(encodeCursor(undefined, projects)).toBeUndefined();
  });

  it('decodes no key when no cursor is given', () => {
    expect(decodeCursor(undefined, projects)).toBeUndefined();
  });

  it('makes opaque, URL-safe cursors', () => {
    expect(validCursor).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it('round-trips an index key when the partition is the index partition', () => {
    const binding = { partition: `${tenantA}#ACTOR#u1`, scope: 'audit' };
    const key = {
      pk: tenantA,
      sk: 'AUDIT#2024-01-01T00:00:00.000Z#e1',
      gsi1pk: `${tenantA}#ACTOR#u1`,
      gsi1sk: 'AUDIT#2024-01-01T00:00:00.000Z#e1',
    };
    expect(decodeCursor(encodeCursor(key, binding), binding, 'gsi1pk')).toEqual(key);
  });
});

describe('decodeCursor refuses', () => {
  it("another tenant's cursor with a field error on query.cursor", () => {
    const error = rejection(() => decodeCursor(validCursor, { ...projects, partition: tenantB }));
    expect(error.status).toBe(400);
    expect(error.errors).toEqual([{ field: 'query.cursor', message: expect.any(String) }]);
  });

  it('a cursor of another list of the same tenant', () => {
    expect(() => decodeCursor(validCursor, { ...projects, scope: 'members' })).toThrow(BadRequestError);
  });

  it('a cursor whose key was moved to another tenant', () => {
    const forged = forge({ ...lastProject, pk: tenantB }, { cursor: validCursor });
    expect(() => decodeCursor(forged, projects)).toThrow(BadRequestError);
  });

  it('a cursor whose fingerprint was altered', () => {
    const forged = Buffer.from(JSON.stringify({ k: lastProject, f: 'x'.repeat(22) })).toString('base64url');
    expect(() => decodeCursor(forged, projects)).toThrow(BadRequestError);
  });

  it('a cursor cut short', () => {
    expect(() => decodeCursor(validCursor.slice(0, -4), projects)).toThrow(BadRequestError);
  });

  it.each([
    ['not base64 JSON', 'not-a-cursor'],
    ['JSON that is not an object', Buffer.from('42').toString('base64url')],
    ['JSON null', Buffer.from('null').toString('base64url')],
    ['an empty string', ''],
  ])('garbage: %s', (_name, cursor) => {
    expect(() => decodeCursor(cursor, projects)).toThrow(BadRequestError);
  });

  it.each([
    ['a number', { pk: tenantA, sk: 7 }],
    ['an object', { pk: tenantA, sk: { S: 'PROJECT#1' } }],
    ['null', { pk: tenantA, sk: null }],
    ['an empty string', { pk: tenantA, sk: '' }],
    ['a string above 1024 bytes', { pk: tenantA, sk: `PROJECT#${'x'.repeat(1024)}` }],
  ])('a key value that is %s', (_name, key) => {
    expect(() => decodeCursor(forge(key, { cursor: validCursor }), projects)).toThrow(BadRequestError);
  });

  it.each([
    ['an unknown attribute', { ...lastProject, tenantId: 'x' }],
    ['a missing sort key', { pk: tenantA }],
    ['index attributes on a table query', { ...lastProject, gsi1pk: 'x', gsi1sk: 'y' }],
    ['an array', [tenantA, 'PROJECT#1']],
  ])('a key with %s', (_name, key) => {
    expect(() => decodeCursor(forge(key, { cursor: validCursor }), projects)).toThrow(BadRequestError);
  });

  it('an index cursor without the table key', () => {
    const binding = { partition: `${tenantA}#ACTOR#u1`, scope: 'audit' };
    const cursor = encodeCursor({ gsi1pk: binding.partition, gsi1sk: 'AUDIT#x' }, binding) as string;
    expect(() => decodeCursor(cursor, binding, 'gsi1pk')).toThrow(BadRequestError);
  });

  it('a sort key outside the range the query reads', () => {
    const range = { from: 'PROJECT#', to: 'PROJECT#~' };
    const outside = encodeCursor({ pk: tenantA, sk: 'MEMBER#u1' }, projects) as string;
    expect(decodeCursor(validCursor, projects, 'pk', range)).toEqual(lastProject);
    expect(() => decodeCursor(outside, projects, 'pk', range)).toThrow(BadRequestError);
  });
});

describe('decodeCursor, for any input', () => {
  const inBoundPartition = (key: Record<string, string> | undefined) => key?.pk === tenantA;

  function acceptsOnlyBoundKeys(cursor: string): boolean {
    try {
      return inBoundPartition(decodeCursor(cursor, projects));
    } catch (error) {
      return error instanceof BadRequestError;
    }
  }

  it('either refuses a string with a 400 or yields a key in the bound partition', () => {
    fc.assert(fc.property(fc.string({ maxLength: 300 }), acceptsOnlyBoundKeys), { numRuns: 500 });
  });

  it('either refuses a forged JSON cursor with a 400 or yields a key in the bound partition', () => {
    const fingerprints = fc.constantFrom(
      JSON.parse(Buffer.from(validCursor, 'base64url').toString('utf8')).f as string,
      'nope',
    );
    const keys = fc.oneof(
      fc.jsonValue(),
      fc.dictionary(
        fc.constantFrom('pk', 'sk', 'gsi1pk', 'gsi1sk', 'x'),
        fc.oneof(fc.string(), fc.jsonValue()),
      ),
      fc.record({ pk: fc.constantFrom(tenantA, tenantB), sk: fc.string() }),
    );
    fc.assert(
      fc.property(keys, fingerprints, (k, f) =>
        acceptsOnlyBoundKeys(Buffer.from(JSON.stringify({ k, f })).toString('base64url')),
      ),
      { numRuns: 500 },
    );
  });
});
