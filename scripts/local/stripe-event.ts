/**
 * `npm run stripe:event -- <type> [--tenant <id>] [options]`: builds a Stripe webhook event as
 * Stripe would send it, signs it with the running stack's webhook secret and POSTs it to the local
 * webhook endpoint, so the checkout and failed-payment flows can be tried by hand against
 * `npm run dev`. The events come from the builders the webhook tests use
 * (test/support/stripe-events.ts).
 *
 * stripe-mock keeps no state, so this script remembers, per tenant, the customer and subscription
 * that `checkout.session.completed` made up (in `.plinth/stripe-events.json`, for the current run of
 * `npm run dev` only), and later events refer to them.
 *
 * Types:
 *   checkout.session.completed   a new customer and subscription for the tenant; sends the session
 *                                and then `customer.subscription.created` (active), as Stripe does
 *   customer.subscription.updated  [--status <status>] [--cancel-at-period-end] [--plan] [--interval]
 *   customer.subscription.deleted
 *   invoice.payment_failed       [--attempt <n>]  an open renewal invoice whose charge failed
 *   invoice.paid                 the renewal invoice, paid
 *   invoice.upcoming             the renewal that Stripe announces before charging
 * Options: --tenant <id> (default: the demo tenant), --plan team|business, --interval month|year,
 * --at <ISO> (the event's `created`: Stripe's time of the change, default now).
 *
 * `--at` replays a history: the webhook applies events by their `created` (an event older than what
 * the tenant's billing state holds changes nothing), and the movements consumer dates MRR movements
 * by it, so the metrics come out as if it had happened then. Send a tenant's events oldest first.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  type BillingInterval,
  type PaidPlanId,
  type PriceIds,
  paidPlanIdSchema,
  plans,
} from '../../shared/billing/plans.ts';
import { stripeSubscriptionStatuses } from '../../shared/billing/subscription-status.schema.ts';
import {
  checkoutSessionObject,
  invoiceObject,
  signedDelivery,
  stripeEvent,
  stripeId,
  subscriptionObject,
  type TestPrice,
  upcomingInvoiceObject,
} from '../../test/support/stripe-events.ts';
import { repoRoot } from '../emulators/paths.ts';
import { readLocalStackFile } from './env.ts';

/** Customer and subscription per tenant, made up by `checkout.session.completed`. */
const statePath = join(repoRoot, '.plinth', 'stripe-events.json');

const DAY = 24 * 60 * 60;
const eventTypes = [
  'checkout.session.completed',
  'customer.subscription.updated',
  'customer.subscription.deleted',
  'invoice.payment_failed',
  'invoice.paid',
  'invoice.upcoming',
] as const;
type EventType = (typeof eventTypes)[number];

const subscriptionStatuses = stripeSubscriptionStatuses;
type SubscriptionStatus = (typeof subscriptionStatuses)[number];

interface TenantSubscription {
  readonly customerId: string;
  readonly subscriptionId: string;
  readonly plan: PaidPlanId;
  readonly interval: BillingInterval;
  readonly periodStart: number;
  /** `created` of the last event sent, so each event is newer than the one before. */
  readonly lastCreated: number;
}

interface State {
  /** Which run of `npm run dev` the subscriptions belong to (each run starts with an empty table). */
  readonly run: string;
  readonly tenants: Record<string, TenantSubscription>;
}

/** The state of this run: a state file left by an earlier run is ignored. */
async function readState(run: string, path: string): Promise<State> {
  try {
    const state = JSON.parse(await readFile(path, 'utf8')) as State;
    if (state.run === run) return state;
  } catch {
    // No state yet.
  }
  return { run, tenants: {} };
}

async function writeState(state: State, path: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify(state, null, 2)}\n`);
}

/** A command line this script cannot run: the message and the usage go to stderr, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

function usage(message: string): never {
  throw new UsageError(`${message}

Usage: npm run stripe:event -- <type> [--tenant <id>] [--plan team|business] [--interval month|year]
                                      [--status <status>] [--cancel-at-period-end] [--attempt <n>]
                                      [--at <ISO time>]
