/**
 * Stripe webhook events for tests, built from Stripe's own object fixtures (stripe-mock's
 * `fixtures3.json`, see {@link stripeFixture}): each builder takes the fixture of its object and
 * overrides only what the test controls and the fixture's placeholder values that would describe
 * another situation (a `cancel_at` in 2009, a paused collection, a price that divides quantities
 * by 1.5 billion). Events carry `api_version` {@link WEBHOOK_API_VERSION}, the version the webhook
 * is written for and the endpoint is created with; stripe-mock's fixtures are of its spec's version
 * (2026-08-26.dahlia), whose objects have the fields the webhook reads in the same places. Sign
 * them with {@link signedDelivery} (stripe-node's `generateTestHeaderString`) and post them to the
 * webhook handler as a Function URL event with {@link functionUrlEvent}.
 *
 * ```ts
 * const sub = subscriptionObject({ customer, tenantId, status: 'active', price: prices.teamMonth });
 * const res = await post(stripeEvent('customer.subscription.created', sub, { created: at(0) }));
 * ```
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { GetCommand, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { LambdaFunctionURLEvent, LambdaFunctionURLResult } from 'aws-lambda';
import Stripe from 'stripe';
import { WEBHOOK_API_VERSION } from '#shared/billing/webhooks/api-version.ts';
import type { DocumentClient } from '#shared/db/client.ts';
import { keys } from '#shared/db/keys.ts';
import { stripeFixture } from './stripe-fixtures.ts';

const ACCOUNT_PRODUCT = 'prod_plinth';

/** A random id with Stripe's prefix for the object type: `stripeId('sub')` → `sub_1Q…`. */
export function stripeId(prefix: string): string {
  return `${prefix}_1${randomBytes(12).toString('base64url').replace(/[-_]/g, 'x')}`;
}

/** Epoch seconds `offsetSeconds` after a fixed base, so tests order events without a clock. */
export const BASE_TIME = Math.floor(Date.UTC(2026, 2, 1, 12, 0, 0) / 1000);
export const DAY = 24 * 60 * 60;

const listOf = (data: readonly unknown[], url: string) => ({
  object: 'list',
  data,
  has_more: false,
  total_count: data.length,
  url,
});

/** A price as the webhook sees it inside a subscription item. */
export interface TestPrice {
  readonly id: string;
  readonly unitAmount: number;
  readonly interval: 'day' | 'week' | 'month' | 'year';
  readonly intervalCount?: number;
  readonly currency?: string;
}

export function priceObject(price: TestPrice) {
  const fixture = stripeFixture('price');
  return {
    ...fixture,
    id: price.id,
    created: BASE_TIME - 90 * DAY,
    currency: price.currency ?? 'usd',
    product: ACCOUNT_PRODUCT,
    recurring: {
      ...(fixture.recurring as Record<string, unknown>),
      interval: price.interval,
      interval_count: price.intervalCount ?? 1,
    },
    tax_behavior: 'exclusive',
    transform_quantity: null,
    unit_amount: price.unitAmount,
    unit_amount_decimal: String(price.unitAmount),
  };
}

/** A coupon as it appears inside an expanded discount. */
export function couponObject(input: {
  readonly percentOff?: number;
  readonly amountOff?: number;
  readonly currency?: string;
  readonly duration?: 'forever' | 'once' | 'repeating';
}) {
  return {
    ...stripeFixture('coupon'),
    id: stripeId('coupon').slice(0, 20),
    amount_off: input.amountOff ?? null,
    created: BASE_TIME - 30 * DAY,
    currency: input.amountOff === undefined ? null : (input.currency ?? 'usd'),
    duration: input.duration ?? 'forever',
    duration_in_months: input.duration === 'repeating' ? 3 : null,
    percent_off: input.percentOff ?? null,
    redeem_by: null,
    valid: true,
  };
}

/** An expanded discount (as with `expand[]=discounts.source.coupon`). */
export function discountObject(input: {
  readonly coupon: ReturnType<typeof couponObject>;
  readonly subscription?: string;
  readonly end?: number | null;
  /** As in `customer.discount.*` events (a subscription's expanded discount leaves it out here). */
  readonly customer?: string;
}) {
  return {
    ...stripeFixture('discount'),
    id: stripeId('di'),
    customer: input.customer ?? (null as string | null),
    end: input.end ?? null,
    source: { coupon: input.coupon, type: 'coupon' },
    start: BASE_TIME - DAY,
    subscription: input.subscription ?? null,
  };
}

