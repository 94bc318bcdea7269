import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { subscriptionSchema } from '#shared/billing/webhooks/stripe-objects.ts';
import type { StripeLookups, WebhookLog } from '#shared/billing/webhooks/webhook.deps.ts';
import { createStripeWebhook } from '#shared/billing/webhooks/webhook.service.ts';
import { keys } from '#shared/db/keys.ts';
import { newId, systemClock } from '#shared/ids.ts';
import { LOCAL_OPS_EMAIL } from '../../scripts/local/env.ts';
import { localPriceIds } from '../../scripts/local/stripe.ts';
import {
  api,
  createTestStack,
  type LocalServer,
  readSentEmails,
  signUpUser,
  startTestServer,
  type TestStack,
  type TestUser,
} from '../support/harness.ts';
import { startTestRunner, type TestRunner } from '../support/runner.ts';
import {
  BASE_TIME,
  DAY,
  disputeObject,
  outboxEventsOf,
  readStoredItem,
  type SubscriptionInput,
  signedDelivery,
  stripeEvent,
  stripeId,
  subscriptionObject,
} from '../support/stripe-events.ts';

/**
 * The webhook use case against moto with a fake of its Stripe lookups (stripe-lookups.ts is the
 * seam): stripe-mock answers every subscription with one fixed object whose price this stage does
 * not sell, so the paths that ask Stripe for an object's present state (same-second events, a
 * duplicate taking over, the owner of a disputed charge) are driven from here.
 */

let stack: TestStack;
let server: LocalServer;
let owner: TestUser;
let runner: TestRunner;

beforeAll(async () => {
  stack = await createTestStack();
  server = await startTestServer(stack);
  runner = await startTestRunner(stack);
  owner = await signUpUser(stack);
});
afterAll(async () => {
  await runner.stop();
  await server.close();
});

const teamMonth = { id: localPriceIds.team.month, unitAmount: 2900, interval: 'month' as const };
const businessYear = { id: localPriceIds.business.year, unitAmount: 99_000, interval: 'year' as const };

/** A fake of the webhook's Stripe reads: subscriptions and charge owners as the test sets them. */
function fakeLookups() {
  const subscriptions = new Map<string, ReturnType<typeof subscriptionObject>>();
  const chargeOwners = new Map<string, string | null>();
  const calls: string[] = [];
  const lookups: StripeLookups = {
    async invoiceChargeIds() {
      return [];
    },
    async subscriptionDiscounts() {
      return [];
    },
    async currentSubscription(id) {
      calls.push(`currentSubscription ${id}`);
      const found = subscriptions.get(id);
      if (!found) throw new Error(`no such subscription: ${id}`);
      return subscriptionSchema().parse(found);
    },
    async chargeOwner(id) {
      calls.push(`chargeOwner ${id}`);
      return { customerId: chargeOwners.get(id) ?? null, metadata: {} };
    },
  };
  return { lookups, subscriptions, chargeOwners, calls };
}

function recordingLog() {
  const errors: { message: string; details: Record<string, unknown> }[] = [];
  const log: WebhookLog = {
    info: () => undefined,
    warn: () => undefined,
    error: (message, ...extra) => errors.push({ message, details: Object.assign({}, ...extra) }),
  };
  return { log, errors };
}

function webhookWith(fake: ReturnType<typeof fakeLookups>) {
  const { log, errors } = recordingLog();
  const counted: string[] = [];
  const webhook = createStripeWebhook({
    db: { client: stack.db, tableName: stack.tableName },
    priceIds: localPriceIds,
    graceDays: 7,
    clock: systemClock,
    newId: () => newId(),
    stripe: fake.lookups,
    log,
    metrics: { addMetric: (name) => counted.push(name) },
    secret: stack.stripeWebhookSecret,
  });
  const send = (event: object) => {
    const { body, signature } = signedDelivery(event, stack.stripeWebhookSecret);
    return webhook.receive({ rawBody: Buffer.from(body), signature });
  };
  return { send, errors, counted };
}

