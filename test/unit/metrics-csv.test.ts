import { describe, expect, it } from 'vitest';
import { toCsv } from '#shared/analytics/metrics-csv.ts';
import { npsSeries } from '#shared/analytics/metrics-extra.service.ts';
import { compareTenant } from '#shared/analytics/reconcile.ts';
import { negotiateMediaType } from '#shared/http/negotiate.ts';
import { routes } from '#shared/http/routes.ts';
import { createOpenApiDocument } from '#shared/openapi/document.ts';

const offered = ['application/json', 'text/csv'];

describe('negotiateMediaType', () => {
  it('answers the first offer (JSON) without an Accept header', () => {
    expect(negotiateMediaType(undefined, offered)).toBe('application/json');
  });

  it('picks text/csv when Accept names it', () => {
    expect(negotiateMediaType('text/csv', offered)).toBe('text/csv');
  });

  it('prefers the exact match over */* at equal quality', () => {
    expect(negotiateMediaType('text/csv, */*', offered)).toBe('text/csv');
  });

  it('follows the quality values', () => {
    expect(negotiateMediaType('text/csv;q=0.5, application/json', offered)).toBe('application/json');
  });

  it('matches a type wildcard', () => {
    expect(negotiateMediaType('text/*', offered)).toBe('text/csv');
  });

  it('accepts none when every acceptable range is absent or has q=0', () => {
    expect(negotiateMediaType('application/xml', offered)).toBeUndefined();
    expect(negotiateMediaType('text/csv;q=0', offered)).toBeUndefined();
  });
});

describe('toCsv', () => {
  it('writes a header row and CRLF-terminated rows, nulls as empty fields', () => {
    expect(toCsv(['a', 'b'], [[1, null]])).toBe('a,b\r\n1,\r\n');
  });

  it('quotes fields holding commas, quotes or line breaks', () => {
    expect(toCsv(['x'], [['a,"b"\nc']])).toBe('x\r\n"a,""b""\nc"\r\n');
  });

  it('defuses text a spreadsheet would run as a formula, but not negative numbers', () => {
    expect(toCsv(['x', 'y'], [['=SUM(A1)', -25]])).toBe("x,y\r\n'=SUM(A1),-25\r\n");
  });
});

describe('npsSeries', () => {
  it('slides the window: a day drops out once it is windowDays old', () => {
    const counters = new Map([
      ['2026-01-01', { promoters: 1, passives: 0, detractors: 0 }],
      ['2026-01-03', { promoters: 0, passives: 0, detractors: 1 }],
    ]);

    const series = npsSeries(counters, '2026-01-02', '2026-01-04', 2);

    // Windows: Jan 1-2 (the promoter), Jan 2-3 (the detractor), Jan 3-4 (the detractor).
    expect(series.points.map((point) => point.window)).toEqual([
      { promoters: 1, passives: 0, detractors: 0 },
      { promoters: 0, passives: 0, detractors: 1 },
      { promoters: 0, passives: 0, detractors: 1 },
    ]);
    expect(series.points.map((point) => point.nps)).toEqual([100, -100, -100]);
    expect(series.range).toEqual({ promoters: 0, passives: 0, detractors: 1, nps: -100 });
  });

  it('gives null NPS for a window without answers', () => {
    expect(npsSeries(new Map(), '2026-01-01', '2026-01-01').points[0]?.nps).toBeNull();
  });
});

describe('compareTenant', () => {
  const ledger = { tenantId: 't1', mrr: 2900, currency: 'usd', occurredAt: '2026-05-01T09:00:00.000Z' };
  const billing = (amount: number, at: string, status: 'active' | 'trialing' = 'active') => ({
    status,
    plan: 'team' as const,
    monthlyAmount: { amount, currency: 'usd' },
    stripeUpdatedAt: Date.parse(at) / 1000,
  });

  it('finds no drift when billing counts what the ledger holds', () => {
    expect(compareTenant('2026-05-01', ledger, billing(2900, '2026-05-01T09:00:00Z'))).toBeNull();
  });

  it('counts a trialing billing state as zero MRR', () => {
    expect(
      compareTenant('2026-05-01', ledger, billing(2900, '2026-05-01T09:00:00Z', 'trialing')),
    ).toMatchObject({
      billingMrr: 0,
      drift: 2900,
    });
  });

  it('skips a tenant whose billing state changed after the day', () => {
    expect(compareTenant('2026-05-01', ledger, billing(9900, '2026-05-02T00:00:00Z'))).toBe('skipped');
  });

  it('treats a missing billing item as the free plan (MRR 0)', () => {
    expect(compareTenant('2026-05-01', ledger, undefined)).toMatchObject({
      billingMrr: 0,
      billingStatus: 'none',
    });
  });
});

describe('OpenAPI: the series routes document both media types', () => {
  const document = createOpenApiDocument();
  type Operation = { responses: Record<string, { content?: Record<string, unknown> }> };
  const operation = (path: string): Operation => {
    const item = document.paths?.[path] as { get?: Operation } | undefined;
    if (!item?.get) throw new Error(`GET ${path} is not in the document`);
    return item.get;
  };

  it.each([
    routes.metricsMrr.path,
    routes.metricsChurn.path,
    routes.metricsNps.path,
    routes.metricsMovements.path,
  ])('%s answers application/json and text/csv, and documents 406', (path) => {
    const { responses } = operation(path);
    expect(Object.keys(responses['200']?.content ?? {})).toEqual(['application/json', 'text/csv']);
    expect(responses['406']).toBeDefined();
  });

  it('documents the reconciliation route', () => {
    expect(Object.keys(operation(routes.metricsReconciliation.path).responses)).toEqual(
      expect.arrayContaining(['200', '403', '404']),
    );
  });
});
