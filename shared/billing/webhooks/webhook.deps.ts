import type { Db } from '../../db/client.ts';
import type { Clock, IdGenerator } from '../../ids.ts';
import type { PriceIds } from '../plans.ts';
import type { StripeSubscription } from './stripe-objects.ts';
import type { ResolvedDiscount } from './subscription-snapshot.ts';

/** The few Stripe reads a webhook needs when a payload names an object without describing it. */
export interface StripeLookups {
  /** Charge ids of an invoice's paid payments (webhooks leave `invoice.payments` out). */
  invoiceChargeIds(invoiceId: string): Promise<string[]>;
  /** A subscription's discounts (its own and its items') with their coupons. */
  subscriptionDiscounts(subscriptionId: string): Promise<ResolvedDiscount[]>;
  /**
   * The subscription as Stripe holds it now, its discounts expanded with their coupons: asked when
   * the order of two events cannot be told from them (same second), or to check a subscription
   * named by a late event.
   */
  currentSubscription(subscriptionId: string): Promise<StripeSubscription>;
  /** Who a charge belongs to (a dispute names only its charge). */
  chargeOwner(chargeId: string): Promise<{
    readonly customerId: string | null;
    readonly metadata: Readonly<Record<string, string>>;
  }>;
}

/** The logging the handlers do; Powertools' logger fits. */
export interface WebhookLog {
  info(message: string, ...extra: Record<string, unknown>[]): void;
  warn(message: string, ...extra: Record<string, unknown>[]): void;
  error(message: string, ...extra: Record<string, unknown>[]): void;
}

/**
 * The metrics the webhook emits (Embedded Metric Format through Powertools' `metrics`; the CDK
 * app's alarms watch them). Names are in {@link webhookMetricNames}.
 */
export interface WebhookMetrics {
  addMetric(name: string, unit: 'Count', value: number): void;
}

/** The webhook's metric names (namespace `Plinth`, dimension `service`). */
export const webhookMetricNames = {
  /** A delivery answered 5xx because of a fault: bad payload, unknown API version, Stripe or AWS error. */
  failed: 'StripeEventsFailed',
  /** A refund or charge event answered 5xx because its invoice is not mirrored yet (Stripe retries). */
  deferred: 'StripeEventsDeferred',
  /** A second live subscription was reported for a tenant that already has one. */
  duplicateSubscriptions: 'DuplicateSubscriptions',
  /** A customer opened a dispute (chargeback or inquiry): evidence is due by a deadline. */
  disputesOpened: 'DisputesOpened',
} as const;
export type WebhookMetricName = (typeof webhookMetricNames)[keyof typeof webhookMetricNames];

export interface WebhookDeps {
  readonly db: Db;
  readonly priceIds: PriceIds;
  /** Days of full access after a failed payment (`BILLING_GRACE_DAYS`). */
  readonly graceDays: number;
  readonly clock: Clock;
  readonly newId: IdGenerator;
  readonly stripe: StripeLookups;
  readonly log: WebhookLog;
  readonly metrics: WebhookMetrics;
}
