/**
 * The cost model `npm run bench` prints: AWS list prices (us-east-1) applied to what each API
 * route and webhook type was measured to consume (scripts/bench/costs.ts), a typical request mix
 * and a stated usage profile per tenant. Pure functions and data, so the arithmetic has tests
 * (test/unit/bench.cost-model.test.ts) and every assumption is in one place.
 */

/** US East (N. Virginia) list prices in USD, without free tiers or volume discounts. */
export const prices = {
  /** DynamoDB on-demand, per million request units (the rates since November 2024). */
  dynamodbReadPerMillion: 0.125,
  dynamodbWritePerMillion: 0.625,
  /** Standard table class, per GB-month. */
  dynamodbStoragePerGbMonth: 0.25,
  /** Lambda, per million requests and per GB-second on arm64. */
  lambdaRequestsPerMillion: 0.2,
  lambdaArmPerGbSecond: 0.0000133334,
  /** HTTP API, per million requests (the first 300 million a month; $0.90 after). */
  httpApiPerMillion: 1.0,
  /** EventBridge custom events put on a bus, per million (64 KB each). Deliveries to targets are free. */
  eventBridgePerMillion: 1.0,
  /** SQS standard queue, per million requests (64 KB each). */
  sqsPerMillion: 0.4,
} as const;

/** How the deployed functions are sized (lib/constructs/app-function.ts: 256 MB unless set). */
export const lambdaMemoryMb = 256;

/**
 * What the local stack cannot measure, assumed. Durations are billed milliseconds of a warm
 * invocation in AWS (a few single-digit-millisecond DynamoDB calls, not moto's tens); since August
 * 2025 Lambda also bills the init phase, so a share of invocations pays a cold start too.
 */
export const lambdaAssumptions = {
  apiMs: 40,
  webhookMs: 60,
  publisherMs: 30,
  consumerMs: 40,
  /** Share of invocations that start a new container. */
  coldStartShare: 0.01,
  /** Billed init of a cold start at 256 MB (the bench's cold init on a full core, times ~3). */
  coldInitMs: 400,
} as const;

/** SQS requests per event delivered to a consumer: SendMessage (by the rule), ReceiveMessage, DeleteMessage. */
export const sqsRequestsPerMessage = 3;

/** What one API request or webhook delivery was measured to cause, async fan-out included. */
export interface MeasuredRequest {
  /** `GET /v1/tenants/{tenantId}/projects`, or `webhook customer.subscription.updated`. */
  readonly name: string;
  readonly kind: 'api' | 'webhook';
  /** DynamoDB request units, estimated from item sizes (shared/db/capacity.ts). */
  readonly read: number;
  readonly write: number;
  /** Invocations of the publisher (one per stream batch holding outbox items). */
  readonly publisherInvocations: number;
  /** Invocations of bus consumers (one per SQS batch). */
  readonly consumerInvocations: number;
  /** Events put on the bus. */
  readonly busEvents: number;
  /** Messages the rules' queues carried to consumers. */
  readonly queueMessages: number;
}

/** Cost in USD of one request, by line. */
export interface CostLines {
  readonly httpApi: number;
  readonly lambda: number;
  readonly dynamodbRead: number;
  readonly dynamodbWrite: number;
  readonly eventBridge: number;
  readonly sqs: number;
}

export const lineNames: Readonly<Record<keyof CostLines, string>> = {
  httpApi: 'HTTP API',
  lambda: 'Lambda',
  dynamodbRead: 'DynamoDB reads',
  dynamodbWrite: 'DynamoDB writes',
  eventBridge: 'EventBridge',
  sqs: 'SQS',
};

const perMillion = (price: number) => price / 1_000_000;

/** Billed cost of one invocation of `ms` at the configured memory, a cold start's share included. */
function invocationCost(ms: number): number {
  const { coldStartShare, coldInitMs } = lambdaAssumptions;
  const seconds = (ms + coldStartShare * coldInitMs) / 1000;
  return (
    perMillion(prices.lambdaRequestsPerMillion) +
    seconds * (lambdaMemoryMb / 1024) * prices.lambdaArmPerGbSecond
  );
}

/** What one measured request costs, by line. Webhooks arrive on a Function URL: no HTTP API charge. */
export function costOf(request: MeasuredRequest): CostLines {
  const a = lambdaAssumptions;
  return {
    httpApi: request.kind === 'api' ? perMillion(prices.httpApiPerMillion) : 0,
    lambda:
      invocationCost(request.kind === 'api' ? a.apiMs : a.webhookMs) +
      request.publisherInvocations * invocationCost(a.publisherMs) +
      request.consumerInvocations * invocationCost(a.consumerMs),
    dynamodbRead: request.read * perMillion(prices.dynamodbReadPerMillion),
    dynamodbWrite: request.write * perMillion(prices.dynamodbWritePerMillion),
    eventBridge: request.busEvents * perMillion(prices.eventBridgePerMillion),
    sqs: request.queueMessages * sqsRequestsPerMessage * perMillion(prices.sqsPerMillion),
  };
}

export const totalOf = (lines: CostLines): number => Object.values(lines).reduce((sum, v) => sum + v, 0);

const scaled = (lines: CostLines, factor: number): CostLines =>
  Object.fromEntries(Object.entries(lines).map(([k, v]) => [k, v * factor])) as unknown as CostLines;

