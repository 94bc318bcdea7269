/**
 * What each API route and Stripe webhook type costs, measured on the local stack and priced with
 * the cost model (scripts/bench/cost-model.ts). Run by `npm run bench` in a process of its own
 * (the handlers read their environment once per process); prints Markdown, asserts nothing.
 *
 * A fresh moto and stripe-mock, the resources from the shared definitions, the local API server
 * (JWT check, handlers in process) and the event runner (stream → publisher → bus → queues →
 * consumers). Each request is sent alone, then the runner drains everything it caused, so the
 * figures of a request include its asynchronous fan-out:
 * - DynamoDB read and write request units of every call in the process (API handler, publisher,
 *   consumers), estimated from item sizes by shared/db/capacity.ts: moto's own ConsumedCapacity is
 *   a fixed number per operation;
 * - Lambda invocations: the API function or webhook (one), the publisher (one per stream batch with
 *   outbox items; requests sent one at a time never share a batch, so this is the upper bound) and
 *   the consumers (one per queue batch);
 * - events put on the bus, and the messages the rules' queues carried.
 */

import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBRecord, DynamoDBStreamEvent, SQSEvent } from 'aws-lambda';
import { observeCapacity } from '../../shared/db/capacity.ts';
import { createDocumentClient } from '../../shared/db/client.ts';
import { keys } from '../../shared/db/keys.ts';
import {
  checkoutSessionObject,
  invoiceObject,
  signedDelivery,
  stripeEvent,
  stripeId,
  subscriptionObject,
  type TestPrice,
} from '../../test/support/stripe-events.ts';
import { ensureEmulators } from '../emulators/install.ts';
import { startMoto } from '../emulators/moto.ts';
import { startStripeMock } from '../emulators/stripe-mock.ts';
import { localClientConfig } from '../local/aws.ts';
import { createConfirmedUser, generatePassword, signIn } from '../local/cognito.ts';
import { handlerEnvironment } from '../local/env.ts';
import { createLocalResources } from '../local/resources.ts';
import {
  createEventRunner,
  loadConsumerHandler,
  loadPublisherHandler,
  type QueueConsumerModule,
  type StreamHandlerModule,
} from '../local/runner.ts';
import { localPriceIds, newWebhookSecret } from '../local/stripe.ts';
import {
  apiMix,
  type CostLines,
  costOf,
  fixedMonthly,
  lambdaAssumptions,
  lambdaMemoryMb,
  lineNames,
  type MeasuredRequest,
  mixCost,
  prices,
  sqsRequestsPerMessage,
  tenantMonth,
  tenantProfile,
  totalOf,
  webhookMix,
} from './cost-model.ts';

process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
const region = 'us-east-1';
await ensureEmulators(['moto', 'stripe-mock']);
const moto = await startMoto();
const stripeMock = await startStripeMock();
const cognito = new CognitoIdentityProviderClient(localClientConfig({ endpoint: moto.endpoint, region }));

/** Counters of everything a request causes; reset before each. */
const counts = {
  read: 0,
  write: 0,
  publisherInvocations: 0,
  consumerInvocations: 0,
  busEvents: 0,
  queueMessages: 0,
};
const reset = () => {
  for (const key of Object.keys(counts) as (keyof typeof counts)[]) counts[key] = 0;
};
const stopObserving = observeCapacity((use) => {
  counts.read += use.estimated.read;
  counts.write += use.estimated.write;
});

/** The stream records AWS would hand the publisher (its event source filter: outbox INSERTs). */
const isOutboxInsert = (record: DynamoDBRecord) =>
  record.eventName === 'INSERT' && record.dynamodb?.NewImage?.type?.S === 'outbox';

async function countingPublisher(): Promise<StreamHandlerModule> {
  const { handler } = await loadPublisherHandler();
  return {
    handler: async (event: DynamoDBStreamEvent, context) => {
      const outbox = event.Records.filter(isOutboxInsert).length;
      if (outbox > 0) {
        counts.publisherInvocations += 1;
        counts.busEvents += outbox;
      }
      return handler(event, context);
    },
  };
}