export interface SubscriptionInput {
  readonly id?: string;
  readonly customer: string;
  /** Put in `metadata.tenantId`, as the billing API does at checkout. */
  readonly tenantId?: string;
  readonly status: Stripe.Subscription.Status;
  readonly price: TestPrice;
  readonly quantity?: number;
  /** Epoch seconds; default: a month (or a year) after {@link BASE_TIME}. */
  readonly currentPeriodEnd?: number;
  readonly cancelAtPeriodEnd?: boolean;
  readonly trialEnd?: number | null;
  /** Discount ids, or expanded discount objects. */
  readonly discounts?: readonly (string | ReturnType<typeof discountObject>)[];
  readonly created?: number;
}

export function subscriptionObject(input: SubscriptionInput) {
  const fixture = stripeFixture('subscription');
  const [fixtureItem] = (fixture.items as { data: Record<string, unknown>[] }).data;
  const id = input.id ?? stripeId('sub');
  const start = input.created ?? BASE_TIME - DAY;
  const periodEnd =
    input.currentPeriodEnd ??
    start + (input.price.interval === 'year' ? 365 : 30) * DAY * (input.price.intervalCount ?? 1);
  const currency = input.price.currency ?? 'usd';
  const ended = input.status === 'canceled' || input.status === 'incomplete_expired';
  const price = priceObject(input.price);
  return {
    ...fixture,
    id,
    billing_cycle_anchor: start,
    billing_cycle_anchor_config: null,
    cancel_at: null,
    cancel_at_period_end: input.cancelAtPeriodEnd ?? false,
    canceled_at: ended ? periodEnd : null,
    cancellation_details: {
      ...(fixture.cancellation_details as Record<string, unknown>),
      reason: ended ? 'cancellation_requested' : null,
    },
    created: start,
    currency,
    customer: input.customer,
    default_payment_method: stripeId('pm'),
    discounts: input.discounts ?? [],
    ended_at: ended ? periodEnd : null,
    items: listOf(
      [
        {
          ...fixtureItem,
          id: stripeId('si'),
          created: start,
          current_period_end: periodEnd,
          current_period_start: start,
          discounts: [],
          // The legacy `plan` mirrors the price.
          plan: {
            ...(fixtureItem?.plan as Record<string, unknown>),
            id: price.id,
            amount: price.unit_amount,
            amount_decimal: price.unit_amount_decimal,
            billing_scheme: 'per_unit',
            currency,
            interval: input.price.interval,
            interval_count: input.price.intervalCount ?? 1,
            livemode: false,
            metadata: {},
            product: ACCOUNT_PRODUCT,
            transform_usage: null,
          },
          price,
          quantity: input.quantity ?? 1,
          subscription: id,
        },
      ],
      `/v1/subscription_items?subscription=${id}`,
    ),
    latest_invoice: stripeId('in'),
    metadata: input.tenantId ? { tenantId: input.tenantId } : {},
    next_pending_invoice_item_invoice: null,
    pause_collection: null,
    start_date: start,
    status: input.status,
    trial_end: input.trialEnd ?? null,
    trial_start: input.trialEnd ? start : null,
  };
}

export interface InvoiceInput {
  readonly id?: string;
  readonly customer: string;
  readonly subscription: string | null;
  /** Subscription metadata snapshot (`parent.subscription_details.metadata`). */
  readonly tenantId?: string;
  readonly status: 'draft' | 'open' | 'paid' | 'uncollectible' | 'void';
  /** Before tax. */
  readonly subtotal: number;
  readonly tax?: number;
  readonly currency?: string;
  readonly created?: number;
  readonly paidAt?: number | null;
  readonly attemptCount?: number;
  readonly billingReason?: string;
  /** Include `payments` (as `expand[]=payments` would) with this charge paying the invoice. */
  readonly paidByCharge?: string;
}

