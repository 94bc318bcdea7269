import type * as z from 'zod';
import type { Caller } from '../../auth/caller.ts';
import { idempotencyKey } from '../../billing/idempotency-key.ts';
import { type PaidPlanId, type PriceIds, plans } from '../../billing/plans.ts';
import type { StripeGateway } from '../../billing/stripe-gateway.ts';
import { isLiveStatus } from '../../billing/subscription-status.ts';
import type { BillingRecord } from '../../billing/webhooks/transitions.ts';
import type { RequestMeta } from '../../http/api-handler.ts';
import { BadRequestError, ConflictError, NotFoundError } from '../../http/errors.ts';
import type { Clock } from '../../ids.ts';
import { requireOperatorPermission } from '../operators.ts';
import type { AdminBillingRepository } from './admin-billing.repository.ts';
import {
  ADMIN_BILLING_LIST_LIMIT,
  type AdminBillingView,
  type Credit,
  type cancellationBody,
  type cancellationResponse,
  type compBody,
  type compResponse,
  type creditBody,
} from './admin-billing.schema.ts';

export type CreditInput = z.infer<ReturnType<typeof creditBody>>;
export type CompInput = z.infer<ReturnType<typeof compBody>>;
export type CancellationInput = z.infer<ReturnType<typeof cancellationBody>>;

export interface AdminBillingServiceDeps {
  readonly repo: AdminBillingRepository;
  readonly stripe: StripeGateway;
  readonly priceIds: PriceIds;
  readonly clock: Clock;
}

/** The longest comp: three years. */
export const MAX_COMP_MONTHS = 36;

/**
 * Whole billing months from `from` to `until`, rounded up: Stripe's repeating coupons run for
 * `duration_in_months`, so a comp until the 10th of a month covers that month's invoice too.
 */
export function compMonths(from: Date, until: Date): number {
  let months =
    (until.getUTCFullYear() - from.getUTCFullYear()) * 12 + (until.getUTCMonth() - from.getUTCMonth());
  const withinMonth = (d: Date) => d.getTime() - Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
  if (withinMonth(until) > withinMonth(from)) months += 1;
  return Math.max(1, months);
}

/** `until` as a date (a bare `YYYY-MM-DD` is the end of that UTC day). */
const parseUntil = (until: string): Date =>
  new Date(/^\d{4}-\d{2}-\d{2}$/.test(until) ? `${until}T23:59:59.999Z` : until);

function subscriptionOf(billing: BillingRecord): { subscriptionId: string; plan: PaidPlanId } {
  if (!billing.subscriptionId || !isLiveStatus(billing.status) || billing.plan === 'free') {
    throw new ConflictError('The tenant has no live subscription (start one through checkout first).');
  }
  return { subscriptionId: billing.subscriptionId, plan: billing.plan };
}

/** What the audit log keeps of the billing state before an operator's change. */
const stateBefore = (billing: BillingRecord) => ({
  plan: billing.plan,
  status: billing.status,
  cancelAtPeriodEnd: billing.cancelAtPeriodEnd,
  monthlyAmount: billing.monthlyAmount,
  comp: billing.comp ?? null,
});

/**
 * Billing adjustments by finance operators. Stripe stays the source of truth: credits, comps and
 * cancellations are made at Stripe with idempotency keys, and the mirrored subscription state
 * changes only when Stripe's webhook says so, as for customers' own changes. An audit entry (the
 * platform log and the tenant's, with the operator and the reason) is written once Stripe
 * accepted the change; a Stripe error is a 502 and writes nothing.
 */
