import { describe, expect, it } from 'vitest';
import { etagOf, ifMatchAllows, ifMatchHeaders, parseIfMatch } from '#shared/http/conditional.ts';

const accepts = (value: string) => ifMatchHeaders().safeParse({ 'if-match': value }).success;

describe('If-Match', () => {
  it('quotes a version as a strong ETag', () => {
    expect(etagOf(3)).toBe('"3"');
  });

  it.each(['*', '"3"', 'W/"3"', '"1", "3"', ' "1" ,W/"2" '])('accepts %s as a header value', (value) => {
    expect(accepts(value)).toBe(true);
  });

  it.each(['3', '"3', '"3" "4"', '**', ''])('refuses %j as a header value', (value) => {
    expect(accepts(value)).toBe(false);
  });

  it('lets * change any version', () => {
    expect(ifMatchAllows({ any: true }, 7)).toBe(true);
  });

  it('lets a list change the version one of its tags names', () => {
    expect(ifMatchAllows(parseIfMatch('"1", "3"') ?? { any: true }, 3)).toBe(true);
  });

  it('refuses a tag of another version', () => {
    expect(ifMatchAllows(parseIfMatch('"2"') ?? { any: true }, 3)).toBe(false);
  });

  it('never lets a weak tag match (strong comparison)', () => {
    expect(ifMatchAllows(parseIfMatch('W/"3"') ?? { any: true }, 3)).toBe(false);
  });

  it('reads an absent header as no precondition', () => {
    expect(parseIfMatch(undefined)).toBeUndefined();
  });
});
