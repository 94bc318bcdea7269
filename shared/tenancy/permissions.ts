import type { z } from 'zod';
import type { roleSchema } from '../http/common.schema.ts';

export type Role = z.infer<ReturnType<typeof roleSchema>>;

/** Higher rank, more power. Used to stop anyone granting or touching a role above their own. */
export const roleRank: Record<Role, number> = { member: 1, manager: 2, admin: 3, owner: 4 };

// Each role has every permission of the role below it, and more.
const memberPermissions = ['tenant:read', 'members:read', 'projects:read', 'support:use'] as const;
const managerPermissions = [
  ...memberPermissions,
  'projects:create',
  'projects:update',
  'members:invite',
] as const;
const adminPermissions = [
  ...managerPermissions,
  'projects:delete',
  'members:change-role',
  'members:remove',
  'invitations:revoke',
  'audit:read',
  'analytics:read',
  'billing:manage',
  'support:manage',
  'api-clients:manage',
] as const;
const ownerPermissions = [
  ...adminPermissions,
  'tenant:update',
  'tenant:delete',
  'owners:manage',
  'sso:read',
  'sso:manage',
  'tenant:export',
] as const;

/**
 * The one table of what each role may do. `member` reads, and opens support tickets and follows
 * their own (`support:use`); `manager` also creates and updates
 * projects and invites; `admin` also deletes projects, manages members, reads the audit log and
 * the product analytics, manages billing, and sees and answers all of the tenant's support tickets
 * (`support:manage`: they also get the email of support's replies) and manage the tenant's API
 * clients (`api-clients:manage`, shared/api-clients); `owner` also updates and deletes the tenant,
 * makes or demotes owners, reads and configures its single sign-on (`sso:read`, `sso:manage`), and
 * exports all of the tenant's data (`tenant:export`).
 */
export const permissionsByRole = {
  member: memberPermissions,
  manager: managerPermissions,
  admin: adminPermissions,
  owner: ownerPermissions,
} as const satisfies Record<Role, readonly string[]>;

export type Permission = (typeof permissionsByRole)[Role][number];

export function hasPermission(role: Role, permission: Permission): boolean {
  return (permissionsByRole[role] as readonly string[]).includes(permission);
}

/** Permissions that change nothing; still allowed while a tenant is restricted for non-payment. */
const READ_ONLY: ReadonlySet<string> = new Set([
  'tenant:read',
  'members:read',
  'projects:read',
  'audit:read',
  'analytics:read',
  'sso:read',
  // A data export reads the tenant; owners keep their right of access while payments are restricted.
  'tenant:export',
]);

export function isReadOnly(permission: Permission): boolean {
  return READ_ONLY.has(permission);
}

/**
 * Changes still allowed while a tenant is restricted for non-payment: paying, and asking support
 * for help (a customer who cannot pay is exactly who needs to reach support).
 */
const OPEN_WHILE_RESTRICTED: ReadonlySet<string> = new Set([
  'billing:manage',
  'support:use',
  'support:manage',
]);

export function isOpenWhileRestricted(permission: Permission): boolean {
  return OPEN_WHILE_RESTRICTED.has(permission);
}

/** What `authorize` knows about the resource acted on, for the role and attribute rules. */
export interface ResourceAttributes {
  /** The role of the member being acted on. */
  readonly targetRole?: Role;
  /** The role being granted. */
  readonly grantsRole?: Role;
  /** Who created the resource (a project's `createdBy`). */
  readonly createdBy?: string;
}

/**
 * A permission a role does not hold outright, granted for the resources whose attributes pass
 * `applies`. `scope` ends the 403 sentence that refuses the others ("… only on {scope}").
 */
export interface AttributeRule {
  readonly permission: Permission;
  readonly roles: readonly Role[];
  readonly scope: string;
  readonly applies: (subject: { readonly userId: string }, resource: ResourceAttributes) => boolean;
}

/**
 * The attribute rules, beside the role table: each lets some roles use a permission on some
 * resources only. A team adds its own here (and passes the attributes its rule reads to
 * `authorize`); roles that hold the permission outright are never narrowed by a rule.
 */
export const attributeRules: readonly AttributeRule[] = [
  {
    // Managers create projects; they may also clean up their own, but not a colleague's.
    permission: 'projects:delete',
    roles: ['manager'],
    scope: 'the projects you created',
    applies: (subject, resource) => resource.createdBy !== undefined && resource.createdBy === subject.userId,
  },
];

/** The attribute rules that may grant `permission` to `role` (none when the role holds it outright). */
export function attributeRulesFor(role: Role, permission: Permission): readonly AttributeRule[] {
  if (hasPermission(role, permission)) return [];
  return attributeRules.filter((rule) => rule.permission === permission && rule.roles.includes(role));
}
