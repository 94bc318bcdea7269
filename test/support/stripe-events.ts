/**
 * Stripe webhook events for tests, shaped as Stripe sends them for API version 2026-10-28.endive
 * (checked against stripe-mock's OpenAPI spec 2026-08-26.dahlia: every `required` property of each
 * object is present): subscription periods on the items, discounts as ids unless given expanded,
 * invoices with `parent.subscription_details` and `total_taxes` and without `payments` (webhooks
 * leave that includable list out), charges without their refunds. Sign them with
 * {@link signedDelivery} (stripe-node's `generateTestHeaderString`) and post them to the webhook
 * handler as a Function URL event with {@link functionUrlEvent}.
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
import type { DocumentClient } from '#shared/db/client.ts';
import { keys } from '#shared/db/keys.ts';

const API_VERSION = '2026-10-28.endive';
const ACCOUNT_PRODUCT = 'prod_plinth';

/** A random id with Stripe's prefix for the object type: `stripeId('sub')` → `sub_1Q…`. */
export function stripeId(prefix: string): string {
  return `${prefix}_1${randomBytes(12).toString('base64url').replace(/[-_]/g, 'x')}`;
}

/** Epoch seconds `offsetSeconds` after a fixed base, so tests order events without a clock. */
export const BASE_TIME = Math.floor(Date.UTC(2026, 2, 1, 12, 0, 0) / 1000);
export const DAY = 24 * 60 * 60;

/** A price as the webhook sees it inside a subscription item. */
export interface TestPrice {
  readonly id: string;
  readonly unitAmount: number;
  readonly interval: 'day' | 'week' | 'month' | 'year';
  readonly intervalCount?: number;
  readonly currency?: string;
}

export function priceObject(price: TestPrice) {
  return {
    id: price.id,
    object: 'price',
    active: true,
    billing_scheme: 'per_unit',
    created: BASE_TIME - 90 * DAY,
    currency: price.currency ?? 'usd',
    custom_unit_amount: null,
    livemode: false,
    lookup_key: null,
    metadata: {},
    nickname: null,
    product: ACCOUNT_PRODUCT,
    recurring: {
      interval: price.interval,
      interval_count: price.intervalCount ?? 1,
      meter: null,
      usage_type: 'licensed',
    },
    tax_behavior: 'exclusive',
    tiers_mode: null,
    transform_quantity: null,
    type: 'recurring',
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
    id: stripeId('coupon').slice(0, 20),
    object: 'coupon',
    amount_off: input.amountOff ?? null,
    created: BASE_TIME - 30 * DAY,
    currency: input.amountOff === undefined ? null : (input.currency ?? 'usd'),
    duration: input.duration ?? 'forever',
    duration_in_months: input.duration === 'repeating' ? 3 : null,
    livemode: false,
    max_redemptions: null,
    metadata: {},
    name: null,
    percent_off: input.percentOff ?? null,
    redeem_by: null,
    times_redeemed: 1,
    valid: true,
  };
}

