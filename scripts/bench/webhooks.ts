/**
 * Webhook throughput and latency on the local stack, run by `npm run bench` in a process of its own
 * (the handlers read their environment once per process). A burst of distinct signed events, then a
 * burst of one event delivered again and again, each sent `--concurrency` at a time to the local
 * server's `POST /webhooks/stripe` (loopback only). Prints Markdown; asserts nothing.
 */
import { parseArgs } from 'node:util';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../../shared/db/client.ts';
import { keys } from '../../shared/db/keys.ts';
import { newId } from '../../shared/ids.ts';
import {
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
  options: { events: { type: 'string', default: '100' }, concurrency: { type: 'string', default: '10' } },
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
  const statuses = new Map<string, number>();
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
        const reply = (await response.json().catch(() => ({}))) as { outcome?: string };
        samples.push(performance.now() - sent);
        const answer = `${response.status} ${reply.outcome ?? ''}`.trim();
        statuses.set(answer, (statuses.get(answer) ?? 0) + 1);
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
    // One tenant per subscription, as a busy Stripe account sends them; the tenants exist, so each
    // event is applied (state, outbox event and event id in one transaction), not skipped.
    const now = Math.floor(Date.now() / 1000);
    const tenantIds = Array.from({ length: total }, () => newId());
    const db = createDocumentClient({ region, endpoint: moto.endpoint });
    for (const tenantId of tenantIds) {
      await db.send(
        new PutCommand({
          TableName: resources.tableName,
          Item: { ...keys.tenant(tenantId), type: 'tenant', tenantId },
        }),
      );
    }
    const distinct = tenantIds.map((tenantId, i) => {
      const customer = stripeId('cus');
      const subscription = subscriptionObject({
        customer,
        tenantId,
        status: 'active',
        price: { id: localPriceIds.team.month, unitAmount: 2900, interval: 'month' },
      });
      const event = stripeEvent('customer.subscription.updated', subscription, { created: now + i });
      return signedDelivery(event, webhookSecret);
    });
    // The first delivery is applied, every other one is recognised by its event id.
    const duplicate = signedDelivery(
      stripeEvent(
        'customer.subscription.updated',
        subscriptionObject({
          customer: stripeId('cus'),
          tenantId: tenantIds[0],
          status: 'active',
          price: { id: localPriceIds.business.month, unitAmount: 9900, interval: 'month' },
        }),
        { created: now + total },
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
        '(our launcher applies DynamoDB requests one at a time, and moto copies the whole table, stream included, for every ' +
        'transaction, so an applied event costs more the more the table holds: these figures measure the emulator as much ' +
        'as the handler and are no Lambda figure; compare runs, not absolutes). "applied" wrote state, outbox event and ' +
        'event id in one transaction; "duplicate" found the event id and changed nothing.\n',
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
