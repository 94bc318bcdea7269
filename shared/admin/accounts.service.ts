import type { z } from 'zod';
import type { BillingState } from '../billing/billing.schema.ts';
import { effectivePlan, entitlementsOf } from '../billing/entitlements.ts';
import { usageOf } from '../billing/limits.ts';
import type { Page } from '../db/page.ts';
import type { RequestMeta } from '../http/api-handler.ts';
import { ConflictError, ForbiddenError } from '../http/errors.ts';
import type { Clock } from '../ids.ts';
import type { EmailDeliveryStatus } from '../mail/suppression.ts';
import type { AdminTicket } from '../support/support.schema.ts';
import type { AccountsRepository, Suspension } from './accounts.repository.ts';
import type {
  AdminTenantView,
  AdminUserView,
  PlatformAuditEntry,
  PlatformAuditQuery,
  passwordResetResponse,
  ReasonInput,
  TenantMatch,
  TenantSearchQuery,
  tenantStatusResponse,
  UserMatch,
  UserSearchQuery,
  userStatusResponse,
} from './accounts.schema.ts';
import { type Operator, requireOperatorPermission } from './operators.ts';
import type { PlatformAuditLog } from './platform-audit-log.ts';
import type { SearchRepository } from './search.repository.ts';
import type { UserAdmin } from './user-admin.ts';

type Item = Record<string, unknown>;

export interface AccountsServiceDeps {
  readonly accounts: AccountsRepository;
  readonly search: SearchRepository;
  readonly auditLog: PlatformAuditLog;
  /** The user pool; loaded on first use (the Cognito client is not part of the function's init). */
  readonly users: UserAdmin;
  readonly clock: Clock;
  /** A tenant's tickets, newest first, a page at a time (shared/support). */
  readonly tickets: {
    listForTenant(
      tenantId: string,
      filter: Record<string, never>,
      page: { limit: number; cursor?: string | undefined },
    ): Promise<Page<AdminTicket>>;
  };
  /** The suppression list's view of these addresses (shared/mail/suppression.ts). */
  readonly emailDelivery: (emails: readonly string[]) => Promise<EmailDeliveryStatus[]>;
}

/** The operator as the use cases see them: who, with which roles (for the defence-in-depth check). */
type Acting = Operator;

const groupsOf = (operator: Acting) => ({ groups: operator.roles });

const str = (value: unknown): string | null => (typeof value === 'string' ? value : null);

function suspensionOf(item: Item | undefined): Suspension | null {
  const at = str(item?.suspendedAt);
  if (!item || !at || item.status !== 'suspended') return null;
  return { at, by: String(item.suspendedBy ?? ''), reason: String(item.suspensionReason ?? '') };
}

function auditSummary(entry: Item) {
  return {
    entryId: String(entry.entryId),
    tenantId: String(entry.tenantId),
    at: String(entry.at),
    actor: entry.actor as { userId: string; kind?: 'support' },
    action: String(entry.action),
    target: entry.target as { type: string; id: string },
    ...(typeof entry.reason === 'string' ? { reason: entry.reason } : {}),
  };
}

/**
 * The operators' users-and-tenants use cases. Each repeats the permission check of its route's
 * guard (defence in depth). Changes in the user pool (disable, enable, sign-out, password reset)
 * are made first and are idempotent; the table change and its platform audit entry follow in one
 * transaction, so a request that fails part-way can simply be retried.
 */
/** Tickets the tenant detail lists, and the pages of a tenant's tickets read at most to find them. */
const OPEN_TICKETS_SHOWN = 20;
const TICKET_PAGE = 100;

