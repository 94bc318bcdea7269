import type { Page } from '../db/page.ts';
import { NotFoundError } from '../http/errors.ts';
import type { Clock } from '../ids.ts';
import { hasPermission } from '../tenancy/permissions.ts';
import { authorize, type TenantContext } from '../tenancy/tenant-context.ts';
import type { MemberRepositoryFactory } from './members.repository.ts';
import type { ChangeRoleInput, Member, MemberListItem } from './members.schema.ts';

export interface MemberServiceDeps {
  readonly members: MemberRepositoryFactory;
  readonly clock: Clock;
  /** Whether each user has MFA on, from their profiles (`mfaStatusOf` in shared/users/user-profile.ts). */
  readonly mfaStatus: (userIds: readonly string[]) => Promise<ReadonlyMap<string, boolean>>;
}

/**
 * Member use cases. Every one is authorized against the caller's role with `authorize`, which also
 * stops anyone acting on or granting a role above their own; the "at least one owner" rule is a
 * condition in the repository's transaction, not a read here.
 */
export function createMemberService({ members, clock, mfaStatus }: MemberServiceDeps) {
  const actor = (ctx: TenantContext) => ({ userId: ctx.caller.userId, email: ctx.member.email });

  async function find(ctx: TenantContext, userId: string): Promise<Member> {
    const member = await members.forTenant(ctx).get(userId);
    if (!member) throw new NotFoundError('Member not found.');
    return member;
  }

  return {
    /**
     * A page of the tenant's members. Admins and owners (who manage members) also see each one's
     * MFA status, read from the page's profiles with one BatchGet; others see none.
     */
    async list(
      ctx: TenantContext,
      page: { limit: number; cursor?: string | undefined },
    ): Promise<Page<MemberListItem>> {
      authorize(ctx, 'members:read');
      const listed = await members.forTenant(ctx).list(page);
      if (!hasPermission(ctx.role, 'members:change-role') || listed.items.length === 0) return listed;
      const mfa = await mfaStatus(listed.items.map((m) => m.userId));
      return {
        ...listed,
        items: listed.items.map((m) => ({ ...m, mfaEnabled: mfa.get(m.userId) === true })),
      };
    },

    /** Changing one's own role follows the same rules: an owner may step down unless last. */
    async changeRole(ctx: TenantContext, userId: string, input: ChangeRoleInput): Promise<Member> {
      authorize(ctx, 'members:change-role');
      const before = await find(ctx, userId);
      authorize(ctx, 'members:change-role', { targetRole: before.role, grantsRole: input.role });
      if (before.role === input.role) return before;
      const after: Member = { ...before, role: input.role, updatedAt: clock().toISOString() };
      await members.forTenant(ctx).changeRole(before, after, {
        actor: actor(ctx),
        request: ctx.request,
        action: 'member.role-changed',
        target: { type: 'member', id: userId },
        before,
        after,
      });
      return after;
    },

    /** Removes a member; removing oneself is leaving, which every member may do except the last owner. */
    async remove(ctx: TenantContext, userId: string): Promise<void> {
      const leaving = userId === ctx.caller.userId;
      if (!leaving) authorize(ctx, 'members:remove');
      const before = leaving ? ctx.member : await find(ctx, userId);
      if (!leaving) authorize(ctx, 'members:remove', { targetRole: before.role });
      await members.forTenant(ctx).remove(before, {
        actor: actor(ctx),
        request: ctx.request,
        action: leaving ? 'member.left' : 'member.removed',
        target: { type: 'member', id: userId },
        before,
        after: null,
      });
    },
  };
}

export type MemberService = ReturnType<typeof createMemberService>;