export function createAdminBillingService({ repo, stripe, priceIds, clock }: AdminBillingServiceDeps) {
  async function existingTenant(tenantId: string): Promise<void> {
    if (!(await repo.tenantExists(tenantId))) throw new NotFoundError('Tenant not found.');
  }

  return {
    /** `GET /admin/tenants/{tenantId}/billing`: subscription, invoices, refunds, disputes, credits. */
    async view(caller: Caller, tenantId: string): Promise<AdminBillingView> {
      requireOperatorPermission(caller, 'admin:read');
      await existingTenant(tenantId);
      const [billing, invoices, credits] = await Promise.all([
        repo.billing(tenantId),
        repo.invoices(tenantId, ADMIN_BILLING_LIST_LIMIT),
        repo.credits(tenantId, ADMIN_BILLING_LIST_LIMIT),
      ]);
      const refunds = invoices
        .flatMap((invoice) =>
          invoice.refunds.map((refund) => ({
            ...refund,
            invoiceId: invoice.invoiceId,
            chargeId: invoice.chargeId,
            currency: invoice.currency,
          })),
        )
        .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
      return {
        tenantId,
        subscription: {
          plan: billing.plan,
          interval: billing.interval,
          status: billing.status,
          customerId: billing.customerId,
          subscriptionId: billing.subscriptionId,
          currentPeriodEnd: billing.currentPeriodEnd,
          cancelAtPeriodEnd: billing.cancelAtPeriodEnd,
          trialEnd: billing.trialEnd,
          pastDueSince: billing.pastDueSince,
          graceEndsAt: billing.graceEndsAt,
          restricted: billing.restricted,
          monthlyAmount: billing.monthlyAmount,
          comp: billing.comp ?? null,
          duplicateSubscriptions: billing.duplicateSubscriptions.map(
            ({ stripeUpdatedAt: _at, ...duplicate }) => duplicate,
          ),
          updatedAt: billing.updatedAt,
        },
        invoices,
        refunds,
        disputes: billing.disputes.map(({ stripeUpdatedAt: _at, ...dispute }) => dispute),
        credits,
      };
    },

    /**
     * `POST /admin/tenants/{tenantId}/credits`: a credit on the tenant's Stripe customer balance,
     * which Stripe applies to the next invoices. Stripe sends no webhook for balance transactions,
     * so the credit is recorded here, from Stripe's answer, in one transaction with its audit
     * entries. 409 for a tenant without a Stripe customer.
     */
    async credit(
      caller: Caller,
      tenantId: string,
      input: CreditInput,
      request: RequestMeta,
    ): Promise<Credit> {
      requireOperatorPermission(caller, 'billing:adjust');
      await existingTenant(tenantId);
      const billing = await repo.billing(tenantId);
      if (!billing.customerId) {
        throw new ConflictError('The tenant has no Stripe customer yet: there is no balance to credit.');
      }
      // A customer's balance is in the currency it is billed in; before any subscription, the catalogue's.
      const currency = billing.subscriptionId ? billing.monthlyAmount.currency : plans.team.currency;
      // The same operator crediting the same amount for the same reason is a retry: within Stripe's
      // 24 h key window it returns the first credit instead of giving a second.
      const made = await stripe.createBalanceCredit(
        {
          customerId: billing.customerId,
          amount: input.amount,
          currency,
          description: input.reason,
          metadata: { tenantId, operatorId: caller.userId },
        },
        idempotencyKey(
          'admin-credit',
          tenantId,
          billing.customerId,
          input.amount,
          input.reason,
          caller.userId,
        ),
      );
      const credit: Credit = {
        creditId: made.transactionId,
        amount: made.amount,
        currency: made.currency,
        endingBalance: made.endingBalance,
        reason: input.reason,
        operatorId: caller.userId,
        createdAt: new Date(made.created * 1000).toISOString(),
      };
      await repo.recordCredit(tenantId, credit, {
        operatorId: caller.userId,
        request,
        action: 'billing.credit-created',
        target: { type: 'customer', id: billing.customerId, tenantId },
        before: null,
        after: {
          creditId: credit.creditId,
          amount: credit.amount,
          currency: credit.currency,
          endingBalance: credit.endingBalance,
        },
        reason: input.reason,
      });
      return credit;
    },

    /**
     * `POST /admin/tenants/{tenantId}/comps`: the tenant's subscription free until `until` (a
     * single-use 100% coupon for the whole billing months up to it, optionally on another plan).
     */
    async comp(
      caller: Caller,
      tenantId: string,
      input: CompInput,
      request: RequestMeta,
    ): Promise<z.infer<ReturnType<typeof compResponse>>> {
      requireOperatorPermission(caller, 'billing:adjust');
      const now = clock();
      const until = parseUntil(input.until);
      if (until.getTime() <= now.getTime()) {
        throw new BadRequestError('The comp must end in the future.', [
          { field: 'body.until', message: 'must be in the future' },
        ]);
      }
      const months = compMonths(now, until);
      if (months > MAX_COMP_MONTHS) {
        throw new BadRequestError(`A comp lasts at most ${MAX_COMP_MONTHS} months.`, [
          { field: 'body.until', message: `at most ${MAX_COMP_MONTHS} months ahead` },
        ]);
      }
      await existingTenant(tenantId);
      const billing = await repo.billing(tenantId);
      const { subscriptionId, plan: currentPlan } = subscriptionOf(billing);
      const plan = input.plan ?? currentPlan;
      const untilIso = until.toISOString();
      const key = idempotencyKey(
        'admin-comp',
        tenantId,
        subscriptionId,
        plan,
        untilIso,
        input.reason,
        caller.userId,
      );
      // Another plan: the item moves to its price (same interval) without proration.
      const change =
        plan === currentPlan
          ? {}
          : {
              priceId: priceIds[plan][billing.interval ?? 'month'],
              itemId: (await stripe.getSubscription(subscriptionId)).itemId,
            };
      const made = await stripe.compSubscription(
        {
          subscriptionId,
          months,
          name: `Comp: ${plans[plan].name} until ${untilIso.slice(0, 10)}`,
          ...change,
          metadata: { plinthComp: 'true', tenantId, operatorId: caller.userId, until: untilIso },
        },
        key,
      );
      await repo.audit({
        operatorId: caller.userId,
        request,
        action: 'billing.comp-granted',
        target: { type: 'subscription', id: subscriptionId, tenantId },
        before: stateBefore(billing),
        after: { plan, couponId: made.couponId, months, until: untilIso },
        reason: input.reason,
      });
      return { subscriptionId, plan, couponId: made.couponId, months, until: untilIso, mirror: 'pending' };
    },

    /** `POST /admin/tenants/{tenantId}/cancellation`: cancel now or at the end of the paid period. */
    async cancel(
      caller: Caller,
      tenantId: string,
      input: CancellationInput,
      request: RequestMeta,
    ): Promise<z.infer<ReturnType<typeof cancellationResponse>>> {
      requireOperatorPermission(caller, 'billing:adjust');
      await existingTenant(tenantId);
      const billing = await repo.billing(tenantId);
      const { subscriptionId } = subscriptionOf(billing);
      const key = idempotencyKey(
        'admin-cancel',
        tenantId,
        subscriptionId,
        input.atPeriodEnd ? 'period-end' : 'now',
        input.reason,
        caller.userId,
      );
      const { status } = input.atPeriodEnd
        ? await stripe.setCancelAtPeriodEnd(subscriptionId, true, key)
        : await stripe.cancelSubscriptionNow(subscriptionId, key);
      await repo.audit({
        operatorId: caller.userId,
        request,
        action: input.atPeriodEnd ? 'billing.cancellation-scheduled' : 'billing.subscription-canceled',
        target: { type: 'subscription', id: subscriptionId, tenantId },
        before: stateBefore(billing),
        after: { atPeriodEnd: input.atPeriodEnd, status },
        reason: input.reason,
      });
      return { subscriptionId, atPeriodEnd: input.atPeriodEnd, status, mirror: 'pending' };
    },
  };
}

export type AdminBillingService = ReturnType<typeof createAdminBillingService>;
