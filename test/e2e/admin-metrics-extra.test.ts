import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
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
 * The admin metrics routes beside the rollup's, over HTTP: the NPS series, the MRR reconciliation
 * (a history of signed webhooks, the reconcile schedule, a billing item that then disagrees), and
 * the CSV representations of the series routes.
 *
 *   A team monthly 2900 from Jan 10; B business monthly 9900 from Jan 15, canceled Feb 10.
 */

const team: TestPrice = { id: localPriceIds.team.month, unitAmount: 2900, interval: 'month' };
const business: TestPrice = { id: localPriceIds.business.month, unitAmount: 9900, interval: 'month' };

let stack: TestStack;
let server: LocalServer;
let runner: TestRunner;
let operator: TestUser;
let member: TestUser;
const { customers, customerFor, webhook } = subscriptionHistory(() => ({ stack, server }));

/** The NPS answer counters of one day, as the answers' transactions leave them. */
async function npsDay(day: string, counts: { promoters?: number; passives?: number; detractors?: number }) {
  await stack.db.send(
    new PutCommand({
      TableName: stack.tableName,
      Item: { ...keys.npsDay(day), type: 'nps-day', day, ...counts },
    }),
  );
}

beforeAll(async () => {
  stack = await createTestStack();
  server = await startTestServer(stack);
  runner = await startTestRunner(stack);
  operator = await signUpOperator(stack);
  member = await signUpUser(stack);
  for (const name of ['A', 'B']) await customerFor(name);

  await webhook('A', 'customer.subscription.created', team, 'active', '2026-01-10T09:00:00Z');
  await webhook('B', 'customer.subscription.created', business, 'active', '2026-01-15T09:00:00Z');
  await webhook('B', 'customer.subscription.deleted', business, 'canceled', '2026-02-10T09:00:00Z');
  await runner.drain();
  await runner.triggerSchedule('metrics-rollup', '2026-02-11T00:05:00.000Z');
  await runner.triggerSchedule('metrics-reconcile', '2026-02-11T00:10:00.000Z');
  // Then someone edits A's billing item by hand: the movements no longer add up to it.
  await stack.db.send(
    new UpdateCommand({
      TableName: stack.tableName,
      Key: keys.billing(customers.A?.tenantId ?? ''),
      UpdateExpression: 'SET monthlyAmount = :amount',
      ExpressionAttributeValues: { ':amount': { amount: 3900, currency: 'usd' } },
    }),
  );
  await runner.triggerSchedule('metrics-reconcile', '2026-02-12T00:10:00.000Z');

  await npsDay('2026-01-01', { promoters: 2, detractors: 1 });
  await npsDay('2026-03-31', { promoters: 1, passives: 1 });
  await npsDay('2026-04-01', { detractors: 2 });
}, 120_000);

afterAll(async () => {
  await runner?.stop();
  await server?.close();
});

const admin = () => api(server, operator.accessToken);
const csv = { headers: { accept: 'text/csv' } };

describe('GET /admin/metrics/reconciliation', () => {
  it('reports no drift while the billing states agree with the movements', async () => {
    const response = await admin().get('/admin/metrics/reconciliation?date=2026-02-10');

    expect(response.status).toBe(200);
    // A is the only tenant the ledger indexes (B churned).
    expect(response.body).toMatchObject({ date: '2026-02-10', tenantsChecked: 1, drifts: 0, tenants: [] });
  });

  it('lists a tenant whose billing state disagrees with its MRR from the movements', async () => {
    const response = await admin().get('/admin/metrics/reconciliation?date=2026-02-11');

    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ drifts: 1, netDrift: -1000, absoluteDrift: 1000 });
    expect(response.body.tenants).toEqual([
      {
        tenantId: customers.A?.tenantId,
        ledgerMrr: 2900,
        billingMrr: 3900,
        drift: -1000,
        currency: 'usd',
        billingStatus: 'active',
        billingPlan: 'team',
        billingAsOf: '2026-01-10T09:00:00.000Z',
        ledgerAsOf: '2026-01-10T09:00:00.000Z',
      },
    ]);
  });

  it('answers 404 for a day that was not reconciled', async () => {
    const response = await admin().get('/admin/metrics/reconciliation?date=2026-02-20');
    expect(response.status).toBe(404);
  });

  it('answers 403 to a caller who is not a platform admin', async () => {
    const response = await api(server, member.accessToken).get(
      '/admin/metrics/reconciliation?date=2026-02-10',
    );
    expect(response.status).toBe(403);
  });
});

