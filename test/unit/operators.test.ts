import type { APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import {
  createOperatorGuard,
  type OperatorRole,
  operatorMay,
  permissionsByOperatorRole,
} from '#shared/admin/operators.ts';
import type { Caller } from '#shared/auth/caller.ts';
import { type ApiEvent, createApiHandler } from '#shared/http/api-handler.ts';
import { routeKey } from '#shared/http/route.ts';
import { adminBillingRoutes } from '#shared/http/routes/admin-billing.ts';
import { routeList } from '#shared/http/routes.ts';
import type { Identity, IdentityDirectory } from '#shared/users/identity-directory.ts';

const caller = (...groups: string[]): Caller => ({
  userId: 'op-1',
  groups,
  platformAdmin: groups.includes('platform-admin'),
});

/** A directory whose users' MFA can be switched on and off, counting the lookups. */
function fakeDirectory(mfaEnabled: boolean) {
  const state = { mfaEnabled, enabled: true, lookups: 0 };
  const directory: IdentityDirectory = {
    async getUser(userId): Promise<Identity> {
      state.lookups += 1;
      return {
        userId,
        email: 'op@example.com',
        emailVerified: true,
        enabled: state.enabled,
        mfaEnabled: state.mfaEnabled,
      };
    },
  };
  return { directory, state };
}

function guardWith(mfaEnabled: boolean) {
  let now = Date.parse('2026-12-01T00:00:00Z');
  const { directory, state } = fakeDirectory(mfaEnabled);
  const guard = createOperatorGuard({ directory, clock: () => new Date(now) });
  return { guard, state, advance: (ms: number) => (now += ms) };
}

describe('operator roles', () => {
  it.each([
    ['support', 'tickets:manage', true],
    ['support', 'impersonation:open', true],
    ['support', 'accounts:suspend', true],
    ['support', 'billing:adjust', false],
    ['finance', 'billing:adjust', true],
    ['finance', 'metrics:read', true],
    ['finance', 'impersonation:open', false],
    ['finance', 'announcements:manage', false],
    ['platform-admin', 'billing:adjust', true],
    ['platform-admin', 'impersonation:open', true],
  ] as const)('%s may %s: %s', (role, permission, allowed) => {
    expect(operatorMay([role], permission)).toBe(allowed);
  });

  it('gives platform-admin every permission of every other role', () => {
    const all = new Set(Object.values(permissionsByOperatorRole).flat());
    expect(new Set(permissionsByOperatorRole['platform-admin'])).toEqual(all);
  });
});

describe('the operator guard', () => {
  it('refuses a customer with 403 without asking the pool', async () => {
    const { guard, state } = guardWith(true);
    await expect(guard.authorize(caller(), 'admin:read')).rejects.toMatchObject({ status: 403 });
    expect(state.lookups).toBe(0);
  });

  it('refuses an operator whose role lacks the permission, naming it', async () => {
    const { guard } = guardWith(true);
    await expect(guard.authorize(caller('support'), 'billing:adjust')).rejects.toThrow(/billing:adjust/);
  });

  it('refuses an operator without MFA enrolled, saying how to enrol', async () => {
    const { guard } = guardWith(false);
    await expect(guard.authorize(caller('platform-admin'), 'admin:read')).rejects.toThrow(/MFA/);
  });

  it('lets an operator with MFA through, naming their roles', async () => {
    const { guard } = guardWith(true);
    await expect(guard.authorize(caller('support', 'finance'), 'billing:adjust')).resolves.toEqual({
      userId: 'op-1',
      roles: ['support', 'finance'] satisfies OperatorRole[],
    });
  });

  it('asks the pool again after a minute, so disabling MFA takes effect', async () => {
    const { guard, state, advance } = guardWith(true);
    await guard.authorize(caller('support'), 'admin:read');
    await guard.authorize(caller('support'), 'admin:read');
    expect(state.lookups).toBe(1);

    state.mfaEnabled = false;
    advance(61_000);
    await expect(guard.authorize(caller('support'), 'admin:read')).rejects.toThrow(/MFA/);
  });

  it('lets an operator in on the next request once they enrol', async () => {
    const { guard, state } = guardWith(false);
    await expect(guard.authorize(caller('support'), 'admin:read')).rejects.toThrow(/MFA/);
    state.mfaEnabled = true;
    await expect(guard.authorize(caller('support'), 'admin:read')).resolves.toMatchObject({ userId: 'op-1' });
  });

  it('refuses an operator whose account is disabled in the pool', async () => {
    const { guard, state } = guardWith(true);
    state.enabled = false;
    await expect(guard.authorize(caller('platform-admin'), 'admin:read')).rejects.toMatchObject({
      status: 403,
    });
  });
});

describe('operator routes', () => {
  it('every /admin route names the operator permission it needs', () => {
    const unguarded = routeList.filter((route) => route.path.startsWith('/admin') && !route.operator);
    expect(unguarded.map(routeKey)).toEqual([]);
  });

  it('every operator route requires a token', () => {
    const open = routeList.filter((route) => route.operator && route.auth !== 'jwt');
    expect(open.map(routeKey)).toEqual([]);
  });

  it('a function serving operator routes fails at cold start without a guard', () => {
    const implementations = Object.values(adminBillingRoutes).map((route) => ({
      route,
      run: async () => undefined,
    }));
    expect(() => createApiHandler('admin-billing', adminBillingRoutes, implementations)).toThrow(
      /operator guard/,
    );
  });

  it('the guard refuses a customer before the request is validated', async () => {
    const route = adminBillingRoutes.createRefund;
    let ran = false;
    const handler = createApiHandler(
      'admin-billing',
      { createRefund: route },
      [
        {
          route,
          run: async () => {
            ran = true;
          },
        },
      ],
      { operators: guardWith(true).guard },
    );
    const event = {
      version: '2.0',
      routeKey: routeKey(route),
      rawPath: '/admin/tenants/t/refunds',
      rawQueryString: '',
      headers: { 'content-type': 'application/json' },
      pathParameters: { tenantId: 'not a valid id' },
      body: '{"nonsense": true}',
      isBase64Encoded: false,
      requestContext: {
        requestId: 'req-1',
        http: { method: 'POST', path: '/admin', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 't' },
        authorizer: { jwt: { claims: { sub: 'user-1', token_use: 'access' }, scopes: [] } },
      },
    } as unknown as ApiEvent;
    const response = (await handler(event, {} as Context)) as APIGatewayProxyStructuredResultV2;

    expect(response.statusCode).toBe(403);
    expect(ran).toBe(false);
  });
});
