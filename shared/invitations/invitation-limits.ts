import { effectivePlan } from '../billing/entitlements.ts';
import { invitationSendLimits, plans } from '../billing/plans.ts';
import { definePolicy, hashedSubject, type RateLimitCheck } from '../ratelimit/rate-limiter.ts';
import type { TenantContext } from '../tenancy/tenant-context.ts';

const HOUR = 3600;

/**
 * The rate-limit checks of one invitation email (new or re-sent), narrowest first, with the
 * numbers of the tenant's effective plan (`invitationSendLimits` in the plan catalogue):
 * - `invitations-per-recipient`: one address in one tenant (subject: tenant and hashed email);
 * - `invitations-per-user`: the inviting user across all their tenants;
 * - `invitations-per-tenant`: the tenant.
 */
export function invitationSendChecks(ctx: TenantContext, email: string): RateLimitCheck[] {
  const plan = effectivePlan(ctx.billing);
  const limits = invitationSendLimits[plan];
  const planName = plans[plan].name;
  return [
    {
      policy: definePolicy({
        name: 'invitations-per-recipient',
        limit: limits.perRecipientPerHour,
        windowSeconds: HOUR,
      }),
      subject: `${ctx.tenantId}.${hashedSubject(email)}`,
      refusal: `${email} was sent ${limits.perRecipientPerHour} invitation emails from this tenant this hour, the most allowed.`,
    },
    {
      policy: definePolicy({
        name: 'invitations-per-user',
        limit: limits.perUserPerHour,
        windowSeconds: HOUR,
      }),
      subject: ctx.caller.userId,
      refusal: `You have sent ${limits.perUserPerHour} invitation emails this hour, the most the ${planName} plan allows one person.`,
    },
    {
      policy: definePolicy({
        name: 'invitations-per-tenant',
        limit: limits.perTenantPerHour,
        windowSeconds: HOUR,
      }),
      subject: ctx.tenantId,
      refusal: `This tenant has sent ${limits.perTenantPerHour} invitation emails this hour, the most the ${planName} plan allows.`,
    },
  ];
}
