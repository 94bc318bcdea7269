/**
 * `npm run demo:history [-- --tenants <n>] [--seed <n>]` (or `npm run dev -- --demo-history`): seeds a year of plausible subscription
 * history for a few dozen demo tenants into the running `npm run dev` stack, through the real path:
 * signed Stripe webhook events (dated in the past by their `created`) posted to the local webhook
 * endpoint, carried by the event runner to the movements consumer; then it runs the metrics-rollup
 * and metrics-reconcile schedules through the dev process's control endpoint, so the admin metrics
 * show something at once (see the README's Analytics section for the curl).
 *
 * The history is generated from a seed (the same seed gives the same plans, dates and changes):
 * tenants start over the year, on Team or Business, monthly or annual, some on a 14-day trial first;
 * each month a paying tenant may upgrade, downgrade or cancel, and a canceled one may come back.
 * Demo tenants are billing customers only (no tenant record, no members): the metrics need no more.
 */
import { parseArgs } from 'node:util';
import { type PaidPlanId, type PriceIds, plans } from '../../shared/billing/plans.ts';
import { newId } from '../../shared/ids.ts';
import {
  checkoutSessionObject,
  signedDelivery,
  stripeEvent,
  stripeId,
  subscriptionObject,
  type TestPrice,
} from '../../test/support/stripe-events.ts';
import { runScheduleAt } from './control.ts';
import { type LocalStackFile, readLocalStackFile } from './env.ts';

const DAY = 24 * 60 * 60;
const TRIAL_DAYS = 14;

/** A small seeded PRNG (mulberry32): the history is reproducible. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

type Interval = 'month' | 'year';
type Status = 'active' | 'trialing' | 'canceled';

/** One webhook event of the history, before it is built and signed. */
export interface HistoryStep {
  readonly tenantId: string;
  readonly customer: string;
  readonly subscription: string;
  readonly kind: 'checkout' | 'updated' | 'deleted';
  readonly plan: PaidPlanId;
  readonly interval: Interval;
  readonly status: Status;
  /** Epoch seconds: when it happened at Stripe. */
  readonly created: number;
  /** When the subscription started (its period anchor). */
  readonly startedAt: number;
}

export interface HistoryOptions {
  readonly tenants: number;
  /** The end of the history (epoch seconds); it covers the year before. */
  readonly now: number;
  readonly seed: number;
}

/** The history's events, oldest first. Pure: the same options give the same steps (ids aside). */
export function demoHistory(options: HistoryOptions): HistoryStep[] {
  const rand = random(options.seed);
  const pick = <T>(values: readonly T[]): T => values[Math.floor(rand() * values.length)] as T;
  const yearAgo = options.now - 365 * DAY;
  const steps: HistoryStep[] = [];
  for (let i = 0; i < options.tenants; i++) {
    const tenantId = newId();
    const customer = stripeId('cus');
    let subscription = stripeId('sub');
    let plan: PaidPlanId = rand() < 0.7 ? 'team' : 'business';
    const interval: Interval = rand() < 0.8 ? 'month' : 'year';
    // Start within the year, at a time of day that varies.
    let at = yearAgo + Math.floor(rand() * 330) * DAY + Math.floor(rand() * 20 * 3600) + 3600;
    let startedAt = at;
    // One step of this tenant's history, with its subscription, plan and time as they are now.
    const record = (kind: HistoryStep['kind'], status: HistoryStep['status']) =>
      steps.push({ tenantId, customer, interval, subscription, kind, plan, status, created: at, startedAt });
    if (rand() < 0.25) {
      record('checkout', 'trialing');
      at += TRIAL_DAYS * DAY;
      if (rand() < 0.3) {
        // The trial ends without a payment: canceled.
        record('deleted', 'canceled');
        continue;
      }
      record('updated', 'active');
    } else {
      record('checkout', 'active');
    }
    let paying = true;
    for (
      at += (20 + Math.floor(rand() * 20)) * DAY;
      at < options.now;
      at += (25 + Math.floor(rand() * 15)) * DAY
    ) {
      const roll = rand();
      if (paying) {
        if (roll < 0.08 && plan === 'team') {
          plan = 'business';
          record('updated', 'active');
        } else if (roll < 0.13 && plan === 'business') {
          plan = 'team';
          record('updated', 'active');
        } else if (roll < 0.2) {
          paying = false;
          record('deleted', 'canceled');
        }
      } else if (roll < 0.2) {
        paying = true;
        subscription = stripeId('sub');
        startedAt = at;
        plan = pick(['team', 'business'] as const);
        record('checkout', 'active');
      }
    }
  }
  return steps.sort((a, b) => a.created - b.created);
}