export function invoiceObject(input: InvoiceInput) {
  const fixture = stripeFixture('invoice');
  const id = input.id ?? stripeId('in');
  const tax = input.tax ?? 0;
  const total = input.subtotal + tax;
  const paid = input.status === 'paid';
  const created = input.created ?? BASE_TIME;
  const currency = input.currency ?? 'usd';
  const number = `PLN-${randomBytes(3).toString('hex').toUpperCase()}-0001`;
  const [fixtureLine] = (fixture.lines as { data: Record<string, unknown>[] }).data;
  return {
    ...fixture,
    id,
    amount_due: total,
    amount_overpaid: 0,
    amount_paid: paid ? total : 0,
    amount_remaining: paid ? 0 : total,
    attempt_count: input.attemptCount ?? 1,
    attempted: true,
    auto_advance: !paid,
    billing_reason: input.billingReason ?? 'subscription_cycle',
    created,
    currency,
    customer: input.customer,
    customer_email: 'billing@example.com',
    due_date: null,
    effective_at: created,
    ending_balance: 0,
    from_invoice: null,
    hosted_invoice_url: `https://invoice.stripe.com/i/acct_test/${id}`,
    invoice_pdf: `https://pay.stripe.com/invoice/acct_test/${id}/pdf`,
    last_finalization_error: null,
    lines: listOf(
      [{ ...fixtureLine, amount: input.subtotal, currency, invoice: id, subtotal: input.subtotal }],
      `/v1/invoices/${id}/lines`,
    ),
    next_payment_attempt: paid ? null : created + 3 * DAY,
    number,
    parent: input.subscription
      ? {
          quote_details: null,
          subscription_details: {
            metadata: input.tenantId ? { tenantId: input.tenantId } : {},
            subscription: input.subscription,
          },
          type: 'subscription_details',
        }
      : null,
    ...(input.paidByCharge
      ? {
          payments: listOf(
            [
              {
                id: stripeId('inpay'),
                object: 'invoice_payment',
                amount_paid: total,
                amount_requested: total,
                created,
                currency,
                invoice: id,
                is_default: true,
                livemode: false,
                payment: { charge: input.paidByCharge, type: 'charge' },
                status: 'paid',
                status_transitions: { canceled_at: null, paid_at: input.paidAt ?? created },
              },
            ],
            `/v1/invoice_payments?invoice=${id}`,
          ),
        }
      : {}),
    period_end: created,
    period_start: created - 30 * DAY,
    status: input.status,
    status_transitions: {
      finalized_at: input.status === 'draft' ? null : created,
      marked_uncollectible_at: null,
      paid_at: paid ? (input.paidAt ?? created) : null,
      voided_at: null,
    },
    subscription: input.subscription,
    subtotal: input.subtotal,
    subtotal_excluding_tax: input.subtotal,
    total,
    total_excluding_tax: input.subtotal,
    total_taxes:
      tax > 0
        ? [
            {
              amount: tax,
              tax_behavior: 'exclusive',
              tax_rate_details: null,
              taxability_reason: 'standard_rated',
              taxable_amount: input.subtotal,
              type: 'tax_rate_details',
            },
          ]
        : [],
    webhooks_delivered_at: created,
  };
}

/** The preview `invoice.upcoming` carries: no id, not yet finalized. */
export function upcomingInvoiceObject(
  input: Omit<InvoiceInput, 'id' | 'status'> & { readonly nextPaymentAttempt: number },
) {
  const {
    id: _id,
    number: _number,
    hosted_invoice_url: _url,
    invoice_pdf: _pdf,
    ...rest
  } = invoiceObject({
    ...input,
    status: 'draft',
  });
  return { ...rest, next_payment_attempt: input.nextPaymentAttempt, number: null, hosted_invoice_url: null };
}

export function chargeObject(input: {
  readonly id: string;
  readonly customer: string;
  readonly amount: number;
  readonly amountRefunded: number;
  readonly currency?: string;
  readonly created?: number;
}) {
  return {
    ...stripeFixture('charge'),
    id: input.id,
    amount: input.amount,
    amount_captured: input.amount,
    amount_refunded: input.amountRefunded,
    balance_transaction: stripeId('txn'),
    captured: true,
    created: input.created ?? BASE_TIME,
    currency: input.currency ?? 'usd',
    customer: input.customer,
    description: 'Subscription update',
    payment_intent: stripeId('pi'),
    payment_method: stripeId('pm'),
    refunded: input.amountRefunded >= input.amount,
    // Since 2022-11-15 a charge's refunds are only included when expanded.
    refunds: undefined,
  };
}