describe('GET /admin/metrics/nps', () => {
  it("gives each day's answers and the NPS of the 90 days ending with it", async () => {
    const response = await admin().get('/admin/metrics/nps?from=2026-03-31&to=2026-04-01');

    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      windowDays: 90,
      points: [
        {
          day: '2026-03-31',
          answers: { promoters: 1, passives: 1, detractors: 0 },
          // Jan 1 to Mar 31 is 90 days: 3 promoters, 1 passive, 1 detractor -> (3 - 1) / 5.
          window: { promoters: 3, passives: 1, detractors: 1 },
          nps: 40,
        },
        {
          day: '2026-04-01',
          answers: { promoters: 0, passives: 0, detractors: 2 },
          // Jan 1 left the window: 1 promoter, 1 passive, 2 detractors -> (1 - 2) / 4.
          window: { promoters: 1, passives: 1, detractors: 2 },
          nps: -25,
        },
      ],
      // The range's own answers: 1 promoter, 1 passive, 2 detractors.
      range: { promoters: 1, passives: 1, detractors: 2, nps: -25 },
    });
  });

  it('answers 400 when `from` is after `to`', async () => {
    const response = await admin().get('/admin/metrics/nps?from=2026-04-02&to=2026-04-01');
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([expect.objectContaining({ field: 'query.from' })]);
  });

  it('answers 403 to a caller who is not a platform admin', async () => {
    const response = await api(server, member.accessToken).get(
      '/admin/metrics/nps?from=2026-04-01&to=2026-04-01',
    );
    expect(response.status).toBe(403);
  });

  it('answers text/csv with Accept: text/csv', async () => {
    const response = await admin().get('/admin/metrics/nps?from=2026-03-31&to=2026-04-01', csv);

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(response.body).toBe(
      'day,promoters,passives,detractors,window_days,window_promoters,window_passives,window_detractors,nps\r\n' +
        '2026-03-31,1,1,0,90,3,1,1,40\r\n' +
        '2026-04-01,0,0,2,90,1,1,2,-25\r\n',
    );
  });
});

describe('CSV of the series routes', () => {
  it('answers the MRR series as text/csv with Accept: text/csv', async () => {
    const response = await admin().get('/admin/metrics/mrr?from=2026-02-09&to=2026-02-10', csv);

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(response.headers.get('vary')).toBe('accept');
    expect(response.body).toBe(
      'period,currency,mrr,arr,customers,new,expansion,contraction,churn,reactivation,comp,comp_end,net_new_mrr\r\n' +
        '2026-02-09,usd,12800,153600,2,0,0,0,0,0,0,0,0\r\n' +
        '2026-02-10,usd,2900,34800,1,0,0,0,-9900,0,0,0,-9900\r\n',
    );
  });

  it('still answers JSON by default', async () => {
    const response = await admin().get('/admin/metrics/mrr?from=2026-02-10&to=2026-02-10');

    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.body.points).toEqual([expect.objectContaining({ period: '2026-02-10', mrr: 2900 })]);
  });

  it('answers the churn report as text/csv, one row per month', async () => {
    const response = await admin().get('/admin/metrics/churn?from=2026-02&to=2026-02', csv);

    expect(response.status).toBe(200);
    const [header, row, end] = String(response.body).split('\r\n');
    expect(header?.split(',').slice(0, 8)).toEqual([
      'month',
      'complete',
      'through',
      'currency',
      'mrr_start',
      'mrr_end',
      'arr_start',
      'arr_end',
    ]);
    // February through the 10th: started at 12800 (A + B), ends at 2900; B churned: logo churn 1/2.
    expect(row?.split(',').slice(0, 6)).toEqual(['2026-02', 'false', '2026-02-10', 'usd', '12800', '2900']);
    expect(row?.split(',')[header?.split(',').indexOf('logo_churn_rate') ?? -1]).toBe('0.5');
    expect(end).toBe('');
  });

  it("answers a month's movements as text/csv, with the next page's cursor in a header", async () => {
    const response = await admin().get('/admin/metrics/movements?month=2026-01&limit=1', csv);

    expect(response.status).toBe(200);
    expect(response.body).toBe(
      'tenant_id,type,delta,mrr_before,mrr_after,plan_before,plan_after,currency,event_id,occurred_at\r\n' +
        `${customers.A?.tenantId},new,2900,0,2900,free,team,usd,${response.body.split('\r\n')[1]?.split(',')[8]},2026-01-10T09:00:00.000Z\r\n`,
    );
    expect(response.headers.get('next-cursor')).toEqual(expect.any(String));
  });

  it('answers 406 with problem details when Accept names no media type the route has', async () => {
    const response = await admin().get('/admin/metrics/mrr?from=2026-02-10&to=2026-02-10', {
      headers: { accept: 'application/xml' },
    });

    expect(response.status).toBe(406);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
  });
});