/** An expanded discount (as with `expand[]=discounts.source.coupon`). */
export function discountObject(input: {
  readonly coupon: ReturnType<typeof couponObject>;
  readonly subscription?: string;
  readonly end?: number | null;
}) {
  return {
    id: stripeId('di'),
    object: 'discount',
    checkout_session: null,
    customer: null,
    end: input.end ?? null,
    invoice: null,
    invoice_item: null,
    promotion_code: null,
    source: { coupon: input.coupon, type: 'coupon' },
    start: BASE_TIME - DAY,
    subscription: input.subscription ?? null,
    subscription_item: null,
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
  const id = input.id ?? stripeId('sub');
  const start = input.created ?? BASE_TIME - DAY;
  const periodEnd =
    input.currentPeriodEnd ??
    start + (input.price.interval === 'year' ? 365 : 30) * DAY * (input.price.intervalCount ?? 1);
  const currency = input.price.currency ?? 'usd';
  const ended = input.status === 'canceled' || input.status === 'incomplete_expired';
  return {
    id,
    object: 'subscription',
    application: null,
    application_fee_percent: null,
    automatic_tax: { disabled_reason: null, enabled: false, liability: null },
    billing_cycle_anchor: start,
    billing_cycle_anchor_config: null,
    billing_mode: { flexible: null, type: 'classic' },
    billing_schedules: [],
    billing_thresholds: null,
    cancel_at: null,
    cancel_at_period_end: input.cancelAtPeriodEnd ?? false,
    canceled_at: ended ? periodEnd : null,
    cancellation_details: { comment: null, feedback: null, reason: ended ? 'cancellation_requested' : null },
    collection_method: 'charge_automatically',
    created: start,
    currency,
    customer: input.customer,
    customer_account: null,
    days_until_due: null,
    default_payment_method: stripeId('pm'),
    default_source: null,
    default_tax_rates: [],
    description: null,
    discounts: input.discounts ?? [],
    ended_at: ended ? periodEnd : null,
    invoice_settings: { account_tax_ids: null, issuer: { type: 'self' } },
    items: {
      object: 'list',
      data: [
        {
          id: stripeId('si'),
          object: 'subscription_item',
          billing_thresholds: null,
          created: start,
          current_period_end: periodEnd,
          current_period_start: start,
          discounts: [],
          metadata: {},
          price: priceObject(input.price),
          quantity: input.quantity ?? 1,
          subscription: id,
          tax_rates: [],
        },
      ],
      has_more: false,
      total_count: 1,
      url: `/v1/subscription_items?subscription=${id}`,
    },
    latest_invoice: stripeId('in'),
    livemode: false,
    metadata: input.tenantId ? { tenantId: input.tenantId } : {},
    next_pending_invoice_item_invoice: null,
    on_behalf_of: null,
    pause_collection: null,
    payment_settings: {
      payment_method_options: null,
      payment_method_types: null,
      save_default_payment_method: 'off',
    },
    pending_invoice_item_interval: null,
    pending_setup_intent: null,
    pending_update: null,
    schedule: null,
    start_date: start,
    status: input.status,
    test_clock: null,
    transfer_data: null,
    trial_end: input.trialEnd ?? null,
    trial_settings: { end_behavior: { missing_payment_method: 'create_invoice' } },
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
  const id = input.id ?? stripeId('in');
  const tax = input.tax ?? 0;
  const total = input.subtotal + tax;
  const paid = input.status === 'paid';
  const created = input.created ?? BASE_TIME;
  const currency = input.currency ?? 'usd';
  const number = `PLN-${randomBytes(3).toString('hex').toUpperCase()}-0001`;
  return {
    id,
    object: 'invoice',
    account_country: 'US',
    account_name: 'Plinth',
    account_tax_ids: null,
    amount_due: total,
    amount_overpaid: 0,
    amount_paid: paid ? total : 0,
    amount_paid_off_stripe: 0,
    amount_remaining: paid ? 0 : total,
    amount_shipping: 0,
    application: null,
    attempt_count: input.attemptCount ?? 1,
    attempted: true,
    auto_advance: !paid,
    automatic_tax: { disabled_reason: null, enabled: false, liability: null, provider: null, status: null },
    automatically_finalizes_at: null,
    billing_reason: input.billingReason ?? 'subscription_cycle',
    collection_method: 'charge_automatically',
    created,
    currency,
    custom_fields: null,
    customer: input.customer,
    customer_account: null,
    customer_address: null,
    customer_email: 'billing@example.com',
    customer_name: null,
    customer_phone: null,
    customer_shipping: null,
    customer_tax_exempt: 'none',
    customer_tax_ids: [],
    default_payment_method: null,
    default_source: null,
    default_tax_rates: [],
    description: null,
    discounts: [],
    due_date: null,
    effective_at: created,
    ending_balance: 0,
    footer: null,
    from_invoice: null,
    hosted_invoice_url: `https://invoice.stripe.com/i/acct_test/${id}`,
    invoice_pdf: `https://pay.stripe.com/invoice/acct_test/${id}/pdf`,
    issuer: { type: 'self' },
    last_finalization_error: null,
    latest_revision: null,
    lines: { object: 'list', data: [], has_more: false, total_count: 0, url: `/v1/invoices/${id}/lines` },
    livemode: false,
    metadata: {},
    next_payment_attempt: paid ? null : created + 3 * DAY,
    number,
    on_behalf_of: null,
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
    payment_settings: { default_mandate: null, payment_method_options: null, payment_method_types: null },
    ...(input.paidByCharge
      ? {
          payments: {
            object: 'list',
            data: [
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
            has_more: false,
            url: `/v1/invoice_payments?invoice=${id}`,
          },
        }
      : {}),
    period_end: created,
    period_start: created - 30 * DAY,
    post_payment_credit_notes_amount: 0,
    pre_payment_credit_notes_amount: 0,
    receipt_number: null,
    rendering: null,
    shipping_cost: null,
    shipping_details: null,
    starting_balance: 0,
    statement_descriptor: null,
    status: input.status,
    status_transitions: {
      finalized_at: input.status === 'draft' ? null : created,
      marked_uncollectible_at: null,
      paid_at: paid ? (input.paidAt ?? created) : null,
      voided_at: null,
    },
    subtotal: input.subtotal,
    subtotal_excluding_tax: input.subtotal,
    test_clock: null,
    total,
    total_discount_amounts: [],
    total_excluding_tax: input.subtotal,
    total_pretax_credit_amounts: [],
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
    id: input.id,
    object: 'charge',
    amount: input.amount,
    amount_captured: input.amount,
    amount_refunded: input.amountRefunded,
    application: null,
    application_fee: null,
    application_fee_amount: null,
    balance_transaction: stripeId('txn'),
    billing_details: { address: null, email: null, name: null, phone: null, tax_id: null },
    calculated_statement_descriptor: 'PLINTH',
    captured: true,
    created: input.created ?? BASE_TIME,
    currency: input.currency ?? 'usd',
    customer: input.customer,
    description: 'Subscription update',
    disputed: false,
    failure_balance_transaction: null,
    failure_code: null,
    failure_message: null,
    fraud_details: {},
    livemode: false,
    metadata: {},
    on_behalf_of: null,
    outcome: null,
    paid: true,
    payment_intent: stripeId('pi'),
    payment_method: stripeId('pm'),
    payment_method_details: null,
    receipt_email: null,
    receipt_number: null,
    receipt_url: null,
    refunded: input.amountRefunded >= input.amount,
    review: null,
    shipping: null,
    source_transfer: null,
    statement_descriptor: null,
    statement_descriptor_suffix: null,
    status: 'succeeded',
    transfer_data: null,
    transfer_group: null,
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
    id: input.id ?? stripeId('re'),
    object: 'refund',
    amount: input.amount,
    balance_transaction: stripeId('txn'),
    charge: input.charge,
    created: input.created ?? BASE_TIME,
    currency: input.currency ?? 'usd',
    customer: input.customer,
    description: null,
    destination_details: {
      card: { reference_status: 'pending', reference_type: 'acquirer_reference_number', type: 'refund' },
      type: 'card',
    },
    failure_balance_transaction: input.status === 'failed' ? stripeId('txn') : null,
    failure_reason: input.status === 'failed' ? 'lost_or_stolen_card' : null,
    metadata: input.metadata ?? {},
    payment_intent: stripeId('pi'),
    reason: input.reason ?? null,
    receipt_number: null,
    source_transfer_reversal: null,
    status: input.status,
    transfer_reversal: null,
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
    id: stripeId('cs_test'),
    object: 'checkout.session',
    adaptive_pricing: null,
    after_expiration: null,
    allow_promotion_codes: null,
    amount_subtotal: 2900,
    amount_total: 2900,
    automatic_tax: { enabled: false, liability: null, provider: null, status: null },
    billing_address_collection: null,
    cancel_url: 'https://app.plinth.test/billing?checkout=canceled',
    client_reference_id: input.tenantId,
    client_secret: null,
    collected_information: null,
    consent: null,
    consent_collection: null,
    created,
    currency: 'usd',
    custom_fields: [],
    custom_text: {
      after_submit: null,
      shipping_address: null,
      submit: null,
      terms_of_service_acceptance: null,
    },
    customer: input.customer,
    customer_creation: null,
    customer_details: {
      address: null,
      email: 'billing@example.com',
      name: null,
      phone: null,
      tax_exempt: 'none',
      tax_ids: [],
    },
    customer_email: null,
    discounts: [],
    expires_at: created + DAY,
    invoice: stripeId('in'),
    invoice_creation: null,
    livemode: false,
    locale: null,
    metadata: { tenantId: input.tenantId },
    mode: 'subscription',
    payment_intent: null,
    payment_link: null,
    payment_method_collection: 'always',
    payment_method_types: ['card'],
    payment_status: 'paid',
    recovered_from: null,
    setup_intent: null,
    shipping_address_collection: null,
    shipping_cost: null,
    shipping_options: [],
    status: 'complete',
    submit_type: null,
    subscription: input.subscription,
    success_url: 'https://app.plinth.test/billing?checkout=success',
    total_details: { amount_discount: 0, amount_shipping: 0, amount_tax: 0 },
    ui_mode: 'hosted',
    url: null,
  };
}

export function disputeObject(input: { readonly charge: string; readonly amount: number }) {
  return {
    id: stripeId('du'),
    object: 'dispute',
    amount: input.amount,
    balance_transactions: [],
    charge: input.charge,
    created: BASE_TIME,
    currency: 'usd',
    enhanced_eligibility_types: [],
    evidence: {},
    evidence_details: {
      due_by: BASE_TIME + 7 * DAY,
      has_evidence: false,
      past_due: false,
      submission_count: 0,
    },
    is_charge_refundable: false,
    livemode: false,
    metadata: {},
    payment_intent: stripeId('pi'),
    reason: 'fraudulent',
    status: 'needs_response',
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
  } = {},
) {
  return {
    id: options.id ?? stripeId('evt'),
    object: 'event',
    api_version: API_VERSION,
    created: options.created ?? BASE_TIME,
    data: {
      object,
      ...(options.previousAttributes ? { previous_attributes: options.previousAttributes } : {}),
    },
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
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
