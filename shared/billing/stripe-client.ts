import type Stripe from 'stripe';
import { once } from '../app/deferred.ts';
import { traceStripeCalls } from '../observability/tracer.ts';
import { STRIPE_MAX_NETWORK_RETRIES, STRIPE_TIMEOUT_MS } from './stripe-budget.ts';
import type { StripeClientEnv } from './stripe-client.env.ts';

/**
 * The Stripe API version every request is made with: the one this stripe-node release is typed
 * for, so the fields the code reads are the fields Stripe sends. stripe-mock (pinned in
 * scripts/emulators/install.ts) speaks a slightly older spec; the fields read here exist in both.
 */
export const STRIPE_API_VERSION: Stripe.LatestApiVersion = '2026-10-28.endive';

/** Reads an SSM SecureString, decrypted (Powertools caches it for the container's life). */
export type ParameterReader = (name: string) => Promise<string | undefined>;

/**
 * Powertools' SSM reader, and with it the SSM client (~80 KB), is imported on the first read, not
 * at cold start: a function reads its Stripe secrets on the first path that needs them.
 */
const readSecureParameter: ParameterReader = async (name) => {
  const { getParameter } = await import('@aws-lambda-powertools/parameters/ssm');
  return getParameter(name, { decrypt: true, maxAge: Number.POSITIVE_INFINITY });
};

/**
 * Resolves a secret given either as a plain value (local: stripe-mock's key, the dev webhook secret)
 * or as the name of an SSM SecureString (deployed: `/plinth/<stage>/stripe/...`). The parameter
 * wins when both are set, so a stray plain value never overrides the managed secret. Called on the
 * first path that needs the secret; it throws when neither is set or the parameter is empty.
 */
export async function resolveSecret(
  source: { readonly value?: string | undefined; readonly parameter?: string | undefined },
  what: string,
  readParameter: ParameterReader = readSecureParameter,
): Promise<string> {
  if (source.parameter) {
    const value = await readParameter(source.parameter);
    if (!value) throw new Error(`The SSM parameter ${source.parameter} (${what}) is missing or empty.`);
    return value;
  }
  if (source.value) return source.value;
  throw new Error(`No ${what} configured.`);
}

/** Connection settings of the Stripe client; `apiUrl` only locally (stripe-mock over plain HTTP). */
export interface StripeClientOptions {
  readonly secretKey: string;
  readonly apiUrl?: string | undefined;
}

/**
 * Builds the Stripe client. Call once per container. Network retries are safe because every
 * POST the gateway makes carries an idempotency key; the timeout leaves room inside API Gateway's
 * 29 s limit for the few sequential calls a request makes. stripe-node (~240 KB) is imported here,
 * on first use: a bundle keeps it in a chunk of its own that cold start never reads.
 */
export async function createStripeClient({ secretKey, apiUrl }: StripeClientOptions): Promise<Stripe> {
  const { default: Stripe } = await import('stripe');
  const target = apiUrl ? new URL(apiUrl) : undefined;
  const stripe = new Stripe(secretKey, {
    apiVersion: STRIPE_API_VERSION,
    // Sized so the longest sequence of calls fits the function's timeout (stripe-budget.ts).
    maxNetworkRetries: STRIPE_MAX_NETWORK_RETRIES,
    timeout: STRIPE_TIMEOUT_MS,
    telemetry: false,
    appInfo: { name: 'plinth' },
    ...(target
      ? {
          host: target.hostname,
          port: target.port || (target.protocol === 'https:' ? 443 : 80),
          protocol: target.protocol === 'https:' ? 'https' : 'http',
        }
      : {}),
  });
  // One X-Ray subsegment per Stripe call where tracing is active (shared/observability/tracer.ts).
  return traceStripeCalls(stripe);
}

/**
 * The Stripe client of a billing function, from its validated environment: the secret key from
 * `STRIPE_SECRET_KEY_PARAMETER` (SSM SecureString) or `STRIPE_SECRET_KEY`. Handlers get it
 * through {@link lazyStripeClient}, so neither the key nor stripe-node is loaded at cold start.
 */
export async function stripeClientFromEnv(
  env: StripeClientEnv,
  readParameter?: ParameterReader,
): Promise<Stripe> {
  const secretKey = await resolveSecret(
    { value: env.STRIPE_SECRET_KEY, parameter: env.STRIPE_SECRET_KEY_PARAMETER },
    'Stripe secret key',
    readParameter,
  );
  return createStripeClient({ secretKey, apiUrl: env.STRIPE_API_URL });
}

/**
 * The container's Stripe client, built on the first call (secret read, stripe-node imported) and
 * reused after; a failed build is retried by the next call. Handlers create this at module scope
 * and hand it to the gateway factories, so read-only paths never load Stripe.
 */
export function lazyStripeClient(
  env: StripeClientEnv,
  readParameter?: ParameterReader,
): () => Promise<Stripe> {
  return once(() => stripeClientFromEnv(env, readParameter));
}
