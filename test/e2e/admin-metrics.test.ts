import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keys } from '#shared/db/keys.ts';
import { localPriceIds } from '../../scripts/local/stripe.ts';
import {
  api,
  createTestStack,
  type LocalServer,
  signUpOperator,
  signUpUser,
  startTestServer,
  type TestStack,
  type TestUser,
} from '../support/harness.ts';
import { startTestRunner, type TestRunner } from '../support/runner.ts';
import type { TestPrice } from '../support/stripe-events.ts';
import { subscriptionHistory } from '../support/subscription-history.ts';

/**
 * The README's worked example, end to end: three months of signed Stripe webhooks posted to the
 * local server's webhook endpoint, carried by the event runner to the movements consumer, rolled
 * up by the metrics-rollup schedule, and read back from the admin metrics API. Every expected
 * number is computed by hand in the comments.
 *
 *   A team monthly 2900 from Jan 10, upgraded to business (9900) on Mar 5;
 *   B business monthly 9900 from Jan 11, downgraded to team at its renewal on Mar 20;
 *   C team annual 29000 (2417 a month) from Feb 1, ended Mar 31 23:59:59;
 *   D team monthly 2900 from Feb 2, canceled Mar 10, subscribed again Mar 25;
 *   E on a trial from Feb 20 (MRR 0), converted on Mar 3.
 */

const team: TestPrice = { id: localPriceIds.team.month, unitAmount: 2900, interval: 'month' };
const business: TestPrice = { id: localPriceIds.business.month, unitAmount: 9900, interval: 'month' };
const teamYear: TestPrice = { id: localPriceIds.team.year, unitAmount: 29_000, interval: 'year' };

let stack: TestStack;
let server: LocalServer;
let runner: TestRunner;
let operator: TestUser;
let member: TestUser;

const { customers, customerFor, webhook } = subscriptionHistory(() => ({ stack, server }));

beforeAll(async () => {
  stack = await createTestStack();
  server = await startTestServer(stack);
  runner = await startTestRunner(stack);
  operator = await signUpOperator(stack);
  member = await signUpUser(stack);
  for (const name of ['A', 'B', 'C', 'D', 'E']) await customerFor(name);

  await webhook('A', 'customer.subscription.created', team, 'active', '2026-01-10T09:00:00Z');
  await webhook('B', 'customer.subscription.created', business, 'active', '2026-01-11T09:00:00Z');
  await webhook('C', 'customer.subscription.created', teamYear, 'active', '2026-02-01T09:00:00Z');
  await webhook('D', 'customer.subscription.created', team, 'active', '2026-02-02T09:00:00Z');
  await webhook('E', 'customer.subscription.created', team, 'trialing', '2026-02-20T09:00:00Z');
  await webhook('E', 'customer.subscription.updated', team, 'active', '2026-03-03T09:00:00Z');
  await webhook('A', 'customer.subscription.updated', business, 'active', '2026-03-05T09:00:00Z');
  await webhook('D', 'customer.subscription.deleted', team, 'canceled', '2026-03-10T09:00:00Z');
  await webhook('B', 'customer.subscription.updated', team, 'active', '2026-03-20T09:00:00Z');
  await webhook('D', 'customer.subscription.created', team, 'active', '2026-03-25T09:00:00Z', true);
  await webhook('C', 'customer.subscription.deleted', teamYear, 'canceled', '2026-03-31T23:59:59Z');
  await runner.drain();
  // The daily schedule, run in the first minutes of April 1st: rolls up through March 31st.
  await runner.triggerSchedule('metrics-rollup', '2026-04-01T00:05:00.000Z');
}, 120_000);

afterAll(async () => {
  await runner?.stop();
  await server?.close();
});

const admin = () => api(server, operator.accessToken);