async function countingConsumer(name: string): Promise<QueueConsumerModule> {
  const { handler } = await loadConsumerHandler(name);
  return {
    handler: async (event: SQSEvent, context) => {
      counts.consumerInvocations += 1;
      counts.queueMessages += event.Records.length;
      return handler(event, context);
    },
  };
}

const measured: MeasuredRequest[] = [];
const statuses: string[] = [];

try {
  const resources = await createLocalResources({ endpoint: moto.endpoint, region, stage: 'bench-costs' });
  const webhookSecret = newWebhookSecret();
  Object.assign(
    process.env,
    handlerEnvironment(resources, 'http://127.0.0.1', { apiUrl: stripeMock.endpoint, webhookSecret }),
  );
  const { startLocalServer } = await import('../local/server.ts');
  const server = await startLocalServer({
    region,
    userPoolId: resources.userPoolId,
    clientId: resources.clientId,
    cognitoEndpoint: moto.endpoint,
  });
  const runner = createEventRunner({
    endpoint: moto.endpoint,
    region,
    tableStreamArn: resources.tableStreamArn,
    rules: resources.rules,
    loadPublisher: countingPublisher,
    loadConsumer: countingConsumer,
  });
  try {
    const user = { email: 'bench-costs@plinth.local', password: generatePassword() };
    await createConfirmedUser(cognito, resources, user);
    const { accessToken } = await signIn(cognito, resources, user);
    // `If-Match: *`: project changes need a precondition (428 without); other routes ignore it.
    const headers = {
      authorization: `Bearer ${accessToken}`,
      'content-type': 'application/json',
      'if-match': '*',
    };

    /** Sends one request, drains what it caused, and records the counts under `name`. */
    async function measure(
      name: string,
      kind: MeasuredRequest['kind'],
      send: () => Promise<Response>,
    ): Promise<unknown> {
      await runner.drain();
      reset();
      const response = await send();
      const text = await response.text();
      await runner.drain();
      measured.push({ name, kind, ...counts });
      statuses.push(`${name}: ${response.status}`);
      if (response.status >= 400)
        throw new Error(`${name} answered ${response.status}: ${text.slice(0, 300)}`);
      return text ? JSON.parse(text) : undefined;
    }
    const call = (method: string, template: string, path: string, body?: unknown) =>
      measure(`${method} ${template}`, 'api', () =>
        fetch(`${server.url}${path}`, {
          method,
          headers,
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        }),
      );
    const deliver = (name: string, event: object) => {
      const delivery = signedDelivery(event, webhookSecret);
      return measure(name, 'webhook', () =>
        fetch(`${server.url}/webhooks/stripe`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'stripe-signature': delivery.signature },
          body: delivery.body,
        }),
      );
    };

    // Warm every handler first (imports and connections are not what this measures).
    await fetch(`${server.url}/v1/plans`, { headers });
    const tenant = (await call('POST', '/v1/tenants', '/v1/tenants', { name: 'Costs', slug: 'costs' })) as {
      tenantId: string;
    };
    const t = `/v1/tenants/${tenant.tenantId}`;
    await call('GET', '/v1/me', '/v1/me');
    await call('GET', '/v1/tenants', '/v1/tenants');
    await call('GET', '/v1/tenants/{tenantId}', t);
    const project = (await call('POST', '/v1/tenants/{tenantId}/projects', `${t}/projects`, {
      name: 'First',
      slug: 'first',
    })) as { projectId: string };
    await call('POST', '/v1/tenants/{tenantId}/projects', `${t}/projects`, {
      name: 'Second',
      slug: 'second',
    });
    measured.pop(); // the second create only fills the list; the first one is the figure
    await call('GET', '/v1/tenants/{tenantId}/projects', `${t}/projects`);
    await call('GET', '/v1/tenants/{tenantId}/projects/{projectId}', `${t}/projects/${project.projectId}`);
    await call('PATCH', '/v1/tenants/{tenantId}/projects/{projectId}', `${t}/projects/${project.projectId}`, {
      description: 'Changed',
    });
    await call('GET', '/v1/tenants/{tenantId}/members', `${t}/members`);
    await call('POST', '/v1/tenants/{tenantId}/invitations', `${t}/invitations`, {
      email: 'invitee@plinth.local',
      role: 'member',
    });
    await call('GET', '/v1/tenants/{tenantId}/invitations', `${t}/invitations`);
    await call('GET', '/v1/plans', '/v1/plans');
    await call('GET', '/v1/tenants/{tenantId}/billing', `${t}/billing`);
    await call('GET', '/v1/tenants/{tenantId}/billing/invoices', `${t}/billing/invoices`);
    await call('POST', '/v1/tenants/{tenantId}/billing/checkout', `${t}/billing/checkout`, {
      plan: 'team',
      interval: 'month',
    });
    await call('DELETE', '/v1/tenants/{tenantId}/projects/{projectId}', `${t}/projects/${project.projectId}`);

    // Stripe's side: the subscription the checkout started, renewed, paid, and once failed.
    const db = createDocumentClient({ region, endpoint: moto.endpoint });
    const billing = await db.send(
      new GetCommand({ TableName: resources.tableName, Key: keys.billing(tenant.tenantId) }),
    );
    const customer = billing.Item?.customerId as string;
    const subscription = stripeId('sub');
    const team: TestPrice = { id: localPriceIds.team.month, unitAmount: 2900, interval: 'month' };
    let clock = Math.floor(Date.now() / 1000);
    const next = () => ++clock;
    const sub = (status: 'active' | 'past_due') =>
      subscriptionObject({
        id: subscription,
        customer,
        tenantId: tenant.tenantId,
        status,
        price: team,
        created: clock - 60,
      });
    await deliver(
      'webhook checkout.session.completed',
      stripeEvent(
        'checkout.session.completed',
        checkoutSessionObject({ customer, subscription, tenantId: tenant.tenantId, created: next() }),
        { created: clock },
      ),
    );
    await deliver(
      'webhook customer.subscription.created',
      stripeEvent('customer.subscription.created', sub('active'), { created: next() }),
    );
    const updated = stripeEvent('customer.subscription.updated', sub('active'), { created: next() });
    await deliver('webhook customer.subscription.updated', updated);
    await deliver('webhook duplicate delivery', updated);
    await deliver(
      'webhook invoice.payment_failed',
      stripeEvent(
        'invoice.payment_failed',
        invoiceObject({
          customer,
          subscription,
          tenantId: tenant.tenantId,
          status: 'open',
          subtotal: 2900,
          attemptCount: 1,
          created: next(),
        }),
        { created: clock },
      ),
    );
    await deliver(
      'webhook invoice.paid',
      stripeEvent(
        'invoice.paid',
        invoiceObject({
          customer,
          subscription,
          tenantId: tenant.tenantId,
          status: 'paid',
          subtotal: 2900,
          attemptCount: 2,
          created: next(),
          paidAt: clock,
          paidByCharge: stripeId('ch'),
        }),
        { created: clock },
      ),
    );
    // The audit log is a Team feature: read once the subscription above made the tenant Team.
    await call('GET', '/v1/tenants/{tenantId}/audit-log', `${t}/audit-log`);
  } finally {
    await runner.stop();
    await server.close();
  }
} finally {
  stopObserving();
  cognito.destroy();
  await stripeMock.stop();
  await moto.stop();
}

