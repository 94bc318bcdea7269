import { GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBillingRepository } from '#shared/billing/billing.repository.ts';
import { type BillingState, freeBillingState, type Invoice } from '#shared/billing/billing.schema.ts';
import { keys } from '#shared/db/keys.ts';
import { ConflictError } from '#shared/http/errors.ts';
import { newId } from '#shared/ids.ts';
import type { Role } from '#shared/tenancy/permissions.ts';
import { createTenancy } from '#shared/tenancy/tenant-context.ts';
import {
  api,
  createTestStack,
  type LocalServer,
  signUpUser,
  startTestServer,
  type TestStack,
  type TestUser,
} from '../support/harness.ts';

/**
 * The billing routes through the local HTTP server, against moto and the run's stripe-mock.
 * stripe-mock proves the outbound calls are well formed and answers with fixtures; the mirrored
 * subscription state a webhook would write is seeded straight into the table.
 */

let stack: TestStack;
let server: LocalServer;
let owner: TestUser;
let outsider: TestUser;
let outsiderTenantId: string;

beforeAll(async () => {
  stack = await createTestStack();
  server = await startTestServer(stack);
  [owner, outsider] = await Promise.all([signUpUser(stack), signUpUser(stack)]);
  outsiderTenantId = (
    await api(server, outsider.accessToken).post('/v1/tenants', { name: 'Other', slug: 'other' })
  ).body.tenantId;
});
afterAll(() => server.close());

let slugs = 0;
/** A fresh tenant of `owner`, so each test starts from a tenant that never subscribed. */
async function newTenant(): Promise<string> {
  const slug = `billing-${++slugs}-${Date.now().toString(36)}`;
  const response = await api(server, owner.accessToken).post('/v1/tenants', {
    name: `Billing ${slugs}`,
    slug,
  });
  expect(response.status).toBe(201);
  return response.body.tenantId;
}

/** Mirrors a subscription state for the tenant, as the billing webhooks would. */
async function mirror(tenantId: string, state: Partial<BillingState>): Promise<void> {
  await stack.db.send(
    new PutCommand({
      TableName: stack.tableName,
      Item: {
        ...keys.billing(tenantId),
        type: 'billing',
        ...freeBillingState(tenantId, new Date().toISOString()),
        ...state,
      },
    }),
  );
}

const activeTeam: Partial<BillingState> = {
  plan: 'team',
  interval: 'month',
  status: 'active',
  customerId: 'cus_seeded',
  subscriptionId: 'sub_seeded',
  currentPeriodEnd: '2026-12-01T00:00:00.000Z',
};

/** Adds a user to the tenant with a role, straight in the table (invitations have their own tests). */
async function memberWithRole(tenantId: string, role: Role): Promise<TestUser> {
  const user = await signUpUser(stack);
  const now = new Date().toISOString();
  await stack.db.send(
    new PutCommand({
      TableName: stack.tableName,
      Item: {
        ...keys.member(tenantId, user.userId),
        type: 'member',
        tenantId,
        userId: user.userId,
        email: user.email,
        role,
        status: 'active',
        joinedAt: now,
        updatedAt: now,
      },
    }),
  );
  return user;
}

async function billingItem(tenantId: string) {
  const result = await stack.db.send(
    new GetCommand({ TableName: stack.tableName, Key: keys.billing(tenantId) }),
  );
  return result.Item;
}

/** The billing actions in the tenant's audit log, oldest first. */
async function billingAudit(tenantId: string) {
  const range = keys.auditRange(tenantId);
  const result = await stack.db.send(
    new QueryCommand({
      TableName: stack.tableName,
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: { ':pk': range.pk, ':from': range.skFrom, ':to': range.skTo },
    }),
  );
  return (result.Items ?? []).filter((i) => String(i.action).startsWith('billing.'));
}

/** Everything a billing route may write for the tenant: the billing item and billing audit entries. */
async function billingWrites(tenantId: string) {
  return { billing: await billingItem(tenantId), audit: await billingAudit(tenantId) };
}

