import { FetchError, JwtExpiredError, JwtInvalidIssuerError } from 'aws-jwt-verify/error';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createApiClientBody } from '#shared/api-clients/api-clients.schema.ts';
import { apiKeyMatches, hashApiKey, issueApiKey, parseApiKey } from '#shared/api-clients/api-key.ts';
import { readAuthorizerEnv } from '#shared/api-clients/authorizer.env.ts';
import { type ApiKeyRecord, createRequestAuthorizer } from '#shared/api-clients/authorizer.ts';
import {
  apiClientRoutes,
  apiScopeNames,
  apiScopes,
  effectivePermissions,
  scopePermissions,
} from '#shared/api-clients/scopes.ts';
import { callerFromAuthorizerContext } from '#shared/auth/caller.ts';
import { UnauthorizedError } from '#shared/http/errors.ts';
import { routeKey } from '#shared/http/route.ts';
import { routeList } from '#shared/http/routes.ts';
import { type Permission, permissionsByRole, type Role } from '#shared/tenancy/permissions.ts';
import { authorize, type TenantContext } from '#shared/tenancy/tenant-context.ts';
import { fakeTenantContext } from '../support/tenant-context.ts';

const roles: Role[] = ['owner', 'admin', 'manager', 'member'];
const allPermissions = [...new Set(Object.values(permissionsByRole).flat())] as Permission[];
const scopesArb = fc.subarray([...apiScopeNames, 'not-a-scope']);
const roleArb = fc.constantFrom<Role | undefined>(...roles, undefined);

