/**
 * Webhook throughput and latency on the local stack, run by `npm run bench` in a process of its own
 * (the handlers read their environment once per process). A burst of distinct signed events, then a
 * burst of one event delivered again and again, each sent `--concurrency` at a time to the local
 * server's `POST /webhooks/stripe` (loopback only). Prints Markdown; asserts nothing.
 */
import { parseArgs } from 'node:util';
import {
  invoiceObject,
  signedDelivery,
  stripeEvent,
  stripeId,
  subscriptionObject,
} from '../../test/support/stripe-events.ts';
import { ensureEmulators } from '../emulators/install.ts';
import { startMoto } from '../emulators/moto.ts';
import { handlerEnvironment } from '../local/env.ts';
import { createLocalResources } from '../local/resources.ts';
import { localPriceIds, newWebhookSecret } from '../local/stripe.ts';
import { ms, percentile } from './stats.ts';

const { values: flags } = parseArgs({
  options: { events: { type: 'string', default: '200' }, concurrency: { type: 'string', default: '10' } },
});
const total = Number(flags.events);
const concurrency = Number(flags.concurrency);
if (!Number.isInteger(total) || total < 1 || !Number.isInteger(concurrency) || concurrency < 1) {
  throw new Error('--events and --concurrency must be positive integers');
}

process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
const region = 'us-east-1';
await ensureEmulators(['moto']);
const moto = await startMoto();
const webhookSecret = newWebhookSecret();

interface BurstReport {
  readonly name: string;
  readonly deliveries: number;
  readonly seconds: number;
  readonly p50: number;
  readonly p99: number;
  readonly statuses: string;
}

/** Sends every body, `concurrency` at a time, and times each delivery. */
async function burst(
  url: string,
  name: string,
  deliveries: { body: string; signature: string }[],
): Promise<BurstReport> {
  const samples: number[] = [];
  const statuses = new Map<number, number>();
  let nextIndex = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (nextIndex < deliveries.length) {
        const delivery = deliveries[nextIndex++] as { body: string; signature: string };
        const sent = performance.now();
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'stripe-signature': delivery.signature },
          body: delivery.body,
        });
        await response.arrayBuffer();
        samples.push(performance.now() - sent);
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return {
    name,
    deliveries: deliveries.length,
    seconds,
    p50: percentile(samples, 50),
    p99: percentile(samples, 99),
    statuses: [...statuses].map(([status, count]) => `${count} × ${status}`).join(', '),
  };
}

try {
  const resources = await createLocalResources({ endpoint: moto.endpoint, region, stage: 'bench-webhooks' });
  Object.assign(
    process.env,
    handlerEnvironment(resources, 'http://127.0.0.1', { apiUrl: 'http://127.0.0.1:9', webhookSecret }),
  );
  const { startLocalServer } = await import('../local/server.ts');
  const server = await startLocalServer({
    region,
    userPoolId: resources.userPoolId,
    clientId: resources.clientId,
    cognitoEndpoint: moto.endpoint,
  });
  try {
    const url = `${server.url}/webhooks/stripe`;
    // One tenant per subscription: invoices of distinct tenants, as a busy Stripe account sends them.
    const now = Math.floor(Date.now() / 1000);
    const distinct = Array.from({ length: total }, (_, i) => {
      const customer = stripeId('cus');
      const subscription = subscriptionObject({
        customer,
        tenantId: `bench${String(i).padStart(21, '0')}`,
        status: 'active',
        price: { id: localPriceIds.team.month, unitAmount: 2900, interval: 'month' },
      });
      const event = stripeEvent('customer.subscription.updated', subscription, { created: now + i });
      return signedDelivery(event, webhookSecret);
    });
    const duplicate = signedDelivery(
      stripeEvent(
        'invoice.paid',
        invoiceObject({
          customer: stripeId('cus'),
          subscription: null,
          status: 'paid',
          subtotal: 2900,
          created: now,
        }),
      ),
      webhookSecret,
    );
    const reports = [
      await burst(url, 'distinct events', distinct),
      await burst(url, 'one event, delivered again and again', Array(total).fill(duplicate)),
    ];
    console.log(`\n## Stripe webhooks on the local stack\n`);
    console.log(
      `${total} signed deliveries per burst, ${concurrency} in flight; loopback: local server → webhook handler in process → moto ` +
        '(which applies DynamoDB requests one at a time, so this is a lower bound for the handler, not a Lambda figure).\n',
    );
    console.log('| burst | deliveries | throughput | p50 | p99 | answers |');
    console.log('|---|---:|---:|---:|---:|---|');
    for (const r of reports) {
      console.log(
        `| ${r.name} | ${r.deliveries} | ${(r.deliveries / r.seconds).toFixed(0)} /s | ${ms(r.p50)} | ${ms(r.p99)} | ${r.statuses} |`,
      );
    }
  } finally {
    await server.close();
  }
} finally {
  await moto.stop();
}
