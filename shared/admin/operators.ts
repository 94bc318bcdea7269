import type { Caller } from '../auth/caller.ts';
import { FINANCE_GROUP, PLATFORM_ADMIN_GROUP, SUPPORT_GROUP } from '../auth/user-pool.ts';
import { ForbiddenError } from '../http/errors.ts';
import type { Clock } from '../ids.ts';
import type { IdentityDirectory } from '../users/identity-directory.ts';

/**
 * Operators are the people who run the business on Plinth. A Cognito group makes a user an
 * operator; each group is a role with named permissions, in one table, like the tenant roles in
 * shared/tenancy/permissions.ts.
 */
export const operatorRoles = [PLATFORM_ADMIN_GROUP, SUPPORT_GROUP, FINANCE_GROUP] as const;
export type OperatorRole = (typeof operatorRoles)[number];

const readPermissions = ['admin:read', 'audit-log:read'] as const;
const supportPermissions = [
  ...readPermissions,
  'tickets:manage',
  'announcements:manage',
  'impersonation:open',
  'accounts:suspend',
  'accounts:reset-password',
] as const;
const financePermissions = [...readPermissions, 'billing:adjust', 'metrics:read', 'spend:manage'] as const;
/** Erasure (shared/erasure/): run a user's erasure or a tenant's purge now, and read the reports. */
const adminOnlyPermissions = ['data:erase'] as const;

/**
 * The one table of what each operator role may do. `support` reads, answers tickets, publishes
 * announcements, impersonates and suspends; `finance` reads, adjusts billing (credits, comps,
 * cancellations, refunds), reads the business metrics and records acquisition spend;
 * `platform-admin` may do everything, and alone erases users and purges tenants (`data:erase`).
 */
export const permissionsByOperatorRole = {
  support: supportPermissions,
  finance: financePermissions,
  // Erasing a person or a tenant for good is the platform admins' alone.
  'platform-admin': [...new Set([...supportPermissions, ...financePermissions]), ...adminOnlyPermissions],
} as const satisfies Record<OperatorRole, readonly string[]>;

export type OperatorPermission =
  | (typeof supportPermissions)[number]
  | (typeof financePermissions)[number]
  | (typeof adminOnlyPermissions)[number];

/** The operator roles the caller's groups give them (none for a customer). */
export function operatorRolesOf(caller: Pick<Caller, 'groups'>): OperatorRole[] {
  return operatorRoles.filter((role) => caller.groups.includes(role));
}

export function operatorMay(roles: readonly OperatorRole[], permission: OperatorPermission): boolean {
  return roles.some((role) => (permissionsByOperatorRole[role] as readonly string[]).includes(permission));
}

/**
 * The role half of the guard, for use cases to repeat (defence in depth: the route's guard already
 * ran, with the MFA check): 403 unless the caller's operator roles grant `permission`.
 */
export function requireOperatorPermission(
  caller: Pick<Caller, 'groups'>,
  permission: OperatorPermission,
): OperatorRole[] {
  const roles = operatorRolesOf(caller);
  if (roles.length === 0) throw new ForbiddenError('Only operators may use the admin API.');
  if (!operatorMay(roles, permission)) {
    throw new ForbiddenError(`Your operator role (${roles.join(', ')}) does not allow ${permission}.`);
  }
  return roles;
}

/** An operator who passed the guard: whom the platform audit log names. */
export interface Operator {
  readonly userId: string;
  readonly roles: readonly OperatorRole[];
}

/** How long a confirmed MFA enrolment is trusted before the pool is asked again. */
const MFA_CHECK_TTL_MS = 60_000;

/**
 * The check in front of every `/admin` route: the caller holds an operator role that grants
 * `permission` (403 otherwise) and has MFA enrolled. Access tokens do not say whether a user has
 * MFA, so the pool is asked (AdminGetUser) and a positive answer is kept for a minute per container;
 * a user without MFA is asked again on every request, so enrolling takes effect at once.
 */
export function createOperatorGuard(deps: { directory: IdentityDirectory; clock: Clock }) {
  const confirmedUntil = new Map<string, number>();

  async function hasMfa(userId: string): Promise<boolean> {
    const now = deps.clock().getTime();
    if ((confirmedUntil.get(userId) ?? 0) > now) return true;
    const identity = await deps.directory.getUser(userId);
    if (!identity?.enabled || !identity.mfaEnabled) return false;
    confirmedUntil.set(userId, now + MFA_CHECK_TTL_MS);
    return true;
  }

  return {
    async authorize(caller: Caller, permission: OperatorPermission): Promise<Operator> {
      const roles = requireOperatorPermission(caller, permission);
      if (!(await hasMfa(caller.userId))) {
        throw new ForbiddenError(
          'Operators must sign in with MFA: enrol an authenticator app (TOTP) for this account, then sign in again.',
        );
      }
      return { userId: caller.userId, roles };
    },
  };
}

export type OperatorGuard = ReturnType<typeof createOperatorGuard>;
