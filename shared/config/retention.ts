import * as z from 'zod';
import { lazyValue } from '../app/deferred.ts';

/**
 * How long the table keeps each kind of record, in days: per stage configuration (lib/stage.ts
 * `retention`), passed to every function as environment variables by lib/constructs/app-function.ts.
 * Every writer of these records sets the item's `ttl` (epoch seconds) from them, and DynamoDB's TTL
 * deletes the item after that time (within about two days; locally `npm run dev` sweeps expired
 * items every five minutes, scripts/local/ttl-sweep.ts). A changed value applies to items written
 * after the change: existing items keep the `ttl` they were written with.
 *
 * The raw product event's retention is `PRODUCT_EVENT_TTL_DAYS` (shared/analytics/product/product.env.ts),
 * set from the same stage block.
 *
 * Built on the first {@link readRetention}, i.e. the first write that sets a `ttl`, not at cold start:
 * a read-only request never needs it.
 */
export const retentionEnvSchema = /* @__PURE__ */ lazyValue(() =>
  z.object({
    /** Tenant and platform audit entries (shared/audit/audit.writer.ts, shared/admin/platform-audit.ts). */
    AUDIT_RETENTION_DAYS: z.coerce.number().int().min(30).max(36_500).default(2562),
    /** Outbox items, counted from the moment EventBridge accepted their event (shared/events/outbox.ts). */
    OUTBOX_RETENTION_DAYS: z.coerce.number().int().min(1).max(365).default(7),
    /**
     * A tenant's communication history: one entry per email sent, ticket message and announcement
     * delivered (shared/mail/communications.ts).
     */
    COMMUNICATION_RETENTION_DAYS: z.coerce.number().int().min(30).max(3650).default(730),
    /** Export jobs and their archives (the export functions read it; the bucket's lifecycle matches). */
    EXPORT_RETENTION_DAYS: z.coerce.number().int().min(1).max(30).default(7),
  }),
);

export type RetentionEnv = z.infer<ReturnType<typeof retentionEnvSchema>>;

let cached: RetentionEnv | undefined;

/** The retention settings, read and validated once per container; fails fast naming a bad variable. */
export function readRetention(source: NodeJS.ProcessEnv = process.env): RetentionEnv {
  if (source === process.env && cached) return cached;
  const parsed = retentionEnvSchema().safeParse(source);
  if (!parsed.success) {
    const names = parsed.error.issues.map((i) => i.path.join('.')).join(', ');
    throw new Error(`Invalid retention environment: ${names}`, { cause: parsed.error });
  }
  if (source === process.env) cached = parsed.data;
  return parsed.data;
}

const DAY_SECONDS = 24 * 60 * 60;

/** The `ttl` (epoch seconds) of a record written at `from` and kept `days` days. */
export function ttlAfterDays(from: Date, days: number): number {
  return Math.floor(from.getTime() / 1000) + days * DAY_SECONDS;
}
