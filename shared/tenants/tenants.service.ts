import type { Caller } from '../auth/caller.ts';
import { assertFeature } from '../billing/entitlements.ts';
import type { TenantCounters } from '../billing/limits.ts';
import { subscriptionBlockingDeletion } from '../billing/subscription-status.ts';
import type { RequestMeta } from '../http/api-handler.ts';
import { ConflictError, UnauthorizedError } from '../http/errors.ts';
import type { Clock, IdGenerator } from '../ids.ts';
import { visibleMemberships } from '../impersonation/visible-tenants.ts';
import type { MemberRecord, TenantRecord } from '../tenancy/records.ts';
import { authorize, type TenantContext } from '../tenancy/tenant-context.ts';
import type { IdentityDirectory } from '../users/identity-directory.ts';
import { ENROL_TOTP_ROUTE, VERIFY_TOTP_ROUTE } from '../users/mfa-routes.ts';
import type { TenantRepository } from './tenants.repository.ts';
import type { CreateTenantInput, Tenant, UpdateTenantInput } from './tenants.schema.ts';

export interface TenantServiceDeps {
  readonly tenants: TenantRepository;
  readonly directory: IdentityDirectory;
  readonly clock: Clock;
  readonly newId: IdGenerator;
}

/** The public shape of a tenant: the stored record without its bookkeeping (owner and usage counters). */
function publicTenant(record: TenantRecord): Tenant {
  const {
    ownerCount: _owners,
    memberCount: _members,
    projectCount: _projects,
    pendingInvitationCount: _pending,
    reservedSeats: _reserved,
    ...tenant
  } = record as TenantRecord & TenantCounters;
  return { ...tenant, supportAccess: record.supportAccess ?? true, requireMfa: record.requireMfa ?? false };
}

export function createTenantService({ tenants, directory, clock, newId }: TenantServiceDeps) {
  const actor = (ctx: TenantContext) => ({ userId: ctx.caller.userId, email: ctx.member.email });

  return {
    async listMine(caller: Caller) {
      const memberships = visibleMemberships(caller, await tenants.listMemberships(caller.userId));
      return { items: memberships.map((m) => ({ ...publicTenant(m.tenant), role: m.role })) };
    },

    /** Creates an organisation and makes the caller its owner. */
    async create(caller: Caller, input: CreateTenantInput, request: RequestMeta) {
      const identity = await directory.getUser(caller.userId);
      if (!identity) throw new UnauthorizedError('Your user no longer exists.');
      const now = clock().toISOString();
      const tenant: TenantRecord = {
        tenantId: newId(),
        name: input.name,
        slug: input.slug,
        status: 'active',
        createdAt: now,
        updatedAt: now,
        createdBy: caller.userId,
        ownerCount: 1,
      };
      const owner: MemberRecord = {
        tenantId: tenant.tenantId,
        userId: caller.userId,
        email: identity.email,
        role: 'owner',
        status: 'active',
        joinedAt: now,
        updatedAt: now,
      };
      await tenants.create(tenant, owner, {
        actor: { userId: caller.userId, email: identity.email },
        request,
        action: 'tenant.created',
        target: { type: 'tenant', id: tenant.tenantId },
        before: null,
        after: publicTenant(tenant),
      });
      return { ...publicTenant(tenant), role: owner.role };
    },

    async get(ctx: TenantContext) {
      authorize(ctx, 'tenant:read');
      return { ...publicTenant(ctx.tenant), role: ctx.role };
    },

    /**
     * Changes the tenant's settings. Requiring MFA (off to on) needs the `mfa-policy` feature (402
     * naming the plan) and MFA on for the owner doing it (409: they would lock themselves out);
     * lifting it needs neither, so a downgraded tenant can still turn it off.
     */
    async update(ctx: TenantContext, input: UpdateTenantInput): Promise<Tenant> {
      authorize(ctx, 'tenant:update');
      const before = publicTenant(ctx.tenant);
      if (input.requireMfa === true && !before.requireMfa) {
        assertFeature(ctx.billing, ctx.entitlements, 'mfa-policy');
        if (!ctx.mfaEnabled) {
          throw new ConflictError(
            `Turn MFA on for yourself before requiring it of the tenant (${ENROL_TOTP_ROUTE}, then ${VERIFY_TOTP_ROUTE}): otherwise the requirement would shut you out.`,
          );
        }
      }
      const after: Tenant = {
        ...before,
        name: input.name ?? before.name,
        supportAccess: input.supportAccess ?? before.supportAccess,
        requireMfa: input.requireMfa ?? before.requireMfa,
        updatedAt: clock().toISOString(),
      };
      await tenants.forTenant(ctx).update(after, {
        actor: actor(ctx),
        request: ctx.request,
        action: 'tenant.updated',
        target: { type: 'tenant', id: ctx.tenantId },
        before,
        after,
      });
      return after;
    },

    /**
     * Soft-deletes the tenant. A subscription that can still charge it is a 409 that says to cancel
     * it first (Plinth does not cancel it itself: see the README's payments part), and so is a
     * Checkout Session still open; the deletion's transaction re-checks both on the billing item.
     */
    async remove(ctx: TenantContext): Promise<void> {
      authorize(ctx, 'tenant:delete');
      const blocking = subscriptionBlockingDeletion(ctx.billing);
      if (blocking) throw new ConflictError(blocking);
      const now = clock();
      const updatedAt = now.toISOString();
      const { checkoutExpiresAt } = ctx.billing;
      if (checkoutExpiresAt && checkoutExpiresAt > updatedAt) {
        throw new ConflictError(
          `A checkout is open for this tenant until ${checkoutExpiresAt}: delete the tenant after it has expired.`,
        );
      }
      const before = publicTenant(ctx.tenant);
      await tenants.forTenant(ctx).markDeleted(
        updatedAt,
        {
          actor: actor(ctx),
          request: ctx.request,
          action: 'tenant.deleted',
          target: { type: 'tenant', id: ctx.tenantId },
          before,
          after: { ...before, status: 'deleted', updatedAt },
        },
        () =>
          new ConflictError(
            'The tenant got a subscription or a checkout meanwhile: cancel it first, then delete the tenant.',
          ),
      );
    },
  };
}

export type TenantService = ReturnType<typeof createTenantService>;
