import { startBenchStack } from './bench-stack.ts';
import { percentile } from './stats.ts';

export interface LatencyOptions {
  /** Timed requests, sent one after another. */
  readonly requests: number;
  /** Untimed requests first: handler imports, JWKS fetch, connection setup. */
  readonly warmup: number;
  /** Projects in the tenant, so each response is a page of this many items (at most 25). */
  readonly projects: number;
  readonly region?: string;
}

export interface LatencyReport {
  readonly route: string;
  readonly requests: number;
  readonly itemsPerPage: number;
  readonly p50: number;
  readonly p99: number;
  readonly mean: number;
  readonly max: number;
}

async function send(url: string, init: RequestInit & { expect: number }): Promise<unknown> {
  const response = await fetch(url, init);
  const text = await response.text();
  if (response.status !== init.expect) {
    throw new Error(`${init.method ?? 'GET'} ${url} answered ${response.status}: ${text.slice(0, 300)}`);
  }
  return text ? JSON.parse(text) : undefined;
}

/**
 * p50/p99 of `GET /v1/tenants/{id}/projects` against the local stack: moto, the resources from the
 * shared definitions and the local API server (JWT check, handler in process), all on loopback. A
 * fresh moto and table per run; the tenant and its projects are made through the API itself.
 */
export async function measureListProjectsLatency(options: LatencyOptions): Promise<LatencyReport> {
  const stack = await startBenchStack({ name: 'bench-owner', region: options.region });
  try {
    const headers = stack.ownerHeaders;
    const listUrl = `${stack.url}/v1/tenants/${stack.tenantId}/projects`;
    for (let i = 0; i < options.projects; i++) {
      await send(listUrl, {
        method: 'POST',
        headers,
        body: JSON.stringify({ name: `Project ${i}`, slug: `project-${i}` }),
        expect: 201,
      });
    }

    let itemsPerPage = 0;
    for (let i = 0; i < options.warmup; i++) {
      const page = (await send(listUrl, { headers, expect: 200 })) as { items: unknown[] };
      itemsPerPage = page.items.length;
    }
    const samples: number[] = [];
    for (let i = 0; i < options.requests; i++) {
      const started = performance.now();
      await send(listUrl, { headers, expect: 200 });
      samples.push(performance.now() - started);
    }
    return {
      route: 'GET /v1/tenants/{tenantId}/projects',
      requests: samples.length,
      itemsPerPage,
      p50: percentile(samples, 50),
      p99: percentile(samples, 99),
      mean: samples.reduce((a, b) => a + b, 0) / samples.length,
      max: Math.max(...samples),
    };
  } finally {
    await stack.close();
  }
}
