import { EventEmitter } from 'node:events';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import {
  isTracingActive,
  type StripeEmitter,
  type TracerLike,
  traceClient,
  traceStripeCalls,
} from '#shared/observability/tracer.ts';

/** A subsegment as aws-xray-sdk-core has it, recording what it was told. */
class FakeSubsegment {
  readonly annotations: Record<string, unknown> = {};
  readonly metadata: Record<string, unknown> = {};
  flags: string[] = [];
  closed = false;
  readonly name: string;
  constructor(name: string) {
    this.name = name;
  }
  addAnnotation(key: string, value: unknown) {
    this.annotations[key] = value;
  }
  addMetadata(key: string, value: unknown) {
    this.metadata[key] = value;
  }
  addErrorFlag() {
    this.flags.push('error');
  }
  addFaultFlag() {
    this.flags.push('fault');
  }
  close() {
    this.closed = true;
  }
}

function fakeTracer() {
  const opened: FakeSubsegment[] = [];
  const captured: unknown[] = [];
  const segment = {
    addNewSubsegment(name: string) {
      const subsegment = new FakeSubsegment(name);
      opened.push(subsegment);
      return subsegment;
    },
  };
  const tracer = {
    getSegment: () => segment,
    captureAWSv3Client: <T>(client: T) => {
      captured.push(client);
      return client;
    },
  } as unknown as TracerLike;
  return { tracer, opened, captured };
}

/** A stand-in for a stripe-node client: it emits `request` and `response` around each call. */
function fakeStripe() {
  const emitter = new EventEmitter();
  const stripe = emitter as unknown as StripeEmitter & EventEmitter;
  const call = (method: string, path: string, status: number) => {
    const request_start_time = Date.now();
    emitter.emit('request', { method, path, request_start_time, api_version: 'v' });
    emitter.emit('response', {
      method,
      path,
      request_start_time,
      status,
      request_id: 'req_123',
      api_version: 'v',
    });
  };
  return { stripe, call };
}

describe('tracing Stripe calls', () => {
  it('records each call as a closed subsegment named by method and path, ids replaced', () => {
    const { tracer, opened } = fakeTracer();
    const { stripe, call } = fakeStripe();
    traceStripeCalls(stripe, tracer);

    call('POST', '/v1/subscriptions/sub_1AbC', 200);

    expect(opened.map((subsegment) => [subsegment.name, subsegment.closed])).toEqual([
      ['Stripe POST /v1/subscriptions/{id}', true],
    ]);
    expect(opened[0]?.annotations).toEqual({ stripe_status: 200 });
    expect(opened[0]?.metadata).toEqual({ stripe_request_id: 'req_123' });
  });

  it('flags a 4xx answer as an error and a 5xx answer as a fault', () => {
    const { tracer, opened } = fakeTracer();
    const { stripe, call } = fakeStripe();
    traceStripeCalls(stripe, tracer);

    call('GET', '/v1/customers/cus_1', 404);
    call('POST', '/v1/refunds', 503);

    expect(opened.map((subsegment) => subsegment.flags)).toEqual([['error'], ['fault']]);
  });

  it('adds no listener where tracing is not active', () => {
    const { stripe } = fakeStripe();

    traceStripeCalls(stripe, undefined);

    expect(stripe.listenerCount('request') + stripe.listenerCount('response')).toBe(0);
  });
});

describe('tracing AWS SDK clients', () => {
  it('hands each client to the tracer’s captureAWSv3Client', () => {
    const { tracer, captured } = fakeTracer();
    const client = new DynamoDBClient({ region: 'us-east-1' });

    expect(traceClient(client, tracer)).toBe(client);
    expect(captured).toEqual([client]);
    client.destroy();
  });

  it('is active only in Lambda with X-Ray, unless POWERTOOLS_TRACE_ENABLED is false', () => {
    const lambda = { AWS_LAMBDA_FUNCTION_NAME: 'fn', AWS_XRAY_DAEMON_ADDRESS: '169.254.79.129:2000' };

    expect(isTracingActive(lambda)).toBe(true);
    expect(isTracingActive({ ...lambda, POWERTOOLS_TRACE_ENABLED: 'false' })).toBe(false);
    expect(isTracingActive({ AWS_LAMBDA_FUNCTION_NAME: 'fn' })).toBe(false);
    expect(isTracingActive({})).toBe(false);
  });
});
