import * as z from 'zod';
import { lazyValue } from '../app/deferred.ts';

/**
 * What the health function watches, from its environment (the CDK app sets it from the stacks'
 * resources; the local stack from the emulator's): the functions by name, the queues, the webhook's
 * function and the stage's EMF namespace.
 */
export interface HealthConfig {
  readonly tableName: string;
  /** The stage's EMF namespace (`Plinth/<stage>`), where the app's own metrics land. */
  readonly metricsNamespace: string;
  /** Function label (`projects`, `stripe-webhook`, `notifications`) → deployed function name. */
  readonly functions: Readonly<Record<string, string>>;
  /** The queues to read: a rule's queue with its dead-letter queue, or a dead-letter queue alone. */
  readonly queues: readonly WatchedQueue[];
  /** The Stripe webhook's function name (its Function URL's 5xx count). */
  readonly webhookFunction: string;
}

export interface WatchedQueue {
  /** `notifications`, `outbox-publisher`, … */
  readonly name: string;
  /** The queue a consumer drains; absent for a dead-letter queue that stands alone. */
  readonly url?: string | undefined;
  readonly deadLetterUrl: string;
}

// Built with the first health check (functions/health reads the configuration then), not at cold start.
const queuesSchema = /* @__PURE__ */ lazyValue(() =>
  z.array(
    z.strictObject({
      name: z.string().min(1),
      url: z.string().min(1).optional(),
      deadLetterUrl: z.string().min(1),
    }),
  ),
);
const functionsSchema = /* @__PURE__ */ lazyValue(() => z.record(z.string().min(1), z.string().min(1)));

const json = <S extends z.ZodType>(schema: S) =>
  z
    .string()
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'is not JSON' });
        return z.NEVER;
      }
    })
    .pipe(schema);

const envSchema = /* @__PURE__ */ lazyValue(() =>
  z.object({
    TABLE_NAME: z.string().min(1),
    POWERTOOLS_METRICS_NAMESPACE: z.string().min(1).default('Plinth'),
    /** `{"projects":"plinth-prod-ProjectsFunction…",…}` */
    HEALTH_FUNCTIONS: json(functionsSchema()),
    /** `[{"name":"notifications","url":"https://sqs…","deadLetterUrl":"https://sqs…"},…]` */
    HEALTH_QUEUES: json(queuesSchema()),
    HEALTH_WEBHOOK_FUNCTION: z.string().min(1),
  }),
);

/** Reads the health function's environment; throws naming every bad variable (on the first health check). */
export function readHealthConfig(source: NodeJS.ProcessEnv = process.env): HealthConfig {
  const parsed = envSchema().safeParse(source);
  if (!parsed.success) {
    const names = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`Invalid health environment: ${names}`, { cause: parsed.error });
  }
  const env = parsed.data;
  return {
    tableName: env.TABLE_NAME,
    metricsNamespace: env.POWERTOOLS_METRICS_NAMESPACE,
    functions: env.HEALTH_FUNCTIONS,
    queues: env.HEALTH_QUEUES,
    webhookFunction: env.HEALTH_WEBHOOK_FUNCTION,
  };
}
