import type * as z from 'zod';
import type { Page } from '../db/page.ts';
import { BadRequestError, ConflictError } from '../http/errors.ts';
import type { Clock } from '../ids.ts';
import { authorize, type TenantContext } from '../tenancy/tenant-context.ts';
import type { BillingRepositoryFactory } from './billing.repository.ts';
import type {
  billingResponse,
  changeBody,
  changePreviewResponse,
  changeResponse,
  checkoutBody,
  checkoutResponse,
  Invoice,
  planListResponse,
  portalBody,
  portalResponse,
  SubscriptionStatus,
} from './billing.schema.ts';
import { effectivePlan } from './entitlements.ts';
import { idempotencyKey } from './idempotency-key.ts';
import {
  type BillingInterval,
  type PlanId,
  type PriceIds,
  planForPrice,
  planIds,
  planRank,
  plans,
} from './plans.ts';
import type { StripeGateway, SubscriptionSnapshot } from './stripe-gateway.ts';
import { isLiveStatus } from './subscription-status.ts';

export type BillingView = z.infer<ReturnType<typeof billingResponse>>;
export type CheckoutInput = z.infer<ReturnType<typeof checkoutBody>>;
export type PortalInput = z.infer<ReturnType<typeof portalBody>>;
export type ChangeInput = z.infer<ReturnType<typeof changeBody>>;
export type ChangePreview = z.infer<ReturnType<typeof changePreviewResponse>>;
export type ChangeResult = z.infer<ReturnType<typeof changeResponse>>;

export type ChangeKind = ChangePreview['kind'];
export type ChangeEffective = ChangePreview['effective'];

/** How long a preview's proration date may be used to apply the change. */
export const PREVIEW_VALIDITY_SECONDS = 60 * 60;
/** Tolerated clock difference between the client's preview and this server. */
const CLOCK_SKEW_SECONDS = 5 * 60;

/** The live subscription's id, if the mirrored state has one. */
export function liveSubscriptionId(billing: TenantContext['billing']): string | undefined {
  return billing.subscriptionId && isLiveStatus(billing.status) ? billing.subscriptionId : undefined;
}

/**
 * What a plan or interval change is, and when it takes effect. A higher plan is an upgrade and a
 * lower one a downgrade, whatever the intervals. Within a plan, monthly → annual is paid at once
 * (a larger commitment, like an upgrade) and annual → monthly starts when the paid year ends (like
 * a downgrade: no refund of time already paid for).
 */
export function classifyChange(
  from: { plan: PlanId; interval: BillingInterval },
  to: { plan: PlanId; interval: BillingInterval },
): { kind: ChangeKind; effective: ChangeEffective } {
  if (planRank[to.plan] > planRank[from.plan]) return { kind: 'upgrade', effective: 'now' };
  if (planRank[to.plan] < planRank[from.plan]) return { kind: 'downgrade', effective: 'period-end' };
  if (to.interval === from.interval) return { kind: 'no-change', effective: 'now' };
  return { kind: 'interval-change', effective: to.interval === 'year' ? 'now' : 'period-end' };
}

/** Checkout Sessions expire unpaid after 60 to 75 minutes: fixed per 15-minute window, so a retry asks the same. */
const CHECKOUT_WINDOW_SECONDS = 15 * 60;
const CHECKOUT_LIFETIME_SECONDS = 60 * 60;

/** The `expires_at` of a Checkout Session created at `now` (epoch seconds); Stripe needs 30 min to 24 h. */
export function checkoutExpiry(now: number): number {
  return (
    (Math.floor(now / CHECKOUT_WINDOW_SECONDS) + 1) * CHECKOUT_WINDOW_SECONDS + CHECKOUT_LIFETIME_SECONDS
  );
}

const toIso = (epochSeconds: number | null | undefined) =>
  epochSeconds == null ? null : new Date(epochSeconds * 1000).toISOString();

