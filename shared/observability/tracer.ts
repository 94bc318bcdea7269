import { createRequire } from 'node:module';
import type { Tracer } from '@aws-lambda-powertools/tracer';

/**
 * Powertools Tracer (X-Ray), loaded only where tracing is active: in Lambda with active tracing
 * (AppFunction turns it on) and `POWERTOOLS_TRACE_ENABLED` not `false`. There it comes from the
 * Powertools Lambda layer that AppFunction attaches (the layer of the version package.json pins),
 * through Node's CommonJS resolution, which searches the layer's `/opt/nodejs/node_modules`
 * (`NODE_PATH`). It is never bundled: the tracer and the X-Ray SDK are about 125 KB minified, which
 * would push several bundles past the 500 KB budget, and outside Lambda (tests, `npm run dev`, the
 * bench) nothing of it is loaded at all.
 */
export function isTracingActive(env: NodeJS.ProcessEnv = process.env): boolean {
  return (
    env.POWERTOOLS_TRACE_ENABLED !== 'false' &&
    Boolean(env.AWS_LAMBDA_FUNCTION_NAME) &&
    Boolean(env.AWS_XRAY_DAEMON_ADDRESS)
  );
}

/** What the tracer is used for here; Powertools' `Tracer` has it, and tests pass fakes. */
export type TracerLike = Pick<Tracer, 'captureAWSv3Client' | 'getSegment'>;

function loadTracer(): TracerLike | undefined {
  if (!isTracingActive()) return undefined;
  const load = createRequire(import.meta.url);
  const { Tracer: PowertoolsTracer } = load('@aws-lambda-powertools/tracer') as {
    Tracer: new (options: { serviceName?: string }) => Tracer;
  };
  return new PowertoolsTracer({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'plinth' });
}

/** The container's tracer; undefined where tracing is not active. */
export const tracer: TracerLike | undefined = loadTracer();

/**
 * Records every call of an AWS SDK v3 client as an X-Ray subsegment (Powertools'
 * `captureAWSv3Client`). Wrap each client where it is built; a no-op where tracing is not active.
 */
export function traceClient<T>(client: T, activeTracer: TracerLike | undefined = tracer): T {
  return activeTracer ? activeTracer.captureAWSv3Client(client) : client;
}

/** The subset of stripe-node's request and response events the subsegments use. */
interface StripeRequestEvent {
  readonly method: string;
  readonly path: string;
  readonly request_start_time: number;
}
interface StripeResponseEvent extends StripeRequestEvent {
  readonly status: number;
  readonly request_id: string;
}
/** A stripe-node client: it emits `request` before and `response` after every API call. */
export interface StripeEmitter {
  on(event: 'request', handler: (event: StripeRequestEvent) => void): void;
  on(event: 'response', handler: (event: StripeResponseEvent) => void): void;
}

/** Where stripe-node ids sit in a path: replaced so subsegment names group by operation. */
const STRIPE_ID = /\/(?:[a-z]+_[A-Za-z0-9]+)(?=\/|$)/g;

/**
 * One X-Ray subsegment per Stripe API call (`Stripe POST /v1/subscriptions/{id}`), opened on the
 * client's `request` event and closed on its `response`, annotated with the HTTP status and
 * Stripe's request id; 4xx answers are flagged as errors, 5xx as faults. Returns the client. A
 * no-op where tracing is not active.
 */
export function traceStripeCalls<T extends StripeEmitter>(
  stripe: T,
  activeTracer: TracerLike | undefined = tracer,
): T {
  if (!activeTracer) return stripe;
  type Open = ReturnType<NonNullable<ReturnType<TracerLike['getSegment']>>['addNewSubsegment']>;
  const open = new Map<string, Open>();
  const keyOf = (event: StripeRequestEvent) => `${event.method} ${event.path} ${event.request_start_time}`;
  stripe.on('request', (event) => {
    const parent = activeTracer.getSegment();
    if (!parent) return;
    const operation = event.path.split('?')[0]?.replace(STRIPE_ID, '/{id}') ?? event.path;
    open.set(keyOf(event), parent.addNewSubsegment(`Stripe ${event.method} ${operation}`));
  });
  stripe.on('response', (event) => {
    const key = keyOf(event);
    const subsegment = open.get(key);
    if (!subsegment) return;
    open.delete(key);
    subsegment.addAnnotation('stripe_status', event.status);
    subsegment.addMetadata('stripe_request_id', event.request_id);
    if (event.status >= 500) subsegment.addFaultFlag();
    else if (event.status >= 400) subsegment.addErrorFlag();
    subsegment.close();
  });
  return stripe;
}