const path = (tenantId: string, rest = '') => `/v1/tenants/${tenantId}/billing${rest}`;

describe('plans', () => {
  it('lists the plan catalogue without a token', async () => {
    const response = await api(server).get('/v1/plans');
    expect(response.status).toBe(200);
    expect(response.body.items.map((p: { id: string }) => p.id)).toEqual(['free', 'team', 'business']);
  });
});

describe('billing view', () => {
  it('shows the free plan to a tenant that never subscribed', async () => {
    const tenantId = await newTenant();
    const response = await api(server, owner.accessToken).get(path(tenantId));
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      tenantId,
      plan: 'free',
      effectivePlan: 'free',
      status: 'none',
      cancelAtPeriodEnd: false,
      restricted: false,
      entitlements: { seats: 3, projects: 3 },
      usage: { seats: expect.any(Number), projects: expect.any(Number) },
    });
  });

  it('lets a plain member read the mirrored subscription', async () => {
    const tenantId = await newTenant();
    await mirror(tenantId, activeTeam);
    const member = await memberWithRole(tenantId, 'member');
    const response = await api(server, member.accessToken).get(path(tenantId));
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ plan: 'team', status: 'active', interval: 'month' });
  });

  it('answers 404 to a member of another tenant', async () => {
    const tenantId = await newTenant();
    const response = await api(server, outsider.accessToken).get(path(tenantId));
    expect(response.status).toBe(404);
  });
});

describe('invoices', () => {
  const invoice = (n: number, createdAt: string): Invoice => ({
    invoiceId: `in_test${n}`,
    number: `PL-000${n}`,
    status: 'paid',
    currency: 'usd',
    amountDue: 2900,
    amountPaid: 2900,
    tax: 0,
    total: 2900,
    createdAt,
    paidAt: createdAt,
    hostedInvoiceUrl: `https://invoice.stripe.test/${n}`,
    chargeId: `ch_test${n}`,
    amountRefunded: 0,
    refunds: [],
  });

  async function seedInvoices(tenantId: string) {
    const dates = ['2026-01-01T00:00:00.000Z', '2026-02-01T00:00:00.000Z', '2026-03-01T00:00:00.000Z'];
    for (const [i, createdAt] of dates.entries()) {
      const item = invoice(i + 1, createdAt);
      await stack.db.send(
        new PutCommand({
          TableName: stack.tableName,
          Item: { ...keys.invoice(tenantId, createdAt, item.invoiceId), type: 'invoice', tenantId, ...item },
        }),
      );
    }
  }

  it('lists the payment history newest first, a page at a time', async () => {
    const tenantId = await newTenant();
    await seedInvoices(tenantId);
    const client = api(server, owner.accessToken);
    const first = await client.get(path(tenantId, '/invoices?limit=2'));
    expect(first.status).toBe(200);
    expect(first.body.items.map((i: Invoice) => i.invoiceId)).toEqual(['in_test3', 'in_test2']);
    expect(first.body.items[0]).toEqual(invoice(3, '2026-03-01T00:00:00.000Z'));
    const second = await client.get(path(tenantId, `/invoices?limit=2&cursor=${first.body.nextCursor}`));
    expect(second.body.items.map((i: Invoice) => i.invoiceId)).toEqual(['in_test1']);
    expect(second.body.nextCursor).toBeUndefined();
  });

  it("refuses another tenant's cursor with a 400", async () => {
    const tenantId = await newTenant();
    await seedInvoices(tenantId);
    const first = await api(server, owner.accessToken).get(path(tenantId, '/invoices?limit=1'));
    const response = await api(server, outsider.accessToken).get(
      path(outsiderTenantId, `/invoices?cursor=${first.body.nextCursor}`),
    );
    expect(response.status).toBe(400);
  });

  it('refuses the payment history to a plain member', async () => {
    const tenantId = await newTenant();
    const member = await memberWithRole(tenantId, 'member');
    expect((await api(server, member.accessToken).get(path(tenantId, '/invoices'))).status).toBe(403);
  });
});