export function refundObject(input: {
  readonly id?: string;
  readonly charge: string;
  readonly customer: string | null;
  readonly amount: number;
  readonly status: 'pending' | 'requires_action' | 'succeeded' | 'failed' | 'canceled';
  readonly currency?: string;
  readonly created?: number;
  /** What the admin refund API puts on refunds it makes: tenantId, reason, operatorId. */
  readonly metadata?: Record<string, string>;
  readonly reason?: 'duplicate' | 'fraudulent' | 'requested_by_customer' | null;
}) {
  return {
    ...stripeFixture('refund'),
    id: input.id ?? stripeId('re'),
    amount: input.amount,
    balance_transaction: stripeId('txn'),
    charge: input.charge,
    created: input.created ?? BASE_TIME,
    currency: input.currency ?? 'usd',
    customer: input.customer,
    failure_balance_transaction: input.status === 'failed' ? stripeId('txn') : null,
    failure_reason: input.status === 'failed' ? 'lost_or_stolen_card' : null,
    metadata: input.metadata ?? {},
    payment_intent: stripeId('pi'),
    reason: input.reason ?? null,
    status: input.status,
  };
}

export function checkoutSessionObject(input: {
  readonly customer: string;
  readonly subscription: string;
  readonly tenantId: string;
  readonly created?: number;
}) {
  const created = input.created ?? BASE_TIME;
  return {
    ...stripeFixture('checkout.session'),
    id: stripeId('cs_test'),
    amount_subtotal: 2900,
    amount_total: 2900,
    cancel_url: 'https://app.plinth.test/billing?checkout=canceled',
    client_reference_id: input.tenantId,
    created,
    currency: 'usd',
    customer: input.customer,
    expires_at: created + DAY,
    invoice: stripeId('in'),
    metadata: { tenantId: input.tenantId },
    mode: 'subscription',
    payment_intent: null,
    payment_method_collection: 'always',
    payment_status: 'paid',
    shipping_cost: null,
    status: 'complete',
    subscription: input.subscription,
    success_url: 'https://app.plinth.test/billing?checkout=success',
    total_details: { amount_discount: 0, amount_shipping: 0, amount_tax: 0 },
    ui_mode: 'hosted',
    url: null,
  };
}

export function disputeObject(input: {
  readonly id?: string;
  readonly charge: string;
  readonly amount: number;
  readonly status?: string;
  readonly reason?: string;
  readonly created?: number;
  /** Epoch seconds; default: seven days after {@link BASE_TIME}. */
  readonly dueBy?: number | null;
}) {
  const fixture = stripeFixture('dispute');
  return {
    ...fixture,
    id: input.id ?? stripeId('du'),
    amount: input.amount,
    charge: input.charge,
    created: input.created ?? BASE_TIME,
    currency: 'usd',
    evidence_details: {
      ...(fixture.evidence_details as Record<string, unknown>),
      due_by: input.dueBy === undefined ? BASE_TIME + 7 * DAY : input.dueBy,
    },
    payment_intent: stripeId('pi'),
    reason: input.reason ?? 'fraudulent',
    status: input.status ?? 'needs_response',
  };
}

/** A webhook event (the `event` object) around `object`. */
export function stripeEvent(
  type: string,
  object: Record<string, unknown>,
  options: {
    readonly id?: string;
    readonly created?: number;
    readonly previousAttributes?: Record<string, unknown>;
    /** Default: {@link WEBHOOK_API_VERSION}, the version the endpoint is created with. */
    readonly apiVersion?: string | null;
  } = {},
) {
  return {
    ...stripeFixture('event'),
    id: options.id ?? stripeId('evt'),
    api_version: options.apiVersion === undefined ? WEBHOOK_API_VERSION : options.apiVersion,
    created: options.created ?? BASE_TIME,
    data: {
      object,
      ...(options.previousAttributes ? { previous_attributes: options.previousAttributes } : {}),
    },
    pending_webhooks: 1,
    type,
  };
}

