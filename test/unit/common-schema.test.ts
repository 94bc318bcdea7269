import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { emailSchema, paginationQuery, partialUpdate } from '#shared/http/common.schema.ts';

describe('emailSchema', () => {
  it('accepts an address and lower-cases it', () => {
    expect(emailSchema().parse('New.Member@Example.com')).toBe('new.member@example.com');
  });

  it('refuses a part before @ longer than 64 characters, as `format: email` does', () => {
    expect(emailSchema().safeParse(`${'a'.repeat(65)}@example.com`).success).toBe(false);
  });
});

describe('paginationQuery', () => {
  it('accepts a base64url cursor', () => {
    expect(paginationQuery().parse({ cursor: 'eyJrIjp7fX0_-' }).cursor).toBe('eyJrIjp7fX0_-');
  });

  it('refuses a cursor with characters no cursor has', () => {
    expect(paginationQuery().safeParse({ cursor: 'é%20' }).success).toBe(false);
  });
});

describe('partialUpdate', () => {
  const body = partialUpdate(z.strictObject({ name: z.string().optional() }));

  it('refuses an empty body', () => {
    expect(body.safeParse({}).success).toBe(false);
  });

  it('accepts a body with one field', () => {
    expect(body.parse({ name: 'x' })).toEqual({ name: 'x' });
  });
});