describe('checkout', () => {
  const body = { plan: 'team', interval: 'month' };

  it('creates the Stripe customer, records it with its tenant and starts a Checkout Session', async () => {
    const tenantId = await newTenant();
    const response = await api(server, owner.accessToken).post(path(tenantId, '/checkout'), body);
    expect(response.status).toBe(201);
    expect(response.body).toEqual({
      sessionId: expect.stringMatching(/^cs_/),
      url: expect.stringMatching(/^https:/),
    });

    const customerId = (await billingItem(tenantId))?.customerId;
    expect(customerId).toMatch(/^cus_/);
    const mapping = await stack.db.send(
      new GetCommand({ TableName: stack.tableName, Key: keys.stripeCustomer(customerId) }),
    );
    expect(mapping.Item).toMatchObject({ tenantId, customerId });
  });

  it('creates the billing item in its free state next to the customer id', async () => {
    const tenantId = await newTenant();
    await api(server, owner.accessToken).post(path(tenantId, '/checkout'), body);
    expect(await billingItem(tenantId)).toMatchObject({
      tenantId,
      plan: 'free',
      status: 'none',
      subscriptionId: null,
    });
    expect((await api(server, owner.accessToken).get(path(tenantId))).body.plan).toBe('free');
  });

  it('keeps the recorded customer on a second checkout', async () => {
    const tenantId = await newTenant();
    const client = api(server, owner.accessToken);
    await client.post(path(tenantId, '/checkout'), body);
    const customerId = (await billingItem(tenantId))?.customerId;
    expect(
      (await client.post(path(tenantId, '/checkout'), { plan: 'business', interval: 'year' })).status,
    ).toBe(201);
    expect((await billingItem(tenantId))?.customerId).toBe(customerId);
    const actions = (await billingAudit(tenantId)).map((a) => a.action);
    expect(actions).toEqual([
      'billing.customer-created',
      'billing.checkout-started',
      'billing.checkout-started',
    ]);
  });

  it('records the Checkout Session it handed out and its expiry on the billing item', async () => {
    const tenantId = await newTenant();
    const response = await api(server, owner.accessToken).post(path(tenantId, '/checkout'), body);
    const item = await billingItem(tenantId);
    expect(item?.checkoutSessionId).toBe(response.body.sessionId);
    const minutesLeft = (Date.parse(item?.checkoutExpiresAt) - Date.now()) / 60_000;
    expect(minutesLeft).toBeGreaterThan(59);
    expect(minutesLeft).toBeLessThanOrEqual(75);
  });

  it('gives one of two checkouts racing from the same state the open checkout, and the other a 409', async () => {
    const tenantId = await newTenant();
    await api(server, owner.accessToken).post(path(tenantId, '/checkout'), body);
    const recorded = (await billingItem(tenantId))?.checkoutSessionId as string;
    const db = { client: stack.db, tableName: stack.tableName };
    const ctx = await createTenancy({ db }).resolve(
      { userId: owner.userId, groups: [], platformAdmin: false },
      tenantId,
      { requestId: 'race', sourceIp: '127.0.0.1' },
    );
    const repo = createBillingRepository(db, { clock: () => new Date(), newId }).forTenant(ctx);
    const audit = (sessionId: string) => ({
      actor: { userId: owner.userId },
      request: ctx.request,
      action: 'billing.checkout-started',
      target: { type: 'checkout-session', id: sessionId },
      before: null,
      after: null,
    });
    const expiresAt = new Date(Date.now() + 3_600_000).toISOString();

    const outcomes = await Promise.allSettled(
      ['cs_test_tab_a', 'cs_test_tab_b'].map((sessionId) =>
        repo.recordCheckout({ sessionId, expiresAt }, recorded, audit(sessionId)),
      ),
    );

    expect(outcomes.map((o) => o.status).sort()).toEqual(['fulfilled', 'rejected']);
    const loser = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
    expect(loser.reason).toBeInstanceOf(ConflictError);
    const winner = ['cs_test_tab_a', 'cs_test_tab_b'][outcomes.findIndex((o) => o.status === 'fulfilled')];
    expect((await billingItem(tenantId))?.checkoutSessionId).toBe(winner);
  });

  it('audits the checkout with the caller, plan and interval', async () => {
    const tenantId = await newTenant();
    await api(server, owner.accessToken).post(path(tenantId, '/checkout'), body);
    const started = (await billingAudit(tenantId)).find((a) => a.action === 'billing.checkout-started');
    expect(started).toMatchObject({
      actor: { userId: owner.userId, email: owner.email },
      after: { plan: 'team', interval: 'month' },
    });
  });

  it('answers 409 while the tenant has a live subscription, and writes nothing', async () => {
    const tenantId = await newTenant();
    await mirror(tenantId, activeTeam);
    const before = await billingWrites(tenantId);
    const response = await api(server, owner.accessToken).post(path(tenantId, '/checkout'), body);
    expect(response.status).toBe(409);
    expect(response.body.detail).toContain('already subscribed; change the plan instead');
    expect(await billingWrites(tenantId)).toEqual(before);
  });

  it.each([
    ['the free plan', { plan: 'free', interval: 'month' }],
    ['an unknown interval', { plan: 'team', interval: 'week' }],
    ['a tenant id in the body', { ...body, tenantId: 'x' }],
    ['a success URL that is not a URL', { ...body, successUrl: 'nope' }],
  ])('rejects %s with a 400 and writes nothing', async (_name, bad) => {
    const tenantId = await newTenant();
    const response = await api(server, owner.accessToken).post(path(tenantId, '/checkout'), bad);
    expect(response.status).toBe(400);
    expect(await billingWrites(tenantId)).toEqual({ billing: undefined, audit: [] });
  });

  it.each([
    ['successUrl', 'https://evil.test/billing'],
    ['cancelUrl', 'https://app.plinth.test.evil.test/billing'],
  ])(
    'rejects a %s outside the app and the allowed origins with a 400 naming it, and writes nothing',
    async (field, url) => {
      const tenantId = await newTenant();
      const response = await api(server, owner.accessToken).post(path(tenantId, '/checkout'), {
        ...body,
        [field]: url,
      });
      expect(response.status).toBe(400);
      expect(response.body.errors).toEqual([
        { field: `body.${field}`, message: expect.stringContaining('origin') },
      ]);
      expect(await billingWrites(tenantId)).toEqual({ billing: undefined, audit: [] });
    },
  );

  it('accepts redirect URLs on the app origin and on an allowed origin', async () => {
    const tenantId = await newTenant();
    const response = await api(server, owner.accessToken).post(path(tenantId, '/checkout'), {
      ...body,
      successUrl: 'https://app.plinth.test/welcome',
      cancelUrl: 'http://localhost:5173/pricing',
    });
    expect(response.status).toBe(201);
  });

  it('refuses a manager with 403 and writes nothing', async () => {
    const tenantId = await newTenant();
    const manager = await memberWithRole(tenantId, 'manager');
    expect((await api(server, manager.accessToken).post(path(tenantId, '/checkout'), body)).status).toBe(403);
    expect(await billingWrites(tenantId)).toEqual({ billing: undefined, audit: [] });
  });

  it('lets a tenant admin check out', async () => {
    const tenantId = await newTenant();
    const admin = await memberWithRole(tenantId, 'admin');
    expect((await api(server, admin.accessToken).post(path(tenantId, '/checkout'), body)).status).toBe(201);
  });

  it("answers 404 for another tenant's id and writes nothing", async () => {
    const tenantId = await newTenant();
    expect((await api(server, outsider.accessToken).post(path(tenantId, '/checkout'), body)).status).toBe(
      404,
    );
    expect(await billingWrites(tenantId)).toEqual({ billing: undefined, audit: [] });
  });
});

