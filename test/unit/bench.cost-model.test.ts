import { describe, expect, it } from 'vitest';
import {
  apiMix,
  costOf,
  type MeasuredRequest,
  mixCost,
  prices,
  tenantMonth,
  totalOf,
  webhookMix,
} from '../../scripts/bench/cost-model.ts';

const request = (name: string, overrides: Partial<MeasuredRequest> = {}): MeasuredRequest => ({
  name,
  kind: 'api',
  read: 0,
  write: 0,
  publisherInvocations: 0,
  consumerInvocations: 0,
  busEvents: 0,
  queueMessages: 0,
  ...overrides,
});

/** Every request the mixes name, each costing `read` read units and nothing else of note. */
const allMeasured = (read: number) => [
  ...Object.keys(apiMix).map((name) => request(name, { read })),
  ...Object.keys(webhookMix).map((name) => request(name, { kind: 'webhook', read })),
];

describe('the cost model', () => {
  it('prices request units at the on-demand rates', () => {
    const lines = costOf(request('GET /x', { read: 4, write: 2 }));

    expect(lines.dynamodbRead * 1e6).toBeCloseTo(4 * prices.dynamodbReadPerMillion);
    expect(lines.dynamodbWrite * 1e6).toBeCloseTo(2 * prices.dynamodbWritePerMillion);
  });

  it('charges the HTTP API for API requests only, not for webhooks on the Function URL', () => {
    expect(costOf(request('GET /x')).httpApi * 1e6).toBeCloseTo(prices.httpApiPerMillion);
    expect(costOf(request('webhook x', { kind: 'webhook' })).httpApi).toBe(0);
  });

  it('charges every event put on the bus and three SQS requests per queued message', () => {
    const lines = costOf(request('POST /x', { busEvents: 2, queueMessages: 1 }));

    expect(lines.eventBridge * 1e6).toBeCloseTo(2 * prices.eventBridgePerMillion);
    expect(lines.sqs * 1e6).toBeCloseTo(3 * prices.sqsPerMillion);
  });

  it('weights a mix by its shares, whatever scale they are given in', () => {
    const measured = [request('a', { read: 2 }), request('b', { read: 6 })];

    expect(mixCost(measured, { a: 3, b: 1 }).dynamodbRead).toBeCloseTo(
      mixCost(measured, { a: 75, b: 25 }).dynamodbRead,
    );
    expect(mixCost(measured, { a: 1, b: 1 }).dynamodbRead * 1e6).toBeCloseTo(
      4 * prices.dynamodbReadPerMillion,
    );
  });

  it('refuses a mix that names a request nobody measured', () => {
    expect(() => mixCost([request('a')], { a: 1, b: 1 })).toThrow('b');
  });

  it('shares the fixed costs out, so they dominate few tenants and vanish at many', () => {
    const measured = allMeasured(1);

    const few = tenantMonth(measured, 100);
    const many = tenantMonth(measured, 1_000_000);

    expect(few.lines.fixed).toBeCloseTo(many.lines.fixed * 10_000);
    expect(few.dominant).toMatch(/^fixed/);
    expect(many.dominant).not.toMatch(/^fixed/);
  });

  it('adds the lines up to the total', () => {
    const month = tenantMonth(allMeasured(2), 10_000);

    expect(month.total).toBeCloseTo(Object.values(month.lines).reduce((sum, v) => sum + v, 0));
    expect(totalOf(costOf(request('a')))).toBeGreaterThan(0);
  });
});