const usd = (value: number, digits = 2) => `$${value.toFixed(digits)}`;
const perMillion = (lines: CostLines) => usd(totalOf(lines) * 1_000_000);
const units = (value: number) => (Number.isInteger(value) ? String(value) : value.toFixed(1));

console.log(`\n## Cost per request, from measured counts\n`);
console.log(
  'Each request sent alone to the local stack, then everything it caused drained (stream → publisher → bus → queues → consumers). ' +
    'Request units are estimated from item sizes as DynamoDB bills on-demand requests (shared/db/capacity.ts; moto reports fixed ' +
    'numbers per operation). Invocations: the function itself + the publisher + consumers. Cost at the list prices of the cost model ' +
    `(scripts/bench/cost-model.ts), Lambda at ${lambdaMemoryMb} MB arm64 with assumed durations.\n`,
);
console.log(
  '| request | read units | write units | invocations | bus events | queue messages | $ per million |',
);
console.log('|---|---:|---:|---:|---:|---:|---:|');
for (const m of measured) {
  console.log(
    `| ${m.name} | ${units(m.read)} | ${units(m.write)} | ${1 + m.publisherInvocations + m.consumerInvocations} | ${m.busEvents} | ${m.queueMessages} | ${perMillion(costOf(m))} |`,
  );
}