describe('portal', () => {
  it('answers 409 before the tenant has a Stripe customer', async () => {
    const tenantId = await newTenant();
    expect((await api(server, owner.accessToken).post(path(tenantId, '/portal'), {})).status).toBe(409);
  });

  it("opens a portal session for the tenant's customer", async () => {
    const tenantId = await newTenant();
    await mirror(tenantId, activeTeam);
    const response = await api(server, owner.accessToken).post(path(tenantId, '/portal'), {
      returnUrl: 'https://app.plinth.test/settings',
    });
    expect(response.status).toBe(201);
    expect(response.body.url).toMatch(/^https:/);
  });

  it('rejects a return URL outside the app with a 400 naming the field', async () => {
    const tenantId = await newTenant();
    await mirror(tenantId, activeTeam);
    const response = await api(server, owner.accessToken).post(path(tenantId, '/portal'), {
      returnUrl: 'https://evil.test/settings',
    });
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([
      { field: 'body.returnUrl', message: expect.stringContaining('origin') },
    ]);
  });

  it('refuses a plain member with 403', async () => {
    const tenantId = await newTenant();
    await mirror(tenantId, activeTeam);
    const member = await memberWithRole(tenantId, 'member');
    expect((await api(server, member.accessToken).post(path(tenantId, '/portal'), {})).status).toBe(403);
  });
});