/** A tenant of `owner` (through the API) whose Stripe customer is mapped. */
async function customerOfNewTenant(): Promise<{ tenantId: string; customer: string }> {
  const slug = `wh-${newId().slice(-10).toLowerCase()}`;
  const created = await api(server, owner.accessToken).post('/v1/tenants', { name: 'Webhook Co', slug });
  expect(created.status).toBe(201);
  const tenantId = created.body.tenantId as string;
  const customer = stripeId('cus');
  await stack.db.send(
    new PutCommand({
      TableName: stack.tableName,
      Item: { ...keys.stripeCustomer(customer), type: 'stripe-customer', customerId: customer, tenantId },
    }),
  );
  return { tenantId, customer };
}

const billingOf = (tenantId: string) => readStoredItem(stack.db, stack.tableName, keys.billing(tenantId));
const outboxTypes = async (tenantId: string) =>
  (await outboxEventsOf(stack.db, stack.tableName, tenantId)).map((e) => e.detailType);
const subscription = (
  customer: string,
  input: Omit<SubscriptionInput, 'customer' | 'price'> & Partial<SubscriptionInput>,
) => subscriptionObject({ price: teamMonth, ...input, customer });

describe('two subscription events in the same second', () => {
  it('does not move the tenant back to incomplete when .created arrives after .updated (active)', async () => {
    const fake = fakeLookups();
    const { send } = webhookWith(fake);
    const { tenantId, customer } = await customerOfNewTenant();
    const active = subscription(customer, { status: 'active' });
    fake.subscriptions.set(active.id, active);

    await send(stripeEvent('customer.subscription.updated', active, { created: BASE_TIME }));
    const incomplete = { ...active, status: 'incomplete' };
    const late = stripeEvent('customer.subscription.created', incomplete, { created: BASE_TIME });
    expect((await send(late)).outcome).toBe('applied');

    expect(await billingOf(tenantId)).toMatchObject({ status: 'active', plan: 'team' });
    expect(fake.calls).toEqual([`currentSubscription ${active.id}`]);
  });

  it('applies what Stripe says now, dated by the event that caused the re-fetch', async () => {
    const fake = fakeLookups();
    const { send } = webhookWith(fake);
    const { tenantId, customer } = await customerOfNewTenant();
    const active = subscription(customer, { status: 'active' });
    await send(stripeEvent('customer.subscription.created', active, { created: BASE_TIME }));
    // By the time the second event is processed, the subscription has moved on at Stripe.
    fake.subscriptions.set(active.id, { ...active, status: 'past_due' });

    const sameSecond = stripeEvent(
      'customer.subscription.updated',
      { ...active, cancel_at_period_end: true },
      {
        created: BASE_TIME,
      },
    );
    await send(sameSecond);

    expect(await billingOf(tenantId)).toMatchObject({
      status: 'past_due',
      cancelAtPeriodEnd: false,
      stripeUpdatedAt: BASE_TIME,
      pastDueSince: new Date(BASE_TIME * 1000).toISOString(),
    });
    expect(await outboxTypes(tenantId)).toEqual(['Subscription Started v1', 'Subscription Past Due v1']);
  });

  it('asks Stripe nothing when the events are in different seconds', async () => {
    const fake = fakeLookups();
    const { send } = webhookWith(fake);
    const { tenantId, customer } = await customerOfNewTenant();
    const incomplete = subscription(customer, { status: 'incomplete' });
    await send(stripeEvent('customer.subscription.created', incomplete, { created: BASE_TIME }));
    await send(
      stripeEvent(
        'customer.subscription.updated',
        { ...incomplete, status: 'active' },
        { created: BASE_TIME + 1 },
      ),
    );
    expect(await billingOf(tenantId)).toMatchObject({ status: 'active' });
    expect(fake.calls).toEqual([]);
  });
});