/** The Stripe events of one step (checkout: the session, then the subscription's creation). */
function eventsOf(step: HistoryStep, priceIds: PriceIds) {
  const unitAmount = plans[step.plan].prices?.[step.interval] ?? 0;
  const price: TestPrice = { id: priceIds[step.plan][step.interval], unitAmount, interval: step.interval };
  const object = subscriptionObject({
    id: step.subscription,
    customer: step.customer,
    tenantId: step.tenantId,
    status: step.status,
    price,
    created: step.startedAt,
    trialEnd: step.status === 'trialing' ? step.startedAt + TRIAL_DAYS * DAY : null,
  });
  switch (step.kind) {
    case 'checkout':
      return [
        stripeEvent(
          'checkout.session.completed',
          checkoutSessionObject({
            customer: step.customer,
            subscription: step.subscription,
            tenantId: step.tenantId,
            created: step.created,
          }),
          { created: step.created },
        ),
        stripeEvent('customer.subscription.created', object, { created: step.created + 1 }),
      ];
    case 'updated':
      return [stripeEvent('customer.subscription.updated', object, { created: step.created })];
    case 'deleted':
      return [stripeEvent('customer.subscription.deleted', object, { created: step.created })];
  }
}

export interface WebhookTarget {
  readonly webhookUrl: string;
  readonly webhookSecret: string;
  readonly priceIds: PriceIds;
}

/** How many webhooks are posted at once: each tenant's events still go one after the other. */
const PARALLEL_TENANTS = 4;

/**
 * Posts the history's events, signed, to the webhook endpoint: tenants a few at a time, each
 * tenant's events in order. Throws on the first event the endpoint does not accept.
 */
export async function postHistory(
  steps: readonly HistoryStep[],
  target: WebhookTarget,
): Promise<{ tenants: number; events: number }> {
  const byTenant = new Map<string, HistoryStep[]>();
  for (const step of steps) byTenant.set(step.tenantId, [...(byTenant.get(step.tenantId) ?? []), step]);
  const queues = [...byTenant.values()];
  let events = 0;
  const worker = async () => {
    for (let queue = queues.shift(); queue; queue = queues.shift()) {
      for (const step of queue) {
        for (const event of eventsOf(step, target.priceIds)) {
          const { body, signature } = signedDelivery(event, target.webhookSecret);
          const response = await fetch(target.webhookUrl, {
            method: 'POST',
            headers: { 'content-type': 'application/json; charset=utf-8', 'stripe-signature': signature },
            body,
          });
          if (!response.ok) {
            throw new Error(`${event.type} ${event.id} → ${response.status} ${await response.text()}`);
          }
          events += 1;
        }
      }
    }
  };
  await Promise.all(Array.from({ length: PARALLEL_TENANTS }, worker));
  return { tenants: byTenant.size, events };
}

/** The default size: a few dozen tenants (about 30 s on a busy 2-core machine). */
export const DEMO_TENANTS = 36;

/**
 * Seeds the history into the running stack `local` describes, then rolls it up and reconciles it
 * (the dev process's control endpoint runs the schedules after draining the event path): what
 * `npm run demo:history` and `npm run dev -- --demo-history` do.
 */
export async function runDemoHistory(
  local: LocalStackFile,
  options: { readonly tenants?: number; readonly seed?: number } = {},
): Promise<void> {
  const tenants = options.tenants ?? DEMO_TENANTS;
  const seed = options.seed ?? 7;
  if (!local.webhookUrl || !local.stripe || !local.controlUrl) {
    throw new Error('The running stack has no webhook or control endpoint: restart `npm run dev`.');
  }
  const started = Date.now();
  const now = Math.floor(started / 1000);
  const steps = demoHistory({ tenants, now, seed });
  const posted = await postHistory(steps, {
    webhookUrl: local.webhookUrl,
    webhookSecret: local.stripe.webhookSecret,
    priceIds: local.stripe.priceIds,
  });
  console.log(`posted ${posted.events} webhook events for ${posted.tenants} demo tenants`);
  // Through today: the schedule rolls up through the day before its time.
  const tomorrow = new Date((now + DAY) * 1000).toISOString().slice(0, 10);
  await runScheduleAt(local.controlUrl, 'metrics-rollup', `${tomorrow}T00:05:00Z`);
  await runScheduleAt(local.controlUrl, 'metrics-reconcile', `${tomorrow}T00:10:00Z`);
  const today = new Date(started).toISOString().slice(0, 10);
  console.log(`rolled up and reconciled through ${today} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      tenants: { type: 'string', default: String(DEMO_TENANTS) },
      seed: { type: 'string', default: '7' },
    },
  });
  const tenants = Number(values.tenants);
  const seed = Number(values.seed);
  if (!Number.isInteger(tenants) || tenants < 1 || tenants > 500) {
    throw new Error('--tenants must be 1 to 500');
  }
  if (!Number.isInteger(seed)) throw new Error('--seed must be an integer');
  await runDemoHistory(await readLocalStackFile(), { tenants, seed });
}

if (import.meta.main) {
  await main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