describe('plan changes', () => {
  const upgrade = { plan: 'business', interval: 'month' };

  it('previews an upgrade with Stripe’s proration preview', async () => {
    const tenantId = await newTenant();
    await mirror(tenantId, activeTeam);
    const response = await api(server, owner.accessToken).post(path(tenantId, '/change/preview'), upgrade);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      plan: 'business',
      interval: 'month',
      kind: 'upgrade',
      effective: 'now',
      prorationDate: expect.any(Number),
      amountDueNow: expect.any(Number),
      nextInvoiceAmount: expect.any(Number),
      currency: 'usd',
    });
  });

  it('previews a downgrade as charging nothing now', async () => {
    const tenantId = await newTenant();
    await mirror(tenantId, { ...activeTeam, plan: 'business' });
    const response = await api(server, owner.accessToken).post(path(tenantId, '/change/preview'), {
      plan: 'team',
      interval: 'month',
    });
    expect(response.body).toMatchObject({ kind: 'downgrade', effective: 'period-end', amountDueNow: 0 });
  });

  it('answers 409 to a preview without a live subscription', async () => {
    const tenantId = await newTenant();
    expect(
      (await api(server, owner.accessToken).post(path(tenantId, '/change/preview'), upgrade)).status,
    ).toBe(409);
  });

  it('applies an upgrade now with the preview’s proration date, audited, mirror untouched', async () => {
    const tenantId = await newTenant();
    await mirror(tenantId, activeTeam);
    const client = api(server, owner.accessToken);
    const preview = await client.post(path(tenantId, '/change/preview'), upgrade);
    const before = await billingItem(tenantId);

    const response = await client.post(path(tenantId, '/change'), {
      ...upgrade,
      prorationDate: preview.body.prorationDate,
    });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      status: expect.any(String),
      plan: 'business',
      interval: 'month',
      effective: 'now',
    });
    // The plan moves when Stripe's webhook says so, not before.
    expect(await billingItem(tenantId)).toEqual(before);
    expect((await billingAudit(tenantId)).map((a) => a.action)).toEqual(['billing.plan-change-requested']);
  });

  it('schedules a downgrade for the end of the paid period', async () => {
    const tenantId = await newTenant();
    await mirror(tenantId, { ...activeTeam, plan: 'business' });
    const response = await api(server, owner.accessToken).post(path(tenantId, '/change'), {
      plan: 'team',
      interval: 'month',
    });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ plan: 'team', effective: 'period-end' });
  });

  it('rejects a proration date more than an hour old with a 400 and writes nothing', async () => {
    const tenantId = await newTenant();
    await mirror(tenantId, activeTeam);
    const before = await billingWrites(tenantId);
    const response = await api(server, owner.accessToken).post(path(tenantId, '/change'), {
      ...upgrade,
      prorationDate: Math.floor(Date.now() / 1000) - 7200,
    });
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([expect.objectContaining({ field: 'body.prorationDate' })]);
    expect(await billingWrites(tenantId)).toEqual(before);
  });

  it('rejects a change to the free plan with a 400 and writes nothing', async () => {
    const tenantId = await newTenant();
    await mirror(tenantId, activeTeam);
    const before = await billingWrites(tenantId);
    const response = await api(server, owner.accessToken).post(path(tenantId, '/change'), {
      plan: 'free',
      interval: 'month',
    });
    expect(response.status).toBe(400);
    expect(await billingWrites(tenantId)).toEqual(before);
  });

  it('refuses a plain member with 403', async () => {
    const tenantId = await newTenant();
    await mirror(tenantId, activeTeam);
    const member = await memberWithRole(tenantId, 'member');
    const client = api(server, member.accessToken);
    expect((await client.post(path(tenantId, '/change/preview'), upgrade)).status).toBe(403);
    expect((await client.post(path(tenantId, '/change'), upgrade)).status).toBe(403);
  });
});