describe('a second live subscription', () => {
  async function twoSubscriptions() {
    const fake = fakeLookups();
    const webhook = webhookWith(fake);
    const { tenantId, customer } = await customerOfNewTenant();
    const first = subscription(customer, { status: 'active' });
    const second = subscription(customer, { status: 'active', price: businessYear, created: BASE_TIME });
    await webhook.send(stripeEvent('customer.subscription.created', first, { created: BASE_TIME }));
    const reply = await webhook.send(
      stripeEvent('customer.subscription.created', second, { created: BASE_TIME + 60 }),
    );
    return { fake, webhook, tenantId, customer, first, second, reply };
  }

  it("keeps the first subscription's plan and writes no plan change", async () => {
    const { tenantId, first, second, reply } = await twoSubscriptions();
    expect(reply.outcome).toBe('applied');
    expect(await billingOf(tenantId)).toMatchObject({
      subscriptionId: first.id,
      plan: 'team',
      interval: 'month',
      duplicateSubscriptions: [
        expect.objectContaining({
          subscriptionId: second.id,
          plan: 'business',
          interval: 'year',
          status: 'active',
        }),
      ],
    });
    expect(await outboxTypes(tenantId)).toEqual(['Subscription Started v1']);
  });

  it('never flips the plan as both subscriptions keep sending updates', async () => {
    const { webhook, tenantId, first, second } = await twoSubscriptions();
    for (let n = 1; n <= 3; n++) {
      await webhook.send(
        stripeEvent('customer.subscription.updated', second, { created: BASE_TIME + 100 + 2 * n }),
      );
      await webhook.send(
        stripeEvent('customer.subscription.updated', first, { created: BASE_TIME + 101 + 2 * n }),
      );
      expect(await billingOf(tenantId)).toMatchObject({ subscriptionId: first.id, plan: 'team' });
    }
    expect(await outboxTypes(tenantId)).toEqual(['Subscription Started v1']);
  });

  it('logs the duplicate at error level and counts it in the metric once', async () => {
    const { webhook, tenantId, first, second } = await twoSubscriptions();
    await webhook.send(stripeEvent('customer.subscription.updated', second, { created: BASE_TIME + 120 }));
    expect(webhook.counted).toEqual(['DuplicateSubscriptions']);
    expect(webhook.errors).toEqual([
      {
        message: expect.stringContaining('second live subscription'),
        details: expect.objectContaining({
          tenantId,
          keptSubscriptionId: first.id,
          duplicateSubscriptionId: second.id,
        }),
      },
    ]);
  });

  it('shows the duplicate in the billing state the API returns', async () => {
    const { tenantId, second } = await twoSubscriptions();
    const response = await api(server, owner.accessToken).get(`/v1/tenants/${tenantId}/billing`);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      plan: 'team',
      duplicateSubscriptions: [
        {
          subscriptionId: second.id,
          status: 'active',
          plan: 'business',
          interval: 'year',
          detectedAt: new Date((BASE_TIME + 60) * 1000).toISOString(),
        },
      ],
    });
  });

  it('drops the duplicate from the billing state when it is canceled', async () => {
    const { webhook, tenantId, second } = await twoSubscriptions();
    await webhook.send(
      stripeEvent(
        'customer.subscription.deleted',
        { ...second, status: 'canceled' },
        { created: BASE_TIME + 200 },
      ),
    );
    expect(await billingOf(tenantId)).toMatchObject({
      plan: 'team',
      status: 'active',
      duplicateSubscriptions: [],
    });
  });

  it('lets the duplicate take over, as Stripe holds it now, when the first is canceled', async () => {
    const { fake, webhook, tenantId, first, second } = await twoSubscriptions();
    fake.subscriptions.set(second.id, second);
    await webhook.send(
      stripeEvent(
        'customer.subscription.deleted',
        { ...first, status: 'canceled' },
        { created: BASE_TIME + 300 },
      ),
    );
    expect(await billingOf(tenantId)).toMatchObject({
      subscriptionId: second.id,
      plan: 'business',
      interval: 'year',
      status: 'active',
      duplicateSubscriptions: [],
    });
    expect(fake.calls).toEqual([`currentSubscription ${second.id}`]);
    expect(await outboxTypes(tenantId)).toEqual(['Subscription Started v1', 'Subscription Changed v1']);
  });
});