describe('API keys', () => {
  it('have the form plk_<16-char key id>_<43-char secret>', () => {
    const { key, keyId, prefix } = issueApiKey();
    expect(key).toMatch(/^plk_[0-9a-z]{16}_[A-Za-z0-9_-]{43}$/);
    expect(prefix).toBe(`plk_${keyId}`);
    expect(key.startsWith(`${prefix}_`)).toBe(true);
  });

  it('are different every time they are issued', () => {
    const keys = new Set(Array.from({ length: 50 }, () => issueApiKey().key));
    expect(keys.size).toBe(50);
  });

  it('keep only the SHA-256 of the key, never the key', () => {
    const issued = issueApiKey();
    expect(issued.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(issued.hash).toBe(hashApiKey(issued.key));
    expect(issued.hash).not.toContain(issued.key.slice(21));
  });

  it('match their stored hash', () => {
    const issued = issueApiKey();
    expect(apiKeyMatches(issued.key, issued.hash)).toBe(true);
  });

  it('do not match the hash of another key with the same key id', () => {
    const issued = issueApiKey();
    const forged = `${issued.prefix}_${'A'.repeat(43)}`;
    expect(apiKeyMatches(forged, issued.hash)).toBe(false);
  });

  it('do not match a malformed stored hash', () => {
    expect(apiKeyMatches(issueApiKey().key, 'abc')).toBe(false);
  });

  it('parse to their key id', () => {
    const issued = issueApiKey();
    expect(parseApiKey(issued.key)).toEqual({ keyId: issued.keyId });
  });

  it.each([
    'plk_short_secret',
    'plk_0123456789abcdef',
    `sk_0123456789abcdef_${'a'.repeat(43)}`,
    `plk_0123456789ABCDEF_${'a'.repeat(43)}`,
    `plk_0123456789abcdef_${'a'.repeat(42)}`,
  ])('reject %s as malformed', (key) => {
    expect(parseApiKey(key)).toBeUndefined();
  });
});

describe('scopes', () => {
  it('grant effective permissions within both the scopes and the role, for any inputs', () => {
    fc.assert(
      fc.property(scopesArb, roleArb, (scopes, role) => {
        const effective = effectivePermissions(scopes, role);
        const granted = scopePermissions(scopes);
        const held = new Set<string>(role ? permissionsByRole[role] : []);
        for (const permission of effective) {
          expect(granted.has(permission)).toBe(true);
          expect(held.has(permission)).toBe(true);
        }
      }),
    );
  });

  it('grant every permission that both the scopes and the role hold (the intersection, not less)', () => {
    fc.assert(
      fc.property(scopesArb, fc.constantFrom(...roles), (scopes, role) => {
        const effective = new Set(effectivePermissions(scopes, role));
        for (const permission of scopePermissions(scopes)) {
          expect(effective.has(permission)).toBe(
            (permissionsByRole[role] as readonly string[]).includes(permission),
          );
        }
      }),
    );
  });

  it('grant nothing when the creator has no role in the tenant', () => {
    expect(effectivePermissions([...apiScopeNames], undefined)).toEqual([]);
  });

  it('narrow with the creator: a member creator leaves a projects:write client read-less and write-less', () => {
    expect(effectivePermissions(['projects:write', 'projects:read'], 'member')).toEqual(['projects:read']);
  });

  it('never map to credentials, billing, roles or the tenant itself', () => {
    const granted = scopePermissions([...apiScopeNames]);
    for (const forbidden of [
      'api-clients:manage',
      'billing:manage',
      'members:change-role',
      'members:remove',
      'owners:manage',
      'tenant:update',
      'tenant:delete',
    ] as Permission[]) {
      expect(granted.has(forbidden)).toBe(false);
    }
  });

  it('are each granted by some role', () => {
    for (const scope of Object.values(apiScopes)) {
      for (const permission of scope.permissions) expect(permissionsByRole.owner).toContain(permission);
    }
  });

  it('are refused when repeated or unknown in a create body', () => {
    expect(
      createApiClientBody().safeParse({ name: 'x', scopes: ['projects:read', 'projects:read'] }).success,
    ).toBe(false);
    expect(createApiClientBody().safeParse({ name: 'x', scopes: ['billing:manage'] }).success).toBe(false);
  });
});

describe('routes that accept API keys', () => {
  const byKey = new Map(routeList.map((route) => [routeKey(route), route]));

  it.each(Object.keys(apiClientRoutes))('%s is a tenant-scoped user route of the route table', (key) => {
    const route = byKey.get(key);
    expect(route?.auth).toBe('jwt');
    expect(route?.path.startsWith('/v1/tenants/{tenantId}')).toBe(true);
    expect(route?.area).not.toBe('api-clients');
  });

  it('exclude the API client routes themselves (keys cannot mint keys)', () => {
    const own = routeList.filter((route) => route.area === 'api-clients').map(routeKey);
    expect(own.filter((key) => key in apiClientRoutes)).toEqual([]);
  });
});

/** A tenant context for an API client with `scopes`, acting with its creator's `role`. */
function clientContext(role: Role, scopes: readonly string[]): TenantContext {
  const ctx = fakeTenantContext({ role });
  return {
    ...ctx,
    caller: {
      ...ctx.caller,
      apiClient: { clientId: 'c1', tenantId: ctx.tenantId, keyId: 'k1', name: 'CI', scopes },
    },
  } as TenantContext;
}

describe('authorize for an API client', () => {
  // Permissions no attribute rule touches: authorize then passes exactly on the role table.
  const ruleFree = allPermissions.filter((permission) => permission !== 'projects:delete');

  it('passes exactly the effective permissions (scopes ∩ creator role), for any inputs', () => {
    fc.assert(
      fc.property(
        scopesArb,
        fc.constantFrom(...roles),
        fc.constantFrom(...ruleFree),
        (scopes, role, permission) => {
          const allowed = effectivePermissions(scopes, role).includes(permission);
          const run = () => authorize(clientContext(role, scopes), permission);
          if (allowed) expect(run).not.toThrow();
          else expect(run).toThrow();
        },
      ),
    );
  });

  it('refuses a permission outside its scopes even when the creator is an owner', () => {
    expect(() => authorize(clientContext('owner', ['projects:read']), 'projects:create')).toThrow(
      /scopes do not allow projects:create/,
    );
  });
});

describe('the request authorizer', () => {
  const issued = issueApiKey();
  const record: ApiKeyRecord = {
    keyId: issued.keyId,
    tenantId: 't1',
    clientId: 'c1',
    name: 'CI',
    scopes: ['projects:read', 'audit:read'],
    createdBy: 'u1',
    hash: issued.hash,
  };
  const authorizer = (verify: (token: string) => Promise<Record<string, unknown>> = async () => ({})) =>
    createRequestAuthorizer({
      findKey: async (keyId) => (keyId === record.keyId ? record : undefined),
      verifyAccessToken: verify,
    });

  it('vouches for a current API key with its client, tenant, scopes and creator', async () => {
    const answer = await authorizer().authorize(`Bearer ${issued.key}`);
    expect(answer).toEqual({
      isAuthorized: true,
      context: {
        principal: 'api_client',
        clientId: 'c1',
        tenantId: 't1',
        keyId: issued.keyId,
        name: 'CI',
        scopes: 'projects:read audit:read',
        createdBy: 'u1',
      },
    });
  });

  it('refuses a key with the right key id and a wrong secret', async () => {
    const answer = await authorizer().authorize(`Bearer ${issued.prefix}_${'B'.repeat(43)}`);
    expect(answer.context).toEqual({
      principal: 'none',
      reason: 'the API key is unknown, rotated or revoked',
    });
  });

  it('refuses an unknown key id', async () => {
    const answer = await authorizer().authorize(`Bearer ${issueApiKey().key}`);
    expect(answer.context.principal).toBe('none');
  });

  it('refuses a request without a bearer token', async () => {
    expect((await authorizer().authorize(undefined)).context).toEqual({
      principal: 'none',
      reason: 'no bearer token',
    });
  });

  it("passes a user's verified access token claims as API Gateway renders them", async () => {
    const answer = await authorizer(async () => ({
      sub: 'u1',
      token_use: 'access',
      'cognito:groups': ['support', 'finance'],
      auth_time: 1700000000,
    })).authorize('Bearer eyJ.token');
    expect(answer.context).toEqual({
      principal: 'user',
      sub: 'u1',
      token_use: 'access',
      'cognito:groups': '[support finance]',
      auth_time: '1700000000',
    });
  });

  it('keeps a user a user even when the token carries a claim named principal', async () => {
    const answer = await authorizer(async () => ({
      sub: 'u1',
      token_use: 'access',
      principal: 'api_client',
    })).authorize('Bearer eyJ.token');
    expect(answer.context.principal).toBe('user');
  });

  it('refuses an expired access token, saying so', async () => {
    const answer = await authorizer(async () => {
      throw new JwtExpiredError('expired', 1);
    }).authorize('Bearer eyJ.token');
    expect(answer.context).toEqual({ principal: 'none', reason: 'the token has expired' });
  });

  it('refuses a token of another issuer', async () => {
    const answer = await authorizer(async () => {
      throw new JwtInvalidIssuerError('issuer', 'x', 'y');
    }).authorize('Bearer eyJ.token');
    expect(answer.context.principal).toBe('none');
  });

  it('fails (500) when the JWKS cannot be fetched, rather than refusing the caller', async () => {
    const failing = authorizer(async () => {
      throw new FetchError('https://jwks', 'down');
    });
    await expect(failing.authorize('Bearer eyJ.token')).rejects.toBeInstanceOf(FetchError);
  });
});

describe('the caller from the authorizer context', () => {
  it("is the client's creator, carrying the client", () => {
    const caller = callerFromAuthorizerContext({
      principal: 'api_client',
      clientId: 'c1',
      tenantId: 't1',
      keyId: 'k1',
      name: 'CI',
      scopes: 'projects:read audit:read',
      createdBy: 'u1',
    });
    expect(caller).toEqual({
      userId: 'u1',
      groups: [],
      platformAdmin: false,
      apiClient: {
        clientId: 'c1',
        tenantId: 't1',
        keyId: 'k1',
        name: 'CI',
        scopes: ['projects:read', 'audit:read'],
      },
    });
  });

  it('is a user for verified access token claims', () => {
    const caller = callerFromAuthorizerContext({ principal: 'user', sub: 'u1', token_use: 'access' });
    expect(caller.userId).toBe('u1');
    expect(caller.apiClient).toBeUndefined();
  });

  it('is a 401 naming the reason when the token was refused', () => {
    expect(() => callerFromAuthorizerContext({ principal: 'none', reason: 'the token has expired' })).toThrow(
      UnauthorizedError,
    );
  });
});

describe("the authorizer's environment", () => {
  it('reads the accepted app clients as a list', () => {
    const env = readAuthorizerEnv({ TABLE_NAME: 't', USER_POOL_ID: 'p', USER_POOL_CLIENT_IDS: 'a, b' });
    expect(env.USER_POOL_CLIENT_IDS).toEqual(['a', 'b']);
  });

  it('fails naming every missing variable', () => {
    expect(() => readAuthorizerEnv({ TABLE_NAME: 't' })).toThrow(
      'Invalid environment: USER_POOL_ID, USER_POOL_CLIENT_IDS',
    );
  });
});