const added = (a: CostLines, b: CostLines): CostLines =>
  Object.fromEntries(
    Object.entries(a).map(([k, v]) => [k, v + b[k as keyof CostLines]]),
  ) as unknown as CostLines;

const zero: CostLines = { httpApi: 0, lambda: 0, dynamodbRead: 0, dynamodbWrite: 0, eventBridge: 0, sqs: 0 };

/**
 * The weighted average cost of one request of a mix: `weights` maps measured request names to
 * their share (any scale; normalised here). Names the measurement lacks are an error, not a zero.
 */
export function mixCost(
  measured: readonly MeasuredRequest[],
  weights: Readonly<Record<string, number>>,
): CostLines {
  const byName = new Map(measured.map((m) => [m.name, m]));
  const total = Object.values(weights).reduce((sum, w) => sum + w, 0);
  let lines = zero;
  for (const [name, weight] of Object.entries(weights)) {
    const request = byName.get(name);
    if (!request) throw new Error(`the mix names ${name}, which was not measured`);
    lines = added(lines, scaled(costOf(request), weight / total));
  }
  return lines;
}

/**
 * The typical API mix, per 100 requests: reads of the tenant's own data dominate; writes, invitations
 * and billing calls are rare. An assumption about how a product uses this backend, not a measurement.
 */
export const apiMix: Readonly<Record<string, number>> = {
  'GET /v1/me': 10,
  'GET /v1/tenants': 8,
  'GET /v1/tenants/{tenantId}': 10,
  'GET /v1/tenants/{tenantId}/projects': 25,
  'GET /v1/tenants/{tenantId}/projects/{projectId}': 15,
  'POST /v1/tenants/{tenantId}/projects': 3,
  'PATCH /v1/tenants/{tenantId}/projects/{projectId}': 5,
  'DELETE /v1/tenants/{tenantId}/projects/{projectId}': 1,
  'GET /v1/tenants/{tenantId}/members': 5,
  'GET /v1/tenants/{tenantId}/invitations': 2,
  'POST /v1/tenants/{tenantId}/invitations': 1,
  'GET /v1/tenants/{tenantId}/audit-log': 3,
  'GET /v1/plans': 2,
  'GET /v1/tenants/{tenantId}/billing': 6,
  'GET /v1/tenants/{tenantId}/billing/invoices': 3,
  'POST /v1/tenants/{tenantId}/billing/checkout': 1,
};

/** The webhook mix of a paying tenant's month: a renewal, its invoice, the odd failure. */
export const webhookMix: Readonly<Record<string, number>> = {
  'webhook customer.subscription.updated': 2,
  'webhook invoice.paid': 1,
  'webhook invoice.payment_failed': 0.1,
  'webhook duplicate delivery': 0.2,
};

/** What one tenant does in a month. */
export const tenantProfile = {
  /** API requests a month, in the {@link apiMix}: 5 active users × 200 a working day × 20 days. */
  apiRequests: 20_000,
  /** Share of tenants that pay (and so get webhooks). */
  payingShare: 0.2,
  /** Webhook deliveries a paying tenant causes a month, in the {@link webhookMix}. */
  webhooksPerPayingTenant: 4,
  /** Table data per tenant (tenant, members, projects, audit entries, invoices, outbox until TTL). */
  storageMb: 2,
} as const;

/** Monthly costs that do not grow with tenants: alarms, the dashboard, idle SQS polling by Lambda. */
export const fixedMonthly = {
  /** CloudWatch: ~10 alarms at $0.10 and one dashboard at $3. */
  cloudwatch: 4,
  /** Lambda's SQS pollers long-poll each queue even when idle: ~0.65 M requests a queue-month; 3 queues. */
  sqsIdlePolling: 3 * 0.65 * prices.sqsPerMillion,
} as const;

export interface TenantMonth {
  readonly tenants: number;
  /** USD per tenant-month, by line, with storage and the fixed costs shared out. */
  readonly lines: CostLines & { readonly storage: number; readonly fixed: number };
  readonly total: number;
  /** The biggest line. */
  readonly dominant: string;
}

/** The cost of a tenant-month at `tenants` tenants, from the measured requests and the profile. */
export function tenantMonth(measured: readonly MeasuredRequest[], tenants: number): TenantMonth {
  const api = scaled(mixCost(measured, apiMix), tenantProfile.apiRequests);
  const webhooks = scaled(
    mixCost(measured, webhookMix),
    tenantProfile.payingShare * tenantProfile.webhooksPerPayingTenant,
  );
  const usage = added(api, webhooks);
  const lines = {
    ...usage,
    storage: (tenantProfile.storageMb / 1024) * prices.dynamodbStoragePerGbMonth,
    fixed: (fixedMonthly.cloudwatch + fixedMonthly.sqsIdlePolling) / tenants,
  };
  const names: Record<string, string> = {
    ...lineNames,
    storage: 'DynamoDB storage',
    fixed: 'fixed (alarms, dashboard, idle polling)',
  };
  const [dominant] = Object.entries(lines).sort((a, b) => b[1] - a[1])[0] as [string, number];
  return {
    tenants,
    lines,
    total: Object.values(lines).reduce((s, v) => s + v, 0),
    dominant: names[dominant] ?? dominant,
  };
}