const apiLines = mixCost(measured, apiMix);
const webhookLines = mixCost(measured, webhookMix);
console.log(`\n### A million requests of the typical mix\n`);
console.log(
  `API mix (per 100 requests): ${Object.entries(apiMix)
    .map(([name, weight]) => `${weight} × ${name}`)
    .join(', ')}.\n`,
);
console.log('| line | API mix, $ per million | webhook mix, $ per million |');
console.log('|---|---:|---:|');
for (const key of Object.keys(lineNames) as (keyof CostLines)[]) {
  console.log(`| ${lineNames[key]} | ${usd(apiLines[key] * 1e6)} | ${usd(webhookLines[key] * 1e6)} |`);
}
console.log(`| **total** | **${perMillion(apiLines)}** | **${perMillion(webhookLines)}** |`);

console.log(`\n### Per tenant-month\n`);
console.log(
  `Profile: ${tenantProfile.apiRequests.toLocaleString('en-US')} API requests a tenant-month in the mix above; ` +
    `${tenantProfile.payingShare * 100}% of tenants pay and cause ${tenantProfile.webhooksPerPayingTenant} webhook deliveries a month; ` +
    `${tenantProfile.storageMb} MB of table data a tenant; fixed ${usd(fixedMonthly.cloudwatch + fixedMonthly.sqsIdlePolling)} a month ` +
    `(alarms, dashboard, idle queue polling) shared out. Lambda: ${lambdaAssumptions.apiMs} ms an API invocation, ` +
    `${lambdaAssumptions.coldStartShare * 100}% cold starts at ${lambdaAssumptions.coldInitMs} ms billed init; ` +
    `SQS: ${sqsRequestsPerMessage} requests a message. Prices: DynamoDB ${usd(prices.dynamodbReadPerMillion, 3)}/${usd(prices.dynamodbWritePerMillion, 3)} ` +
    `per million read/write units, HTTP API ${usd(prices.httpApiPerMillion)} and EventBridge ${usd(prices.eventBridgePerMillion)} per million.\n`,
);
console.log(
  '| tenants | $ per tenant-month | of which HTTP API | Lambda | DynamoDB (r/w/storage) | EventBridge + SQS | fixed | dominant line | $ a month in all |',
);
console.log('|---:|---:|---:|---:|---:|---:|---:|---|---:|');
for (const tenants of [100, 10_000, 1_000_000]) {
  const month = tenantMonth(measured, tenants);
  const l = month.lines;
  console.log(
    `| ${tenants.toLocaleString('en-US')} | ${usd(month.total, 4)} | ${usd(l.httpApi, 4)} | ${usd(l.lambda, 4)} | ` +
      `${usd(l.dynamodbRead + l.dynamodbWrite + l.storage, 4)} (${usd(l.dynamodbRead, 4)}/${usd(l.dynamodbWrite, 4)}/${usd(l.storage, 4)}) | ` +
      `${usd(l.eventBridge + l.sqs, 4)} | ${usd(l.fixed, 4)} | ${month.dominant} | ${usd(month.total * tenants, 0)} |`,
  );
}
console.log(`\nAnswers: ${statuses.join('; ')}.`);