export interface BillingServiceDeps {
  readonly billing: BillingRepositoryFactory;
  readonly stripe: StripeGateway;
  readonly clock: Clock;
  /** This stage's Stripe price ids (`STRIPE_PRICE_IDS`). */
  readonly priceIds: PriceIds;
  /** The web app; Checkout and the portal send customers back to `${appUrl}/billing`. */
  readonly appUrl: string;
  /**
   * Origins besides the app's that a client may name in a redirect URL (`ALLOWED_REDIRECT_ORIGINS`).
   * @default [] (the app's origin only)
   */
  readonly allowedRedirectOrigins?: readonly string[];
}

/**
 * Billing use cases of the API: the plan catalogue, the tenant's billing view and payment history,
 * and the changes a billing admin starts (checkout, portal, plan change, cancel, resume). Stripe is
 * the source of truth: these call Stripe (with idempotency keys) and audit what was asked; the
 * mirrored state moves when Stripe's webhooks arrive. The one item written here is the tenant's
 * Stripe customer id, needed before Stripe can send any event about that customer.
 */
export function createBillingService({
  billing,
  stripe,
  clock,
  priceIds,
  appUrl,
  allowedRedirectOrigins = [],
}: BillingServiceDeps) {
  const actor = (ctx: TenantContext) => ({ userId: ctx.caller.userId, email: ctx.member.email });
  const nowSeconds = () => Math.floor(clock().getTime() / 1000);
  const redirectOrigins: ReadonlySet<string> = new Set([
    new URL(appUrl).origin,
    ...allowedRedirectOrigins.map((origin) => new URL(origin).origin),
  ]);

  /**
   * Checks the redirect URLs a client names (Stripe sends the customer there, so an open redirect
   * would hand our checkout's trust to any site): each must be on the app's origin or an allowed
   * one. Every bad field is named in one 400, before anything is called or written.
   */
  function assertRedirectUrls(urls: Record<string, string | undefined>): void {
    const errors = Object.entries(urls).flatMap(([field, url]) =>
      url === undefined || redirectOrigins.has(new URL(url).origin)
        ? []
        : [{ field: `body.${field}`, message: "must be on the app's origin or an allowed redirect origin" }],
    );
    if (errors.length > 0) {
      throw new BadRequestError('A redirect URL points outside the app.', errors);
    }
  }

  function requireLive(ctx: TenantContext): string {
    const subscriptionId = liveSubscriptionId(ctx.billing);
    if (!subscriptionId) {
      throw new ConflictError('This tenant has no live subscription: start a checkout first.');
    }
    return subscriptionId;
  }

  /** The current plan: from the subscription's price when we sell it, else the mirrored state. */
  function currentPlan(ctx: TenantContext, subscription: SubscriptionSnapshot) {
    return (
      planForPrice(priceIds, subscription.priceId) ?? {
        plan: ctx.billing.plan,
        interval: ctx.billing.interval ?? 'month',
      }
    );
  }

  /**
   * The proration date of a change that takes effect now: the preview's (so the charge is what was
   * previewed) or now. A client could otherwise pick a date that shrinks the proration, so it must
   * be recent and not in the future.
   */
  function prorationDateOf(requested: number | undefined): number {
    const now = nowSeconds();
    if (requested === undefined) return now;
    if (requested > now + CLOCK_SKEW_SECONDS) {
      throw new BadRequestError('The proration date is in the future.', [
        { field: 'body.prorationDate', message: 'must not be in the future' },
      ]);
    }
    if (requested < now - PREVIEW_VALIDITY_SECONDS) {
      throw new BadRequestError('The preview has expired: preview the change again.', [
        { field: 'body.prorationDate', message: 'is more than an hour old' },
      ]);
    }
    // A date from before a renewal that happened within the hour is refused by Stripe itself (502).
    return requested;
  }

  function viewOf(ctx: TenantContext, overrides: Partial<BillingView> = {}): BillingView {
    const state = ctx.billing;
    return {
      tenantId: ctx.tenantId,
      plan: state.plan,
      effectivePlan: effectivePlan(state),
      status: state.status,
      interval: state.interval,
      currentPeriodEnd: state.currentPeriodEnd,
      cancelAtPeriodEnd: state.cancelAtPeriodEnd,
      trialEnd: state.trialEnd,
      pastDueSince: state.pastDueSince,
      graceEndsAt: state.graceEndsAt,
      restricted: state.restricted,
      // Items written before these fields existed have neither.
      duplicateSubscriptions: (state.duplicateSubscriptions ?? []).map((d) => ({
        subscriptionId: d.subscriptionId,
        status: d.status,
        plan: d.plan,
        interval: d.interval,
        detectedAt: d.detectedAt,
      })),
      disputes: (state.disputes ?? []).map((d) => ({
        disputeId: d.disputeId,
        chargeId: d.chargeId,
        amount: d.amount,
        reason: d.reason,
        status: d.status,
        evidenceDueBy: d.evidenceDueBy,
        openedAt: d.openedAt,
        closedAt: d.closedAt,
      })),
      entitlements: { ...ctx.entitlements, features: [...ctx.entitlements.features] },
      usage: { seats: ctx.tenant.memberCount ?? 0, projects: ctx.tenant.projectCount ?? 0 },
      ...overrides,
    };
  }

  return {
    /** The catalogue, public. */
    listPlans(): z.infer<ReturnType<typeof planListResponse>> {
      return {
        items: planIds.map((id) => {
          const plan = plans[id];
          return {
            id,
            name: plan.name,
            currency: plan.currency,
            prices: plan.prices ? { ...plan.prices } : null,
            entitlements: { ...plan.entitlements, features: [...plan.entitlements.features] },
          };
        }),
      };
    },

    /** Every member may see the plan, its limits and usage (it explains a 402 or a limit). */
    async get(ctx: TenantContext): Promise<BillingView> {
      authorize(ctx, 'tenant:read');
      return viewOf(ctx);
    },

    async listInvoices(
      ctx: TenantContext,
      page: { limit: number; cursor?: string | undefined },
    ): Promise<Page<Invoice>> {
      authorize(ctx, 'billing:manage');
      return billing.forTenant(ctx).listInvoices(page);
    },

    /**
     * Creates the tenant's Stripe customer if it has none (once: the key is the tenant's) and
     * records it before anything else, so every later webhook about it finds its tenant; then a
     * Checkout Session.
     *
     * One open checkout per tenant, so two tabs, two admins, or monthly and annual side by side can
     * never end in two subscriptions: the session handed out is recorded on the billing item
     * (`checkoutSessionId`, `checkoutExpiresAt`) by a conditional write on the session recorded
     * before, and a new checkout first expires that one at Stripe (or answers 409 if it was just
     * paid and its subscription is on its way). Of two checkouts racing from the same state, one
     * records its session; the other answers 409 and its session, never handed out, expires unpaid.
     * Sessions expire by themselves 60 to 75 minutes after creation.
     *
     * Resumable: a retried request repeats the same calls with the same keys (the session key holds
     * the session it replaces and the expiry, fixed per 15-minute window), so a retry after a
     * failure between Stripe and the write gets the same session and records it.
     */
    async checkout(
      ctx: TenantContext,
      input: CheckoutInput,
    ): Promise<z.infer<ReturnType<typeof checkoutResponse>>> {
      authorize(ctx, 'billing:manage');
      assertRedirectUrls({ successUrl: input.successUrl, cancelUrl: input.cancelUrl });
      if (liveSubscriptionId(ctx.billing)) {
        throw new ConflictError('This tenant is already subscribed; change the plan instead.');
      }
      const repo = billing.forTenant(ctx);
      const now = nowSeconds();
      let customerId = ctx.billing.customerId;
      if (!customerId) {
        ({ customerId } = await stripe.createCustomer(
          { tenantId: ctx.tenantId, name: ctx.tenant.name },
          idempotencyKey('customer', ctx.tenantId),
        ));
        await repo.recordCustomer(customerId, {
          actor: actor(ctx),
          request: ctx.request,
          action: 'billing.customer-created',
          target: { type: 'stripe-customer', id: customerId },
          before: null,
          after: { customerId },
        });
      }
      const previous = ctx.billing.checkoutSessionId ?? null;
      const previousExpiresAt = ctx.billing.checkoutExpiresAt ?? null;
      // Past its recorded expiry a session can no longer be paid: nothing to ask Stripe.
      if (previous && previousExpiresAt && Date.parse(previousExpiresAt) > now * 1000) {
        const status = await stripe.getCheckoutSessionStatus(previous);
        if (status === 'complete') {
          throw new ConflictError(
            'A checkout for this tenant has just been paid; its subscription is on its way. Reload the billing state in a moment.',
          );
        }
        if (status === 'open') {
          await stripe.expireCheckoutSession(
            previous,
            idempotencyKey('checkout-expire', ctx.tenantId, previous),
          );
        }
      }
      const priceId = priceIds[input.plan][input.interval];
      const successUrl =
        input.successUrl ?? `${appUrl}/billing?checkout=success&session_id={CHECKOUT_SESSION_ID}`;
      const cancelUrl = input.cancelUrl ?? `${appUrl}/billing?checkout=canceled`;
      const expiresAt = checkoutExpiry(now);
      const session = await stripe.createCheckoutSession(
        { tenantId: ctx.tenantId, customerId, priceId, successUrl, cancelUrl, expiresAt },
        idempotencyKey(
          'checkout',
          ctx.tenantId,
          customerId,
          priceId,
          successUrl,
          cancelUrl,
          expiresAt,
          previous ?? 'none',
        ),
      );
      await repo.recordCheckout(
        { sessionId: session.sessionId, expiresAt: toIso(expiresAt) ?? '' },
        previous,
        {
          actor: actor(ctx),
          request: ctx.request,
          action: 'billing.checkout-started',
          target: { type: 'checkout-session', id: session.sessionId },
          before: previous ? { checkoutSessionId: previous } : null,
          after: { plan: input.plan, interval: input.interval, customerId, expiresAt: toIso(expiresAt) },
        },
      );
      return session;
    },

    /** A portal session changes nothing by itself (what the customer does there comes back by webhook). */
    async portal(
      ctx: TenantContext,
      input: PortalInput,
    ): Promise<z.infer<ReturnType<typeof portalResponse>>> {
      authorize(ctx, 'billing:manage');
      assertRedirectUrls({ returnUrl: input.returnUrl });
      const { customerId } = ctx.billing;
      if (!customerId) {
        throw new ConflictError('This tenant has no Stripe customer yet: start a checkout first.');
      }
      return stripe.createPortalSession(
        { customerId, returnUrl: input.returnUrl ?? `${appUrl}/billing` },
        idempotencyKey('portal', ctx.tenantId, ctx.request.requestId),
      );
    },

    /**
     * What a change costs, from Stripe's invoice preview. A change that takes effect now is previewed
     * twice: with `always_invoice` (the invoice it creates now: `amountDueNow`) and with no
     * proration (the next regular invoice at the new price). A period-end change charges nothing
     * now; its next invoice is the new price's.
     */
    async previewChange(ctx: TenantContext, input: ChangeInput): Promise<ChangePreview> {
      authorize(ctx, 'billing:manage');
      const subscriptionId = requireLive(ctx);
      const subscription = await stripe.getSubscription(subscriptionId);
      const from = currentPlan(ctx, subscription);
      const { kind, effective } = classifyChange(from, input);
      const prorationDate = prorationDateOf(input.prorationDate);
      const change = {
        subscriptionId,
        itemId: subscription.itemId,
        priceId: priceIds[input.plan][input.interval],
      };
      const key = (behavior: string) =>
        idempotencyKey('preview', ctx.tenantId, ctx.request.requestId, behavior);
      const chargesNow = effective === 'now' && kind !== 'no-change';

      const [immediate, next] = await Promise.all([
        chargesNow
          ? stripe.previewPriceChange(
              { ...change, prorationBehavior: 'always_invoice', prorationDate },
              key('always_invoice'),
            )
          : undefined,
        stripe.previewPriceChange({ ...change, prorationBehavior: 'none' }, key('none')),
      ]);
      // Moving to annual now starts a new period now; the next invoice comes when that period ends.
      const recurring = next.lines.find((line) => !line.proration);
      const nextInvoiceAt =
        chargesNow && input.interval !== from.interval ? recurring?.periodEnd : subscription.currentPeriodEnd;
      return {
        plan: input.plan,
        interval: input.interval,
        kind,
        effective,
        prorationDate,
        amountDueNow: immediate?.amountDue ?? 0,
        nextInvoiceAmount: next.total,
        currency: next.currency,
        nextInvoiceAt: toIso(nextInvoiceAt),
      };
    },

    /**
     * Applies a change. Upgrades (and monthly → annual) move the subscription item to the new price
     * now, invoicing the prorations at once with the preview's proration date, so the preview is
     * what is charged.
     *
     * Downgrades (and annual → monthly) must wait for the end of the period already paid for, with
     * no refund and no credit. Stripe's mechanism for a change at a future date is a subscription
     * schedule: the subscription is put under a schedule (`from_subscription`) whose current phase
     * keeps today's price until `current_period_end` and whose next phase has the new price, with
     * no proration; the schedule then releases the subscription, which renews on the new price.
     * (Updating the price now with `proration_behavior: none` would instead hand out the lower
     * plan at once and, for annual → monthly, restart billing today.) The plan in Plinth changes
     * when Stripe's `customer.subscription.updated` arrives at the period end.
     *
     * Choosing the current plan again undoes a pending period-end change (releases the schedule).
     */
    async applyChange(ctx: TenantContext, input: ChangeInput): Promise<ChangeResult> {
      authorize(ctx, 'billing:manage');
      const subscriptionId = requireLive(ctx);
      const subscription = await stripe.getSubscription(subscriptionId);
      const from = currentPlan(ctx, subscription);
      const { kind, effective } = classifyChange(from, input);
      const priceId = priceIds[input.plan][input.interval];
      const { scheduleId } = subscription;
      const audit = (action: string, after: Record<string, unknown>) =>
        billing.forTenant(ctx).audit({
          actor: actor(ctx),
          request: ctx.request,
          action,
          target: { type: 'subscription', id: subscriptionId },
          before: { plan: from.plan, interval: from.interval },
          after: { plan: input.plan, interval: input.interval, kind, effective, ...after },
        });
      const result = (status: SubscriptionStatus): ChangeResult => ({
        status,
        plan: input.plan,
        interval: input.interval,
        effective,
      });

      if (kind === 'no-change') {
        if (!scheduleId) {
          throw new ConflictError(`The subscription is already on ${input.plan} (${input.interval}ly).`);
        }
        await stripe.releaseSchedule(scheduleId, idempotencyKey('release', ctx.tenantId, scheduleId));
        await audit('billing.plan-change-canceled', { scheduleId });
        return result(subscription.status);
      }

      if (effective === 'now') {
        const prorationDate = prorationDateOf(input.prorationDate);
        // A pending period-end change would otherwise overwrite this one when its phase starts.
        if (scheduleId) {
          await stripe.releaseSchedule(scheduleId, idempotencyKey('release', ctx.tenantId, scheduleId));
        }
        // Same subscription, same prices, same proration date: a retried request replays Stripe's
        // first answer instead of charging again.
        const { status } = await stripe.changePriceNow(
          { subscriptionId, itemId: subscription.itemId, priceId, prorationDate },
          idempotencyKey(
            'change-now',
            ctx.tenantId,
            subscriptionId,
            subscription.itemId,
            subscription.priceId,
            priceId,
            prorationDate,
          ),
        );
        await audit('billing.plan-change-requested', { prorationDate });
        return result(status);
      }

      // Resumable: both keys come from the change and the state it starts from, not from the
      // request, so a client retrying after a failure between the two calls repeats them with the
      // same keys (Stripe answers what it already did) and completes the change. Once the schedule
      // exists, Stripe shows it on the subscription and the retry reads it instead of creating one.
      // The creation key also holds the mirrored state's time, so a change undone and asked again
      // later gets a new schedule rather than the released one.
      const schedule = scheduleId
        ? await stripe.getSchedule(scheduleId)
        : await stripe.createScheduleFromSubscription(
            subscriptionId,
            idempotencyKey(
              'schedule',
              ctx.tenantId,
              subscriptionId,
              subscription.priceId,
              priceId,
              subscription.currentPeriodEnd,
              ctx.billing.updatedAt,
            ),
          );
      await stripe.setPriceFromPeriodEnd(
        {
          scheduleId: schedule.scheduleId,
          current: {
            priceId: subscription.priceId,
            quantity: subscription.quantity,
            startsAt: schedule.currentPhaseStart,
            endsAt: subscription.currentPeriodEnd,
          },
          next: { priceId, quantity: subscription.quantity, interval: input.interval },
        },
        // From the phases the schedule has now to the ones asked for: the same move retried has
        // the same key, and moving back to an earlier choice is a move of its own.
        idempotencyKey(
          'schedule-phases',
          ctx.tenantId,
          schedule.scheduleId,
          subscription.priceId,
          subscription.currentPeriodEnd,
          schedule.nextPriceId ?? 'none',
          priceId,
        ),
      );
      await audit('billing.plan-change-requested', {
        scheduleId: schedule.scheduleId,
        effectiveAt: toIso(subscription.currentPeriodEnd),
      });
      return result(subscription.status);
    },

    /** Cancels at the end of the paid period; the tenant keeps its plan until then. */
    async cancel(ctx: TenantContext): Promise<BillingView> {
      authorize(ctx, 'billing:manage');
      const subscriptionId = requireLive(ctx);
      if (ctx.billing.cancelAtPeriodEnd) {
        throw new ConflictError('A cancellation is already pending; resume the subscription to keep it.');
      }
      const subscription = await stripe.getSubscription(subscriptionId);
      // Stripe refuses cancellation changes on a subscription a schedule manages; a pending plan
      // change is moot once the subscription ends anyway.
      if (subscription.scheduleId) {
        await stripe.releaseSchedule(
          subscription.scheduleId,
          idempotencyKey('release', ctx.tenantId, subscription.scheduleId),
        );
      }
      await stripe.setCancelAtPeriodEnd(
        subscriptionId,
        true,
        idempotencyKey('cancel', ctx.tenantId, subscriptionId, ctx.request.requestId),
      );
      await billing.forTenant(ctx).audit({
        actor: actor(ctx),
        request: ctx.request,
        action: 'billing.cancel-requested',
        target: { type: 'subscription', id: subscriptionId },
        before: { cancelAtPeriodEnd: false },
        after: { cancelAtPeriodEnd: true, endsAt: ctx.billing.currentPeriodEnd },
      });
      return viewOf(ctx, { cancelAtPeriodEnd: true });
    },

    /** Undoes a pending cancellation. */
    async resume(ctx: TenantContext): Promise<BillingView> {
      authorize(ctx, 'billing:manage');
      const subscriptionId = requireLive(ctx);
      if (!ctx.billing.cancelAtPeriodEnd) {
        throw new ConflictError('No cancellation is pending.');
      }
      await stripe.setCancelAtPeriodEnd(
        subscriptionId,
        false,
        idempotencyKey('resume', ctx.tenantId, subscriptionId, ctx.request.requestId),
      );
      await billing.forTenant(ctx).audit({
        actor: actor(ctx),
        request: ctx.request,
        action: 'billing.resumed',
        target: { type: 'subscription', id: subscriptionId },
        before: { cancelAtPeriodEnd: true },
        after: { cancelAtPeriodEnd: false },
      });
      return viewOf(ctx, { cancelAtPeriodEnd: false });
    },
  };
}

export type BillingService = ReturnType<typeof createBillingService>;