describe('disputes', () => {
  async function disputedCharge() {
    const fake = fakeLookups();
    const webhook = webhookWith(fake);
    const { tenantId, customer } = await customerOfNewTenant();
    const chargeId = stripeId('ch');
    fake.chargeOwners.set(chargeId, customer);
    const dispute = disputeObject({ charge: chargeId, amount: 2900, dueBy: BASE_TIME + 7 * DAY });
    const reply = await webhook.send(stripeEvent('charge.dispute.created', dispute, { created: BASE_TIME }));
    return { fake, webhook, tenantId, chargeId, dispute, reply };
  }

  const auditOf = async (tenantId: string) => {
    const range = keys.auditRange(tenantId);
    const { Items = [] } = await stack.db.send(
      new QueryCommand({
        TableName: stack.tableName,
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
        ExpressionAttributeValues: { ':pk': range.pk, ':from': range.skFrom, ':to': range.skTo },
        ConsistentRead: true,
      }),
    );
    return Items;
  };

  it("records an opened dispute on the tenant's billing state with its evidence deadline", async () => {
    const { tenantId, chargeId, dispute, reply } = await disputedCharge();
    expect(reply.outcome).toBe('applied');
    expect(await billingOf(tenantId)).toMatchObject({
      disputes: [
        {
          disputeId: dispute.id,
          chargeId,
          amount: { amount: 2900, currency: 'usd' },
          reason: 'fraudulent',
          status: 'needs_response',
          evidenceDueBy: new Date((BASE_TIME + 7 * DAY) * 1000).toISOString(),
          closedAt: null,
        },
      ],
    });
  });

  it('audits the dispute as reported by Stripe', async () => {
    const { tenantId, dispute } = await disputedCharge();
    expect(await auditOf(tenantId)).toContainEqual(
      expect.objectContaining({
        action: 'billing.dispute-opened',
        actor: { userId: 'stripe' },
        target: { type: 'dispute', id: dispute.id },
        before: null,
      }),
    );
  });

  it('writes Dispute Opened for the notifications, and counts it for the alarm', async () => {
    const { webhook, tenantId } = await disputedCharge();
    expect(await outboxTypes(tenantId)).toEqual(['Dispute Opened v1']);
    expect(webhook.counted).toEqual(['DisputesOpened']);
    expect(webhook.errors[0]?.details).toMatchObject({ tenantId });
  });

  it('closes the dispute with Dispute Closed and a second audit entry', async () => {
    const { webhook, tenantId, dispute } = await disputedCharge();
    await webhook.send(
      stripeEvent('charge.dispute.closed', { ...dispute, status: 'won' }, { created: BASE_TIME + DAY }),
    );
    expect(await billingOf(tenantId)).toMatchObject({
      disputes: [
        { disputeId: dispute.id, status: 'won', closedAt: new Date((BASE_TIME + DAY) * 1000).toISOString() },
      ],
    });
    expect(await outboxTypes(tenantId)).toEqual(
      expect.arrayContaining(['Dispute Opened v1', 'Dispute Closed v1']),
    );
    expect(
      (await auditOf(tenantId))
        .map((entry) => String(entry.action))
        .filter((action) => action.startsWith('billing.dispute'))
        .sort(),
    ).toEqual(['billing.dispute-closed', 'billing.dispute-opened']);
    expect(webhook.counted).toEqual(['DisputesOpened']);
  });

  it('shows the dispute in the billing state the API returns', async () => {
    const { tenantId, dispute } = await disputedCharge();
    const response = await api(server, owner.accessToken).get(`/v1/tenants/${tenantId}/billing`);
    expect(response.status).toBe(200);
    expect(response.body.disputes).toEqual([
      expect.objectContaining({ disputeId: dispute.id, status: 'needs_response' }),
    ]);
    expect(response.body.disputes[0]).not.toHaveProperty('stripeUpdatedAt');
  });

  it('logs and counts a dispute of a charge no tenant owns, storing nothing', async () => {
    const fake = fakeLookups();
    const webhook = webhookWith(fake);
    const reply = await webhook.send(
      stripeEvent('charge.dispute.created', disputeObject({ charge: stripeId('ch'), amount: 100 })),
    );
    expect(reply.outcome).toBe('skipped');
    expect(webhook.counted).toEqual(['DisputesOpened']);
    expect(webhook.errors).toHaveLength(1);
  });

  it('reaches the owner and the operators by email through the bus', { timeout: 60_000 }, async () => {
    const { tenantId, dispute } = await disputedCharge();
    await runner.drain();
    const sent = await readSentEmails(stack);
    expect(sent.filter((m) => m.to.includes(owner.email) && m.subject.includes('was disputed'))).not.toEqual(
      [],
    );
    expect(
      sent.filter(
        (m) => m.to.includes(LOCAL_OPS_EMAIL) && m.body.includes(tenantId) && m.subject.includes(dispute.id),
      ),
    ).toHaveLength(1);
  });
});