export function createAccountsService(deps: AccountsServiceDeps) {
  const { accounts, search, auditLog, users, clock } = deps;

  /**
   * The tenant's unresolved tickets, oldest first: read from the tenant's own partition (a tenant
   * has few tickets; the pages stop once enough are found).
   */
  async function openTicketsOf(tenantId: string): Promise<AdminTicket[]> {
    const found: AdminTicket[] = [];
    let cursor: string | undefined;
    do {
      const page = await deps.tickets.listForTenant(tenantId, {}, { limit: TICKET_PAGE, cursor });
      found.push(...page.items.filter((t) => t.status === 'open' || t.status === 'pending_customer'));
      cursor = page.nextCursor;
    } while (cursor && found.length < OPEN_TICKETS_SHOWN);
    return found.slice(0, OPEN_TICKETS_SHOWN);
  }
  async function requireUser(userId: string) {
    const account = await users.getAccount(userId);
    if (!account) throw accounts.notFound('User');
    return account;
  }

  function requireNotSelf(operator: Acting, userId: string) {
    if (operator.userId === userId)
      throw new ForbiddenError('Operators cannot suspend or reset their own account.');
  }

  return {
    async searchTenants(operator: Acting, query: TenantSearchQuery): Promise<Page<TenantMatch>> {
      requireOperatorPermission(groupsOf(operator), 'admin:read');
      return search.searchTenants(query);
    },

    async searchUsers(operator: Acting, query: UserSearchQuery): Promise<Page<UserMatch>> {
      requireOperatorPermission(groupsOf(operator), 'admin:read');
      return search.searchUsers(query);
    },

    async getTenant(operator: Acting, tenantId: string): Promise<AdminTenantView> {
      requireOperatorPermission(groupsOf(operator), 'admin:read');
      const detail = await accounts.tenantDetail(tenantId);
      if (!detail) throw accounts.notFound('Tenant');
      const { tenant } = detail;
      const billing = (detail.billing ?? {}) as Partial<BillingState>;
      const plan = billing.plan ?? 'free';
      const status: BillingState['status'] = billing.status ?? 'none';
      const entitlements = entitlementsOf({ plan, status });
      const [openTickets, emailDelivery] = await Promise.all([
        openTicketsOf(tenantId),
        deps.emailDelivery(detail.members.map((m) => String(m.email))),
      ]);
      return {
        tenantId,
        name: String(tenant.name),
        slug: String(tenant.slug),
        status: tenant.status as AdminTenantView['status'],
        createdAt: String(tenant.createdAt),
        createdBy: String(tenant.createdBy),
        suspension: suspensionOf(tenant),
        members: detail.members.map((m) => ({
          userId: String(m.userId),
          email: String(m.email),
          role: m.role as AdminTenantView['members'][number]['role'],
          status: m.status as 'active' | 'suspended',
          joinedAt: String(m.joinedAt),
        })),
        billing: {
          plan,
          effectivePlan: effectivePlan({ plan, status }),
          status,
          interval: billing.interval ?? null,
          customerId: billing.customerId ?? null,
          subscriptionId: billing.subscriptionId ?? null,
          currentPeriodEnd: billing.currentPeriodEnd ?? null,
          cancelAtPeriodEnd: billing.cancelAtPeriodEnd ?? false,
          pastDueSince: billing.pastDueSince ?? null,
          graceEndsAt: billing.graceEndsAt ?? null,
          restricted: billing.restricted ?? false,
          monthlyAmount: billing.monthlyAmount ?? { amount: 0, currency: 'usd' },
        },
        invoices: detail.invoices.map((i) => ({
          invoiceId: String(i.invoiceId),
          number: str(i.number),
          status: String(i.status),
          currency: String(i.currency),
          total: Number(i.total ?? 0),
          amountPaid: Number(i.amountPaid ?? 0),
          amountRefunded: Number(i.amountRefunded ?? 0),
          createdAt: String(i.createdAt),
          paidAt: str(i.paidAt),
        })),
        entitlements: { ...entitlements, features: [...entitlements.features] },
        usage: usageOf(tenant),
        recentAudit: detail.audit.map(auditSummary),
        openTickets,
        emailDelivery,
      };
    },

    async getUser(operator: Acting, userId: string): Promise<AdminUserView> {
      requireOperatorPermission(groupsOf(operator), 'admin:read');
      const [account, detail] = await Promise.all([users.getAccount(userId), accounts.userDetail(userId)]);
      if (!account && !detail.profile) throw accounts.notFound('User');
      const profile = detail.profile;
      const email = account?.email ?? profile?.email ?? null;
      const [emailDelivery] = email ? await deps.emailDelivery([email]) : [];
      return {
        userId,
        email,
        emailVerified: account?.emailVerified ?? false,
        status: profile?.status === 'suspended' ? 'suspended' : 'active',
        cognitoStatus: account?.status ?? 'DELETED',
        enabled: account?.enabled ?? false,
        mfaEnabled: account?.mfaEnabled ?? false,
        createdAt: account?.createdAt ?? profile?.createdAt ?? null,
        lastSignInAt: profile?.lastSignInAt ?? null,
        lastActiveOn: detail.lastActiveOn ?? null,
        suspension: suspensionOf(profile as Item | undefined),
        memberships: detail.memberships.map(({ member, tenant }) => ({
          tenantId: String(member.tenantId),
          tenantName: str(tenant?.name),
          tenantStatus: str(tenant?.status),
          role: member.role as AdminUserView['memberships'][number]['role'],
          status: member.status as 'active' | 'suspended',
        })),
        recentActivity: detail.recentActivity.map(auditSummary),
        emailDelivery: emailDelivery ?? null,
      };
    },

    /**
     * Suspends a user platform-wide: the pool stops their sign-in (AdminDisableUser) and revokes
     * their refresh tokens (AdminUserGlobalSignOut); the profile flag makes the API refuse their
     * still-valid access tokens on the next request. Memberships stay as they are.
     */
    async suspendUser(
      operator: Acting,
      userId: string,
      input: ReasonInput,
      request: RequestMeta,
    ): Promise<z.input<ReturnType<typeof userStatusResponse>>> {
      requireOperatorPermission(groupsOf(operator), 'accounts:suspend');
      requireNotSelf(operator, userId);
      await requireUser(userId);
      await users.disable(userId);
      await users.signOutEverywhere(userId);
      const suspension = { at: clock().toISOString(), by: operator.userId, reason: input.reason };
      await accounts.suspendUser(userId, suspension, {
        operatorId: operator.userId,
        action: 'user.suspended',
        reason: input.reason,
        request,
      });
      return { userId, status: 'suspended', suspension };
    },

    /** Lets a suspended user sign in again (AdminEnableUser) and clears the flag. */
    async reactivateUser(
      operator: Acting,
      userId: string,
      input: ReasonInput,
      request: RequestMeta,
    ): Promise<z.input<ReturnType<typeof userStatusResponse>>> {
      requireOperatorPermission(groupsOf(operator), 'accounts:suspend');
      await requireUser(userId);
      const profile = await accounts.getProfile(userId);
      const suspension = suspensionOf(profile as Item | undefined);
      if (!suspension) throw new ConflictError('The user is not suspended.');
      await users.enable(userId);
      await accounts.reactivateUser(userId, suspension, {
        operatorId: operator.userId,
        action: 'user.reactivated',
        reason: input.reason,
        request,
      });
      return { userId, status: 'active', suspension: null };
    },

    /**
     * Suspends a tenant: its members get 403 on every tenant route, except billing routes for
     * members who may manage billing. Stripe, dunning and the MRR carry on; nothing is deleted.
     */
    async suspendTenant(
      operator: Acting,
      tenantId: string,
      input: ReasonInput,
      request: RequestMeta,
    ): Promise<z.input<ReturnType<typeof tenantStatusResponse>>> {
      requireOperatorPermission(groupsOf(operator), 'accounts:suspend');
      if (!(await accounts.getTenant(tenantId))) throw accounts.notFound('Tenant');
      const suspension = { at: clock().toISOString(), by: operator.userId, reason: input.reason };
      await accounts.setTenantStatus(
        tenantId,
        { from: 'active', to: 'suspended', suspension },
        { operatorId: operator.userId, action: 'tenant.suspended', reason: input.reason, request },
      );
      return { tenantId, status: 'suspended', suspension };
    },

    async reactivateTenant(
      operator: Acting,
      tenantId: string,
      input: ReasonInput,
      request: RequestMeta,
    ): Promise<z.input<ReturnType<typeof tenantStatusResponse>>> {
      requireOperatorPermission(groupsOf(operator), 'accounts:suspend');
      if (!(await accounts.getTenant(tenantId))) throw accounts.notFound('Tenant');
      await accounts.setTenantStatus(
        tenantId,
        { from: 'suspended', to: 'active' },
        { operatorId: operator.userId, action: 'tenant.reactivated', reason: input.reason, request },
      );
      return { tenantId, status: 'active', suspension: null };
    },

    /**
     * Starts Cognito's reset flow (AdminResetUserPassword: the pool mails a code, the next sign-in
     * must set a new password), then audits it. A reset of a user already waiting to reset is
     * accepted again (the pool re-sends nothing new) and audited again.
     */
    async resetPassword(
      operator: Acting,
      userId: string,
      input: ReasonInput,
      request: RequestMeta,
    ): Promise<z.input<ReturnType<typeof passwordResetResponse>>> {
      requireOperatorPermission(groupsOf(operator), 'accounts:reset-password');
      requireNotSelf(operator, userId);
      const account = await requireUser(userId);
      if (!account.enabled) throw new ConflictError('The user is disabled: reactivate them first.');
      const outcome = await users.resetPassword(userId);
      if (outcome) throw new ConflictError(`The user pool refused the reset: ${outcome.refused}`);
      await accounts.audit({
        operatorId: operator.userId,
        action: 'user.password-reset',
        target: { type: 'user', id: userId, userId },
        before: { cognitoStatus: account.status },
        after: { cognitoStatus: 'RESET_REQUIRED' },
        reason: input.reason,
        request,
      });
      return { userId, cognitoStatus: 'RESET_REQUIRED' };
    },

    async listAuditLog(operator: Acting, query: PlatformAuditQuery): Promise<Page<PlatformAuditEntry>> {
      requireOperatorPermission(groupsOf(operator), 'audit-log:read');
      return auditLog.list(query);
    },
  };
}

export type AccountsService = ReturnType<typeof createAccountsService>;