/** The body and `Stripe-Signature` header Stripe would send, signed with `secret` at `timestamp`. */
export function signedDelivery(
  event: object | string,
  secret: string,
  options: { readonly timestamp?: number } = {},
): { readonly body: string; readonly signature: string } {
  // Stripe pretty-prints its payloads; the signature covers the exact bytes.
  const body = typeof event === 'string' ? event : JSON.stringify(event, null, 2);
  const signature = Stripe.webhooks.generateTestHeaderString({
    payload: body,
    secret,
    ...(options.timestamp === undefined ? {} : { timestamp: options.timestamp }),
  });
  return { body, signature };
}

/** The event a Lambda Function URL passes for a POST with this body and headers. */
export function functionUrlEvent(input: {
  readonly body?: string;
  readonly headers?: Record<string, string>;
  readonly isBase64Encoded?: boolean;
}): LambdaFunctionURLEvent {
  const now = new Date();
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: '/',
    rawQueryString: '',
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'user-agent': 'Stripe/1.0',
      ...input.headers,
    },
    requestContext: {
      accountId: 'anonymous',
      apiId: 'stripewebhook',
      domainName: 'stripewebhook.lambda-url.us-east-1.on.aws',
      domainPrefix: 'stripewebhook',
      http: {
        method: 'POST',
        path: '/',
        protocol: 'HTTP/1.1',
        sourceIp: '3.18.12.63',
        userAgent: 'Stripe/1.0',
      },
      requestId: randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: now.toISOString(),
      timeEpoch: now.getTime(),
    },
    ...(input.body === undefined ? {} : { body: input.body }),
    isBase64Encoded: input.isBase64Encoded ?? false,
  };
}

/** A signed delivery of `event` as the Function URL event the webhook handler receives. */
export function signedFunctionUrlEvent(
  event: object | string,
  secret: string,
  options: { readonly timestamp?: number } = {},
): LambdaFunctionURLEvent {
  const { body, signature } = signedDelivery(event, secret, options);
  return functionUrlEvent({ body, headers: { 'stripe-signature': signature } });
}

// --- delivering events to the handler and reading back what it stored -------------------------

/** What functions/stripe-webhook/handler.ts exports. */
export type StripeWebhookHandler = (event: LambdaFunctionURLEvent) => Promise<LambdaFunctionURLResult>;

export interface WebhookReply {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

/** Posts a Function URL event to the webhook handler in process and reads its reply. */
export async function callWebhook(
  handler: StripeWebhookHandler,
  event: LambdaFunctionURLEvent,
): Promise<WebhookReply> {
  const result = await handler(event);
  if (typeof result === 'string') throw new Error('the webhook handler returns structured results');
  return {
    status: result.statusCode ?? 200,
    body: result.body ? (JSON.parse(result.body) as Record<string, unknown>) : {},
  };
}

/** Signs `event` with `secret` now and posts it to the webhook handler. */
export function deliver(handler: StripeWebhookHandler, event: object, secret: string): Promise<WebhookReply> {
  return callWebhook(handler, signedFunctionUrlEvent(event, secret));
}

/** How many items the table holds (a Scan: tests only). */
export async function countItems(db: DocumentClient, tableName: string): Promise<number> {
  let count = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const page = await db.send(
      new ScanCommand({ TableName: tableName, Select: 'COUNT', ExclusiveStartKey: start }),
    );
    count += page.Count ?? 0;
    start = page.LastEvaluatedKey;
  } while (start);
  return count;
}

export interface StoredOutboxEvent {
  readonly detailType: string;
  readonly detail: Record<string, unknown>;
}

/** The outbox events written for a tenant, oldest first. */
export async function outboxEventsOf(
  db: DocumentClient,
  tableName: string,
  tenantId: string,
): Promise<StoredOutboxEvent[]> {
  const { Items = [] } = await db.send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: {
        ':pk': keys.outbox(tenantId, '').pk,
        ':prefix': keys.outbox(tenantId, '').sk,
      },
      ConsistentRead: true,
    }),
  );
  return Items.map((item) => ({
    detailType: String(item.detailType),
    detail: JSON.parse(String(item.detail)) as Record<string, unknown>,
  })).sort((a, b) => String(a.detail.eventId).localeCompare(String(b.detail.eventId)));
}

/** The stored item at a key, or undefined. */
export async function readStoredItem(
  db: DocumentClient,
  tableName: string,
  key: { readonly pk: string; readonly sk: string },
): Promise<Record<string, unknown> | undefined> {
  const { Item } = await db.send(new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true }));
  return Item;
}