describe('cancel and resume', () => {
  it('cancels at the period end, audited, leaving the mirror to the webhook', async () => {
    const tenantId = await newTenant();
    await mirror(tenantId, activeTeam);
    const response = await api(server, owner.accessToken).post(path(tenantId, '/cancel'));
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ plan: 'team', cancelAtPeriodEnd: true });
    expect((await billingItem(tenantId))?.cancelAtPeriodEnd).toBe(false);
    expect((await billingAudit(tenantId)).map((a) => a.action)).toEqual(['billing.cancel-requested']);
  });

  it('answers 409 to a cancel without a live subscription', async () => {
    const tenantId = await newTenant();
    expect((await api(server, owner.accessToken).post(path(tenantId, '/cancel'))).status).toBe(409);
  });

  it('resumes a pending cancellation', async () => {
    const tenantId = await newTenant();
    await mirror(tenantId, { ...activeTeam, cancelAtPeriodEnd: true });
    const response = await api(server, owner.accessToken).post(path(tenantId, '/resume'));
    expect(response.status).toBe(200);
    expect(response.body.cancelAtPeriodEnd).toBe(false);
    expect((await billingAudit(tenantId)).map((a) => a.action)).toEqual(['billing.resumed']);
  });

  it('answers 409 to a resume when no cancellation is pending, and writes nothing', async () => {
    const tenantId = await newTenant();
    await mirror(tenantId, activeTeam);
    const before = await billingWrites(tenantId);
    expect((await api(server, owner.accessToken).post(path(tenantId, '/resume'))).status).toBe(409);
    expect(await billingWrites(tenantId)).toEqual(before);
  });

  it('refuses a manager with 403', async () => {
    const tenantId = await newTenant();
    await mirror(tenantId, activeTeam);
    const manager = await memberWithRole(tenantId, 'manager');
    expect((await api(server, manager.accessToken).post(path(tenantId, '/cancel'))).status).toBe(403);
  });
});

describe('a tenant restricted for non-payment', () => {
  const restricted: Partial<BillingState> = {
    ...activeTeam,
    status: 'past_due',
    pastDueSince: '2026-01-01T00:00:00.000Z',
    graceEndsAt: '2026-01-08T00:00:00.000Z',
    restricted: true,
  };

  it('can still read its billing, open the portal, preview and change its plan, and cancel', async () => {
    const tenantId = await newTenant();
    await mirror(tenantId, restricted);
    const client = api(server, owner.accessToken);
    expect((await client.get(path(tenantId))).body.restricted).toBe(true);
    expect((await client.get(path(tenantId, '/invoices'))).status).toBe(200);
    expect((await client.post(path(tenantId, '/portal'), {})).status).toBe(201);
    expect(
      (await client.post(path(tenantId, '/change/preview'), { plan: 'business', interval: 'month' })).status,
    ).toBe(200);
    expect(
      (await client.post(path(tenantId, '/change'), { plan: 'business', interval: 'month' })).status,
    ).toBe(200);
    expect((await client.post(path(tenantId, '/cancel'))).status).toBe(200);
  });
});