describe('GET /admin/metrics/summary', () => {
  it("gives the last day of March and March's metrics as computed by hand", async () => {
    const response = await admin().get('/admin/metrics/summary?date=2026-03-31');

    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      date: '2026-03-31',
      currency: 'usd',
      // C's annual plan ended that day: churn of 2417.
      day: {
        mrr: 18_600,
        arr: 223_200,
        customers: 4,
        movements: {
          new: 0,
          expansion: 0,
          contraction: 0,
          churn: -2417,
          reactivation: 0,
          comp: 0,
          comp_end: 0,
        },
        netNewMrr: -2417,
        newCustomers: 0,
      },
      monthToDate: {
        month: '2026-03',
        // Start: A 2900 + B 9900 + C 2417 + D 2900 = 18117 from 4 customers (E on trial: 0).
        mrrStart: 18_117,
        mrrEnd: 18_600,
        arrStart: 217_404,
        arrEnd: 223_200,
        customersStart: 4,
        customersEnd: 4,
        arpa: 4650, // 18600 / 4
        movements: {
          new: 2900,
          expansion: 7000,
          contraction: -7000,
          churn: -5317,
          reactivation: 2900,
          comp: 0,
          comp_end: 0,
        },
        netNewMrr: 483,
        newCustomers: 1,
        logoChurnRate: 0.25, // C of A, B, C, D
        nrr: 0.8666, // (9900 + 2900 + 0 + 2900) / 18117
        grr: 0.4802, // (2900 + 2900 + 0 + 2900) / 18117
        grossMrrChurnRate: 0.6799, // (7000 + 2900 + 2417) / 18117
        netMrrChurnRate: 0.1334, // 1 - NRR
        quickRatio: 1.0392, // (2900 + 7000 + 2900) / (7000 + 5317)
        ltv: null, // nobody churned in January or February: pooled churn 0
        cac: null, // no acquisition spend recorded
        ltvToCac: null,
        nps: null, // no answers
      },
    });
  });

  it('answers 404 for a day that is not rolled up', async () => {
    const response = await admin().get('/admin/metrics/summary?date=2026-04-02');
    expect(response.status).toBe(404);
  });

  it('answers 400 with a field error for a date that is not a day', async () => {
    const response = await admin().get('/admin/metrics/summary?date=2026-02-30');
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([expect.objectContaining({ field: 'query.date' })]);
  });

  it('answers 403 to a signed-in user who is not a platform admin', async () => {
    const response = await api(server, member.accessToken).get('/admin/metrics/summary?date=2026-03-31');
    expect(response.status).toBe(403);
  });

  it('answers 401 without a token', async () => {
    const response = await api(server).get('/admin/metrics/summary?date=2026-03-31');
    expect(response.status).toBe(401);
  });
});

describe('GET /admin/metrics/mrr', () => {
  it('gives MRR per month with the movements of each month', async () => {
    const response = await admin().get('/admin/metrics/mrr?from=2026-01-01&to=2026-03-31&interval=month');

    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      currency: 'usd',
      interval: 'month',
      points: [
        {
          period: '2026-01',
          mrr: 12_800, // A 2900 + B 9900
          arr: 153_600,
          customers: 2,
          movements: {
            new: 12_800,
            expansion: 0,
            contraction: 0,
            churn: 0,
            reactivation: 0,
            comp: 0,
            comp_end: 0,
          },
          netNewMrr: 12_800,
        },
        {
          period: '2026-02',
          mrr: 18_117, // + C 2417 + D 2900; E's trial is 0
          arr: 217_404,
          customers: 4,
          movements: {
            new: 5317,
            expansion: 0,
            contraction: 0,
            churn: 0,
            reactivation: 0,
            comp: 0,
            comp_end: 0,
          },
          netNewMrr: 5317,
        },
        {
          period: '2026-03',
          mrr: 18_600,
          arr: 223_200,
          customers: 4,
          movements: {
            new: 2900,
            expansion: 7000,
            contraction: -7000,
            churn: -5317,
            reactivation: 2900,
            comp: 0,
            comp_end: 0,
          },
          netNewMrr: 483,
        },
      ],
    });
  });

  it('gives MRR per day', async () => {
    const response = await admin().get('/admin/metrics/mrr?from=2026-03-09&to=2026-03-11&interval=day');

    expect(response.body.points.map((p: { period: string; mrr: number }) => [p.period, p.mrr])).toEqual([
      ['2026-03-09', 28_017], // 18117 + E's conversion 2900 + A's expansion 7000
      ['2026-03-10', 25_117], // D canceled: - 2900
      ['2026-03-11', 25_117],
    ]);
  });

  it('answers 400 when the range is backwards', async () => {
    const response = await admin().get('/admin/metrics/mrr?from=2026-03-31&to=2026-03-01');
    expect(response.status).toBe(400);
  });
});

describe('GET /admin/metrics/movements', () => {
  it("lists a month's churn movements per tenant, oldest first", async () => {
    const response = await admin().get('/admin/metrics/movements?month=2026-03&type=churn');

    expect(response.status).toBe(200);
    expect(
      response.body.items.map((m: Record<string, unknown>) => [m.tenantId, m.type, m.delta, m.occurredAt]),
    ).toEqual([
      [customers.D?.tenantId, 'churn', -2900, '2026-03-10T09:00:00.000Z'],
      [customers.C?.tenantId, 'churn', -2417, '2026-03-31T23:59:59.000Z'],
    ]);
  });

  it('pages through all movements of a month with the cursor', async () => {
    const first = await admin().get('/admin/metrics/movements?month=2026-03&limit=4');
    const second = await admin().get(
      `/admin/metrics/movements?month=2026-03&limit=4&cursor=${encodeURIComponent(first.body.nextCursor)}`,
    );

    const all = [...first.body.items, ...second.body.items];
    expect(all.map((m: { type: string }) => m.type)).toEqual([
      'new',
      'expansion',
      'churn',
      'contraction',
      'reactivation',
      'churn',
    ]);
    expect(all[3]).toMatchObject({
      tenantId: customers.B?.tenantId,
      planBefore: 'business',
      planAfter: 'team',
    });
  });

  it("refuses a cursor of another type's list with 400", async () => {
    const churn = await admin().get('/admin/metrics/movements?month=2026-03&type=churn&limit=1');
    const response = await admin().get(
      `/admin/metrics/movements?month=2026-03&limit=1&cursor=${encodeURIComponent(churn.body.nextCursor)}`,
    );
    expect(response.status).toBe(400);
  });
});