Types: ${eventTypes.join(', ')}`);
}

/** The `created` (epoch seconds) of the next event: `--at`, or now but after the tenant's last. */
export function createdFor(at: string | undefined, now: number, lastCreated: number | undefined): number {
  if (at !== undefined) return Math.floor(Date.parse(at) / 1000);
  return Math.max(now, (lastCreated ?? 0) + 1);
}

function parseCli(args: readonly string[]) {
  const { values, positionals } = parseArgs({
    args: [...args],
    allowPositionals: true,
    options: {
      tenant: { type: 'string' },
      plan: { type: 'string' },
      interval: { type: 'string' },
      status: { type: 'string' },
      'cancel-at-period-end': { type: 'boolean', default: false },
      attempt: { type: 'string' },
      at: { type: 'string' },
    },
  });
  const type = positionals[0];
  if (!type || !(eventTypes as readonly string[]).includes(type))
    usage(`Unknown or missing event type: ${type ?? ''}`);
  const plan = values.plan === undefined ? undefined : paidPlanIdSchema().safeParse(values.plan).data;
  if (values.plan !== undefined && !plan) usage(`--plan must be team or business, got ${values.plan}`);
  const interval = values.interval;
  if (interval !== undefined && interval !== 'month' && interval !== 'year') {
    usage(`--interval must be month or year, got ${interval}`);
  }
  const status = values.status;
  if (status !== undefined && !(subscriptionStatuses as readonly string[]).includes(status)) {
    usage(`--status must be one of ${subscriptionStatuses.join(', ')}`);
  }
  const attempt = values.attempt === undefined ? 1 : Number(values.attempt);
  if (!Number.isInteger(attempt) || attempt < 1) usage(`--attempt must be a positive integer`);
  const at = values.at;
  if (at !== undefined && (!/^\d{4}-\d{2}-\d{2}T/.test(at) || Number.isNaN(Date.parse(at)))) {
    usage(`--at must be an ISO 8601 time (e.g. 2026-03-01T09:00:00Z), got ${at}`);
  }
  return {
    at,
    type: type as EventType,
    tenant: values.tenant,
    plan,
    interval: interval as BillingInterval | undefined,
    status: status as SubscriptionStatus | undefined,
    cancelAtPeriodEnd: values['cancel-at-period-end'] ?? false,
    attempt,
  };
}

/** Where the events go: the running stack's webhook endpoint, its signing secret and price ids. */
export interface StripeEventTarget {
  readonly webhookUrl: string;
  readonly stripe: { readonly webhookSecret: string; readonly priceIds: PriceIds };
  readonly demoTenantId?: string | undefined;
  /** @default .plinth/stripe-events.json */
  readonly statePath?: string;
}

/** What one event posted got back. */
export interface SentEvent {
  readonly type: string;
  readonly id: string;
  readonly created: number;
  readonly status: number;
  readonly body: string;
}

/**
 * Builds, signs and posts the event(s) one command line asks for (`args` as after `--`), and
 * returns what the endpoint answered.
 */
export async function sendStripeEvent(
  args: readonly string[],
  target: StripeEventTarget,
): Promise<SentEvent[]> {
  const cli = parseCli(args);
  const local = target;
  const path = target.statePath ?? statePath;
  const tenantId = cli.tenant ?? target.demoTenantId;
  if (!tenantId) usage('No tenant: pass --tenant <id> (the demo tenant was not created).');

  // Each run has its own signing secret, so its digest names the run.
  const run = createHash('sha256').update(local.stripe.webhookSecret).digest('hex').slice(0, 16);
  const state = await readState(run, path);
  const now = Math.floor(Date.now() / 1000);
  const previous = state.tenants[tenantId];
  const created = createdFor(cli.at, now, previous?.lastCreated);

  let subscription: TenantSubscription;
  if (cli.type === 'checkout.session.completed') {
    subscription = {
      customerId: stripeId('cus'),
      subscriptionId: stripeId('sub'),
      plan: cli.plan ?? 'team',
      interval: cli.interval ?? 'month',
      periodStart: created,
      lastCreated: created,
    };
  } else if (!previous) {
    usage(`Tenant ${tenantId} has no subscription yet: send checkout.session.completed first.`);
  } else {
    subscription = {
      ...previous,
      plan: cli.plan ?? previous.plan,
      interval: cli.interval ?? previous.interval,
      lastCreated: Math.max(created, previous.lastCreated),
    };
  }

  const amount = plans[subscription.plan].prices?.[subscription.interval] ?? 0;
  const price: TestPrice = {
    id: local.stripe.priceIds[subscription.plan][subscription.interval],
    unitAmount: amount,
    interval: subscription.interval,
  };
  const periodEnd = subscription.periodStart + (subscription.interval === 'year' ? 365 : 30) * DAY;
  const subscriptionWith = (status: SubscriptionStatus) =>
    subscriptionObject({
      id: subscription.subscriptionId,
      customer: subscription.customerId,
      tenantId,
      status,
      price,
      created: subscription.periodStart,
      currentPeriodEnd: periodEnd,
      cancelAtPeriodEnd: cli.cancelAtPeriodEnd,
    });
  const invoice = (status: 'open' | 'paid') =>
    invoiceObject({
      customer: subscription.customerId,
      subscription: subscription.subscriptionId,
      tenantId,
      status,
      subtotal: amount,
      created,
      paidAt: status === 'paid' ? created : null,
      attemptCount: cli.attempt,
    });

  const events: ReturnType<typeof stripeEvent>[] = [];
  switch (cli.type) {
    case 'checkout.session.completed':
      events.push(
        stripeEvent(
          'checkout.session.completed',
          checkoutSessionObject({
            customer: subscription.customerId,
            subscription: subscription.subscriptionId,
            tenantId,
            created,
          }),
          { created },
        ),
        stripeEvent('customer.subscription.created', subscriptionWith('active'), { created: created + 1 }),
      );
      subscription = { ...subscription, lastCreated: created + 1 };
      break;
    case 'customer.subscription.updated':
      events.push(stripeEvent(cli.type, subscriptionWith(cli.status ?? 'active'), { created }));
      break;
    case 'customer.subscription.deleted':
      events.push(stripeEvent(cli.type, subscriptionWith('canceled'), { created }));
      break;
    case 'invoice.payment_failed':
      events.push(stripeEvent(cli.type, invoice('open'), { created }));
      break;
    case 'invoice.paid':
      events.push(stripeEvent(cli.type, invoice('paid'), { created }));
      break;
    case 'invoice.upcoming':
      events.push(
        stripeEvent(
          cli.type,
          upcomingInvoiceObject({
            customer: subscription.customerId,
            subscription: subscription.subscriptionId,
            tenantId,
            subtotal: amount,
            created,
            nextPaymentAttempt: periodEnd,
          }),
          { created },
        ),
      );
      break;
  }

  await writeState({ run, tenants: { ...state.tenants, [tenantId]: subscription } }, path);
  const sent: SentEvent[] = [];
  for (const event of events) {
    const { body, signature } = signedDelivery(event, local.stripe.webhookSecret);
    const response = await fetch(local.webhookUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8', 'stripe-signature': signature },
      body,
    });
    sent.push({
      type: event.type,
      id: event.id,
      created: event.created,
      status: response.status,
      body: await response.text(),
    });
  }
  console.log(
    `tenant ${tenantId}: customer ${subscription.customerId}, subscription ${subscription.subscriptionId} (${subscription.plan}, ${subscription.interval})`,
  );
  return sent;
}

async function main(): Promise<void> {
  const local = await readLocalStackFile();
  if (!local.webhookUrl || !local.stripe) {
    throw new Error('The running stack has no webhook endpoint: restart `npm run dev`.');
  }
  const sent = await sendStripeEvent(process.argv.slice(2), {
    webhookUrl: local.webhookUrl,
    stripe: local.stripe,
    demoTenantId: local.demo?.tenantId,
  });
  for (const event of sent) {
    console.log(
      `${event.type} ${event.id} (created ${new Date(event.created * 1000).toISOString()}) → ${event.status} ${event.body}`,
    );
    if (event.status < 200 || event.status >= 300) process.exitCode = 1;
  }
}

if (import.meta.main) {
  await main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(error instanceof UsageError ? 2 : 1);
  });
}
