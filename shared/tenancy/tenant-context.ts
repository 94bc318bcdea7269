import { BatchGetCommand } from '@aws-sdk/lib-dynamodb';
import type { Caller } from '../auth/caller.ts';
import type { Db } from '../db/client.ts';
import { keys } from '../db/keys.ts';
import type { RequestMeta } from '../http/api-handler.ts';
import { ForbiddenError, NotFoundError } from '../http/errors.ts';
import { hasPermission, type Permission, type Role, roleRank } from './permissions.ts';
import { type MemberRecord, type TenantRecord, withoutKeys } from './records.ts';

const brand: unique symbol = Symbol('TenantContext');

/**
 * Proof that the caller is an active member of an active tenant. Only {@link createTenancy} makes
 * one, and tenant-scoped repositories only accept one, so no code path reaches a tenant's items
 * with an id taken from a request body or an unverified path.
 */
export interface TenantContext {
  readonly [brand]: true;
  readonly tenantId: string;
  readonly tenant: TenantRecord;
  readonly member: MemberRecord;
  readonly role: Role;
  readonly caller: Caller;
  readonly request: RequestMeta;
}

/** Not found and not a member look the same, so tenant ids do not leak. */
const notFound = () => new NotFoundError('Tenant not found.');

export function createTenancy({ db }: { db: Db }) {
  return {
    /**
     * Resolves the caller's membership of `tenantId` with one round trip (tenant and membership
     * items in one BatchGetItem, strongly consistent so a removal or suspension bites at once).
     */
    async resolve(caller: Caller, tenantId: string, request: RequestMeta): Promise<TenantContext> {
      const tenantKey = keys.tenant(tenantId);
      const { gsi1pk: _g, gsi1sk: _s, ...memberKey } = keys.member(tenantId, caller.userId);
      const result = await db.client.send(
        new BatchGetCommand({
          RequestItems: { [db.tableName]: { Keys: [tenantKey, memberKey], ConsistentRead: true } },
        }),
      );
      const items = result.Responses?.[db.tableName] ?? [];
      const tenantItem = items.find((i) => i.sk === tenantKey.sk);
      const memberItem = items.find((i) => i.sk === memberKey.sk);
      if (!tenantItem || !memberItem || tenantItem.status === 'deleted') throw notFound();
      const tenant = withoutKeys(tenantItem) as TenantRecord;
      const member = withoutKeys(memberItem) as MemberRecord;
      if (tenant.status === 'suspended')
        throw new ForbiddenError('This tenant is suspended. Contact support.');
      if (member.status !== 'active')
        throw new ForbiddenError('Your membership of this tenant is suspended.');
      return { [brand]: true, tenantId, tenant, member, role: member.role, caller, request };
    },
  };
}

export type Tenancy = ReturnType<typeof createTenancy>;

/**
 * The one authorization check. `resource` carries attributes that refine the decision: the role
 * of the member being acted on (`targetRole`) and the role being granted (`grantsRole`). Nobody
 * acts on or grants a role above their own, and only owners act on or grant `owner`.
 */
export function authorize(
  ctx: TenantContext,
  permission: Permission,
  resource: { targetRole?: Role; grantsRole?: Role } = {},
): void {
  if (!hasPermission(ctx.role, permission)) {
    throw new ForbiddenError(`Your role (${ctx.role}) does not allow ${permission}.`);
  }
  for (const role of [resource.targetRole, resource.grantsRole]) {
    if (role === undefined) continue;
    if (role === 'owner' && !hasPermission(ctx.role, 'owners:manage')) {
      throw new ForbiddenError('Only owners can make, demote or remove owners.');
    }
    if (roleRank[role] > roleRank[ctx.role]) {
      throw new ForbiddenError(`Your role (${ctx.role}) cannot act on or grant the ${role} role.`);
    }
  }
}
