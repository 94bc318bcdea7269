import { describe, expect, it } from 'vitest';
import { callerFromClaims } from '#shared/auth/caller.ts';
import { UnauthorizedError } from '#shared/http/errors.ts';

describe('callerFromClaims', () => {
  it('reads groups rendered the way API Gateway renders array claims', () => {
    const caller = callerFromClaims({
      sub: 'u1',
      token_use: 'access',
      'cognito:groups': '[platform-admin support]',
    });
    expect(caller.groups).toEqual(['platform-admin', 'support']);
    expect(caller.platformAdmin).toBe(true);
  });

  it('reads groups given as a real array', () => {
    expect(
      callerFromClaims({ sub: 'u1', token_use: 'access', 'cognito:groups': ['support'] }).platformAdmin,
    ).toBe(false);
  });

  it('treats a caller without groups as a plain user', () => {
    expect(callerFromClaims({ sub: 'u1', token_use: 'access' })).toEqual({
      userId: 'u1',
      groups: [],
      platformAdmin: false,
    });
  });

  it('refuses an ID token', () => {
    expect(() => callerFromClaims({ sub: 'u1', token_use: 'id' })).toThrow(/access token/);
  });

  it('refuses claims without a subject', () => {
    expect(() => callerFromClaims({})).toThrow(UnauthorizedError);
    expect(() => callerFromClaims(undefined)).toThrow(UnauthorizedError);
  });
});