describe('GET /admin/metrics/churn', () => {
  it('gives the monthly rates, null where nobody paid at the start', async () => {
    const response = await admin().get('/admin/metrics/churn?from=2026-01&to=2026-03');

    expect(response.status).toBe(200);
    const [january, february, march] = response.body.months;
    expect(january).toMatchObject({
      month: '2026-01',
      complete: true,
      customersStart: 0,
      logoChurnRate: null,
      nrr: null,
    });
    // S = A, B (12800); nobody lost: NRR = GRR = 1, no churn; the quick ratio has no losses to divide by.
    expect(february).toMatchObject({
      month: '2026-02',
      logoChurnRate: 0,
      nrr: 1,
      grr: 1,
      grossMrrChurnRate: 0,
      netMrrChurnRate: 0,
      quickRatio: null,
    });
    expect(march).toMatchObject({
      month: '2026-03',
      complete: true,
      logoChurnRate: 0.25,
      nrr: 0.8666,
      grr: 0.4802,
    });
  });

  it('answers 403 to a signed-in user who is not a platform admin', async () => {
    const response = await api(server, member.accessToken).get(
      '/admin/metrics/churn?from=2026-01&to=2026-03',
    );
    expect(response.status).toBe(403);
  });
});

describe('PUT /admin/metrics/spend/{month}', () => {
  const march = {
    currency: 'usd',
    channels: [
      { channel: 'ads', amount: 450_000 },
      { channel: 'events', amount: 150_000 },
    ],
  };

  async function platformAudit() {
    const { Items = [] } = await stack.db.send(
      new QueryCommand({
        TableName: stack.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': keys.platformAuditEntry('', '').pk },
        ConsistentRead: true,
      }),
    );
    return Items;
  }

  it('answers 403 to a signed-in user who is not a platform admin and records nothing', async () => {
    const response = await api(server, member.accessToken).request(
      'PUT',
      '/admin/metrics/spend/2026-03',
      march,
    );

    expect(response.status).toBe(403);
    expect(await platformAudit()).toEqual([]);
  });

  it("records a month's spend per channel with its total", async () => {
    const response = await admin().request('PUT', '/admin/metrics/spend/2026-03', march);

    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      month: '2026-03',
      currency: 'usd',
      total: 600_000,
      channels: march.channels,
      updatedBy: operator.userId,
    });
  });

  it('divides the spend by the new customers of the month for CAC', async () => {
    const response = await admin().get('/admin/metrics/summary?date=2026-03-31');

    // 600000 spent for one new customer (E); LTV is null, so LTV:CAC is too.
    expect(response.body.monthToDate).toMatchObject({ cac: 600_000, ltvToCac: null });
  });

  it('replaces the spend and audits who changed it from what to what', async () => {
    const response = await admin().request('PUT', '/admin/metrics/spend/2026-03', {
      currency: 'usd',
      channels: [{ channel: 'ads', amount: 300_000 }],
    });

    expect(response.body.total).toBe(300_000);
    const entries = await platformAudit();
    expect(entries.at(-1)).toMatchObject({
      action: 'metrics.spend-set',
      operatorId: operator.userId,
      target: { type: 'spend-month', id: '2026-03' },
      before: { total: 600_000 },
      after: { total: 300_000, channels: [{ channel: 'ads', amount: 300_000 }] },
    });
  });

  it('refuses a channel named twice with 400 and a field error, and changes nothing', async () => {
    const response = await admin().request('PUT', '/admin/metrics/spend/2026-03', {
      currency: 'usd',
      channels: [
        { channel: 'ads', amount: 1 },
        { channel: 'ads', amount: 2 },
      ],
    });

    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([expect.objectContaining({ field: 'body.channels' })]);
    const summary = await admin().get('/admin/metrics/summary?date=2026-03-31');
    expect(summary.body.monthToDate.cac).toBe(300_000);
  });

  it('refuses a spend in another currency than the catalogue with 400', async () => {
    const response = await admin().request('PUT', '/admin/metrics/spend/2026-03', {
      currency: 'eur',
      channels: [],
    });

    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([expect.objectContaining({ field: 'body.currency' })]);
  });

  it('refuses a month that is not YYYY-MM with 400', async () => {
    const response = await admin().request('PUT', '/admin/metrics/spend/2026-13', march);
    expect(response.status).toBe(400);
  });
});
