import { describe, expect, it } from 'vitest';
import { ForbiddenError, PaymentRequiredError } from '#shared/http/errors.ts';
import {
  attributeRulesFor,
  hasPermission,
  type Permission,
  permissionsByRole,
  type Role,
} from '#shared/tenancy/permissions.ts';
import type { TenantContext } from '#shared/tenancy/tenant-context.ts';
import { authorize, authorizeSome } from '#shared/tenancy/tenant-context.ts';
import { fakeTenantContext } from '../support/tenant-context.ts';

function contextWithRole(role: Role): TenantContext {
  return fakeTenantContext({ role });
}

describe('role permissions', () => {
  it.each([
    ['member', 'projects:read', true],
    ['member', 'projects:create', false],
    ['manager', 'projects:create', true],
    ['manager', 'projects:update', true],
    ['manager', 'members:invite', true],
    ['manager', 'projects:delete', false],
    ['admin', 'projects:delete', true],
    ['admin', 'members:change-role', true],
    ['admin', 'audit:read', true],
    ['admin', 'billing:manage', true],
    ['admin', 'tenant:update', false],
    ['owner', 'tenant:delete', true],
    ['owner', 'owners:manage', true],
  ] as [Role, Permission, boolean][])('%s may %s: %s', (role, permission, allowed) => {
    expect(hasPermission(role, permission)).toBe(allowed);
  });

  it('gives each role every permission of the roles below it', () => {
    const order: Role[] = ['member', 'manager', 'admin', 'owner'];
    for (let i = 1; i < order.length; i++) {
      const lower = order[i - 1] as Role;
      const higher = order[i] as Role;
      for (const permission of permissionsByRole[lower]) expect(hasPermission(higher, permission)).toBe(true);
    }
  });
});

describe('authorize', () => {
  it('refuses a permission the role lacks with a 403 naming role and permission', () => {
    expect(() => authorize(contextWithRole('member'), 'projects:create')).toThrowError(
      new ForbiddenError('Your role (member) does not allow projects:create.'),
    );
  });

  it('lets a manager invite a manager but not an admin', () => {
    const manager = contextWithRole('manager');
    expect(() => authorize(manager, 'members:invite', { grantsRole: 'manager' })).not.toThrow();
    expect(() => authorize(manager, 'members:invite', { grantsRole: 'admin' })).toThrow(ForbiddenError);
  });

  it('stops an admin from granting or touching the owner role', () => {
    const admin = contextWithRole('admin');
    expect(() => authorize(admin, 'members:change-role', { grantsRole: 'owner' })).toThrow(/Only owners/);
    expect(() => authorize(admin, 'members:remove', { targetRole: 'owner' })).toThrow(/Only owners/);
  });

  it('lets an owner demote another owner', () => {
    expect(() =>
      authorize(contextWithRole('owner'), 'members:change-role', {
        targetRole: 'owner',
        grantsRole: 'admin',
      }),
    ).not.toThrow();
  });
});

describe('authorize while a tenant is restricted for non-payment', () => {
  const restricted = () =>
    fakeTenantContext({ role: 'owner', billing: { status: 'past_due', restricted: true } });

  it('refuses changes with a 402 that says how to recover', () => {
    expect(() => authorize(restricted(), 'projects:create')).toThrow(PaymentRequiredError);
    expect(() => authorize(restricted(), 'members:invite')).toThrow(/billing portal/);
  });

  it('still allows reads', () => {
    expect(() => authorize(restricted(), 'projects:read')).not.toThrow();
    expect(() => authorize(restricted(), 'audit:read')).not.toThrow();
  });

  it('keeps billing open so the customer can pay', () => {
    expect(() => authorize(restricted(), 'billing:manage')).not.toThrow();
  });

  it('checks the role before the restriction, so a member learns nothing about billing', () => {
    const member = fakeTenantContext({ role: 'member', billing: { restricted: true } });
    expect(() => authorize(member, 'projects:create')).toThrow(ForbiddenError);
  });
});

describe('attribute rules: deleting projects by creator', () => {
  const creator = '22222222-2222-4222-8222-222222222222';
  const colleague = '33333333-3333-4333-8333-333333333333';
  const as = (role: Role) => fakeTenantContext({ role, userId: creator });

  it.each([
    ['manager', creator, true],
    ['manager', colleague, false],
    ['member', creator, false],
    ['member', colleague, false],
    ['admin', creator, true],
    ['admin', colleague, true],
    ['owner', creator, true],
    ['owner', colleague, true],
  ] as [Role, string, boolean][])(
    '%s deleting a project created by %s: allowed %s',
    (role, createdBy, allowed) => {
      const attempt = () => authorize(as(role), 'projects:delete', { createdBy });
      if (allowed) expect(attempt).not.toThrow();
      else expect(attempt).toThrow(ForbiddenError);
    },
  );

  it("tells a manager refused another's project which projects they may delete", () => {
    expect(() => authorize(as('manager'), 'projects:delete', { createdBy: colleague })).toThrowError(
      new ForbiddenError('Your role (manager) allows projects:delete only on the projects you created.'),
    );
  });

  it('refuses a manager when the resource names no creator', () => {
    expect(() => authorize(as('manager'), 'projects:delete')).toThrow(ForbiddenError);
  });

  it('lists the manager rule as the only way a manager deletes projects', () => {
    expect(attributeRulesFor('manager', 'projects:delete').map((r) => r.scope)).toEqual([
      'the projects you created',
    ]);
    expect(attributeRulesFor('admin', 'projects:delete')).toEqual([]);
    expect(attributeRulesFor('member', 'projects:delete')).toEqual([]);
  });

  it('lets authorizeSome pass a manager before the project is read, and refuse a member', () => {
    expect(() => authorizeSome(as('manager'), 'projects:delete')).not.toThrow();
    expect(() => authorizeSome(as('member'), 'projects:delete')).toThrowError(
      new ForbiddenError('Your role (member) does not allow projects:delete.'),
    );
  });

  it('still holds a manager deleting their own project to the non-payment restriction', () => {
    const restricted = fakeTenantContext({ role: 'manager', userId: creator, billing: { restricted: true } });
    expect(() => authorize(restricted, 'projects:delete', { createdBy: creator })).toThrow(
      PaymentRequiredError,
    );
  });
});
