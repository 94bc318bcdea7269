import { describe, expect, it } from 'vitest';
import type { AccountsRepository } from '#shared/admin/accounts.repository.ts';
import { createAccountsService } from '#shared/admin/accounts.service.ts';
import type { PlatformAuditLog } from '#shared/admin/platform-audit-log.ts';
import type { SearchRepository } from '#shared/admin/search.repository.ts';
import type { UserAccount, UserAdmin } from '#shared/admin/user-admin.ts';
import { callerFromClaims } from '#shared/auth/caller.ts';
import { keys, searchTerm } from '#shared/db/keys.ts';
import { ConflictError, ForbiddenError } from '#shared/http/errors.ts';
import { assertNotSuspended, newerSignIn, UserSuspendedError } from '#shared/users/user-profile.ts';

const caller = (authTime?: number) => ({
  userId: 'u1',
  groups: [],
  platformAdmin: false,
  ...(authTime === undefined ? {} : { authTime }),
});

describe('last sign-in', () => {
  it('records the token’s auth_time when the profile has none', () => {
    expect(newerSignIn(caller(1_796_000_000), undefined)).toBe('2026-11-30T00:53:20.000Z');
  });

  it('records nothing when the profile already holds that sign-in or a newer one', () => {
    const profile = { userId: 'u1', lastSignInAt: '2026-11-30T00:53:20.000Z' };
    expect(newerSignIn(caller(1_796_000_000), profile)).toBeUndefined();
    expect(newerSignIn(caller(1_795_000_000), profile)).toBeUndefined();
  });

  it('records a newer sign-in', () => {
    const profile = { userId: 'u1', lastSignInAt: '2026-11-30T00:53:20.000Z' };
    expect(newerSignIn(caller(1_796_000_060), profile)).toBe('2026-11-30T00:54:20.000Z');
  });

  it('records nothing for a token without auth_time', () => {
    expect(newerSignIn(caller(), undefined)).toBeUndefined();
  });

  it('reads auth_time from the claims API Gateway passes as strings', () => {
    expect(callerFromClaims({ sub: 'u1', token_use: 'access', auth_time: '1796000000' }).authTime).toBe(
      1_796_000_000,
    );
    expect(callerFromClaims({ sub: 'u1', token_use: 'access', auth_time: 'soon' })).not.toHaveProperty(
      'authTime',
    );
  });
});

describe('user suspension flag', () => {
  it('refuses a suspended profile with a 403', () => {
    expect(() => assertNotSuspended({ userId: 'u1', status: 'suspended' })).toThrow(UserSuspendedError);
    expect(new UserSuspendedError().status).toBe(403);
  });

  it('lets an active profile and a user without a profile through', () => {
    expect(() => assertNotSuspended({ userId: 'u1', status: 'active' })).not.toThrow();
    expect(() => assertNotSuspended(undefined)).not.toThrow();
  });
});

describe('search keys', () => {
  it('stores terms normalised, lower-cased and trimmed', () => {
    expect(searchTerm('  ÄcMe Ｃorp ')).toBe('äcme corp');
  });

  it('queries the partition a term was stored in, for any prefix of it', () => {
    const entry = keys.tenantSearchEntry(searchTerm('Acme Corp'), 't1');
    const query = keys.tenantSearch(searchTerm('ACM'));
    expect(query.gsi2pk).toBe(entry.gsi2pk);
    expect(entry.gsi2sk.startsWith(query.gsi2skPrefix)).toBe(true);
  });

  it('reads the platform audit log by operator first, then by tenant, else the whole log', () => {
    expect(keys.platformAuditPartition({ operatorId: 'op', tenantId: 't1' }).index).toBe('gsi1');
    expect(keys.platformAuditPartition({ tenantId: 't1' }).index).toBe('gsi2');
    expect(keys.platformAuditPartition({}).index).toBeUndefined();
  });
});

/** A pool with one user; records the calls the use cases make. */
function fakePool(account: Partial<UserAccount> = {}) {
  const calls: string[] = [];
  const users: UserAdmin = {
    async getAccount(userId) {
      return {
        userId,
        email: 'a@example.com',
        emailVerified: true,
        enabled: true,
        status: 'CONFIRMED',
        mfaEnabled: false,
        createdAt: undefined,
        ...account,
      };
    },
    async disable(userId) {
      calls.push(`disable ${userId}`);
    },
    async enable(userId) {
      calls.push(`enable ${userId}`);
    },
    async signOutEverywhere(userId) {
      calls.push(`signOut ${userId}`);
    },
    async resetPassword(userId) {
      calls.push(`reset ${userId}`);
      return undefined;
    },
  };
  return { users, calls };
}

function serviceWith(users: UserAdmin) {
  const unused = () => {
    throw new Error('not used by this test');
  };
  return createAccountsService({
    accounts: { getProfile: unused, audit: unused, notFound: unused } as unknown as AccountsRepository,
    search: {} as SearchRepository,
    auditLog: {} as PlatformAuditLog,
    users,
    clock: () => new Date('2026-12-03T00:00:00Z'),
    tickets: { listForTenant: unused },
    emailDelivery: unused,
  });
}

const request = { requestId: 'r1', sourceIp: '203.0.113.1' };
const reason = { reason: 'Because' };

describe('account actions', () => {
  it('refuses an operator suspending themselves before touching the pool', async () => {
    const { users, calls } = fakePool();
    const service = serviceWith(users);
    await expect(
      service.suspendUser({ userId: 'op', roles: ['support'] }, 'op', reason, request),
    ).rejects.toBeInstanceOf(ForbiddenError);
    expect(calls).toEqual([]);
  });

  it('refuses a finance operator suspending a user, whatever the route guard did', async () => {
    const { users, calls } = fakePool();
    await expect(
      serviceWith(users).suspendUser({ userId: 'op', roles: ['finance'] }, 'u1', reason, request),
    ).rejects.toBeInstanceOf(ForbiddenError);
    expect(calls).toEqual([]);
  });

  it('refuses to reset the password of a disabled user with a 409, without asking the pool', async () => {
    const { users, calls } = fakePool({ enabled: false });
    await expect(
      serviceWith(users).resetPassword({ userId: 'op', roles: ['support'] }, 'u1', reason, request),
    ).rejects.toBeInstanceOf(ConflictError);
    expect(calls).toEqual([]);
  });
});
