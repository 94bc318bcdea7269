import { warehouseDelivery } from '../analytics/product/warehouse.ts';
import type { WarehouseRedactionRequest, WarehouseRedactor } from './erasure.ports.ts';

/**
 * The `warehouse` step of an erasure: the subject's lines in the product warehouse's S3 objects.
 *
 * Late lines: Firehose holds records up to its buffering interval before it writes them, behind the
 * stream consumer's own delay, so an event stored just before the erasure may reach S3 after a
 * first pass. The step therefore does not start until `settleMs` after the step that deleted the
 * table's copies (`product-events` of a user, `tenant-items` of a tenant) finished: by then no line
 * of the subject can still be on its way (no new ones are made: the memberships are gone, or the
 * tenant is deleted). Until then it answers "not yet" and the runner defers the erasure.
 */

/** Firehose's buffering interval plus 15 minutes for the stream consumer's delay and retries. */
export const DEFAULT_WAREHOUSE_SETTLE_SECONDS = warehouseDelivery.bufferingIntervalSeconds + 15 * 60;

/** How long one run may spend on the step before it records its cursor and yields. @default 5 minutes */
export const DEFAULT_WAREHOUSE_BUDGET_MS = 5 * 60_000;

export type WarehouseStepResult =
  | { readonly status: 'done' | 'skipped'; readonly note?: string }
  | { readonly status: 'deferred'; readonly until: Date };

export interface WarehouseStepInput {
  /** Absent where no warehouse bucket is configured: the step is skipped with a note. */
  readonly redactor?: WarehouseRedactor | undefined;
  readonly match: WarehouseRedactionRequest['match'];
  readonly erasureId: string;
  /** When the step that deleted the subject's table copies finished (ISO). */
  readonly copiesDeletedAt: string | undefined;
  readonly settleMs: number;
  readonly budgetMs: number;
  readonly clock: () => Date;
  /** Where the last run stopped. */
  readonly cursor: string | undefined;
  /** The earliest time the subject can have events (a tenant's creation); undefined: read every object. */
  readonly since?: Date | undefined;
  /** Adds counts to the step's progress and moves its cursor, in one write. */
  readonly record: (counts: Readonly<Record<string, number>>, cursor: string) => Promise<void>;
}

/** Clock skew between the Lambda clock that stamped `since` and S3's LastModified. */
const SKEW_MS = 60 * 60_000;

export async function runWarehouseStep(input: WarehouseStepInput): Promise<WarehouseStepResult> {
  if (!input.redactor) return { status: 'skipped', note: 'no warehouse bucket is configured here' };
  const started = input.clock();
  const settled = new Date(Date.parse(input.copiesDeletedAt ?? started.toISOString()) + input.settleMs);
  if (started.getTime() < settled.getTime()) return { status: 'deferred', until: settled };
  const { finished } = await input.redactor.redact({
    match: input.match,
    startAfter: input.cursor,
    ...(input.since ? { modifiedSince: new Date(input.since.getTime() - SKEW_MS) } : {}),
    rewrittenBy: input.erasureId,
    onProgress: ({ cursor, counts }) => input.record(counts, cursor),
    shouldYield: () => input.clock().getTime() - started.getTime() >= input.budgetMs,
  });
  // Yielded: the next scheduled run goes on from the cursor.
  return finished ? { status: 'done' } : { status: 'deferred', until: input.clock() };
}
