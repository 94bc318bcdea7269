import type { SQSBatchResponse, SQSRecord } from 'aws-lambda';
import * as z from 'zod';
import { lazyValue } from '../app/deferred.ts';
import { parseSubscriptionEvent } from '../events/subscription-events.ts';
import type { MrrChange } from './movements.ts';
import { type MrrLedgerDeps, type RecordOutcome, recordMrrChange } from './mrr-ledger.ts';

/**
 * The movements consumer: subscription events from the bus (through the `analytics-movements`
 * rule's queue) become MRR movements. Every event that can change a tenant's MRR is one of these
 * types (the billing state machine emits `Subscription Changed` for any change of the recurring
 * amount); `Subscription Restricted` is left out because restricting never changes MRR.
 */
export const mrrEventTypes = [
  'Subscription Started v1',
  'Subscription Changed v1',
  'Subscription Past Due v1',
  'Subscription Canceled v1',
  'Subscription Reactivated v1',
] as const;
type MrrEventType = (typeof mrrEventTypes)[number];

/** An EventBridge event as the rule's queue delivers it (the SQS message body). */
const busEventSchema = /* @__PURE__ */ lazyValue(() =>
  z.object({
    id: z.string(),
    'detail-type': z.string(),
    source: z.string(),
    detail: z.unknown(),
  }),
);

/** The MRR change a bus event describes, or undefined for a type that never moves MRR. */
export function mrrChangeOf(body: unknown): MrrChange | undefined {
  const event = busEventSchema().parse(body);
  const type = event['detail-type'];
  if (!(mrrEventTypes as readonly string[]).includes(type)) return undefined;
  const detail = parseSubscriptionEvent(type as MrrEventType, event.detail);
  return {
    eventId: detail.eventId,
    tenantId: detail.tenantId,
    amount: detail.amount.amount,
    currency: detail.amount.currency,
    plan: detail.plan,
    occurredAt: detail.occurredAt,
    status: detail.status,
    ...(detail.comp === undefined ? {} : { comp: detail.comp }),
  };
}

export interface MovementsFailure {
  readonly messageId: string;
  readonly error: unknown;
}

/**
 * Handles a batch of the rule's queue. A tenant's records are applied one after the other, oldest
 * change first (tenants in parallel), so a batch that carries several changes of one tenant applies
 * them in order instead of dropping the older as stale. A record that fails (a detail breaking its
 * schema, a DynamoDB fault) is reported as a batch item failure and retried, then dead-lettered;
 * the tenant's later records in the batch are retried with it, so they are not applied before it.
 */
export async function processMovementRecords(
  records: readonly SQSRecord[],
  deps: MrrLedgerDeps,
  onFailure: (failure: MovementsFailure) => void = () => undefined,
  onRecorded: (outcome: RecordOutcome, change: MrrChange) => void = () => undefined,
): Promise<SQSBatchResponse> {
  const failures: string[] = [];
  const byTenant = new Map<string, { record: SQSRecord; change: MrrChange }[]>();
  for (const record of records) {
    try {
      const change = mrrChangeOf(JSON.parse(record.body));
      if (!change) continue;
      byTenant.set(change.tenantId, [...(byTenant.get(change.tenantId) ?? []), { record, change }]);
    } catch (error) {
      onFailure({ messageId: record.messageId, error });
      failures.push(record.messageId);
    }
  }
  await Promise.all(
    [...byTenant.values()].map(async (entries) => {
      const ordered = [...entries].sort(
        (a, b) => Date.parse(a.change.occurredAt) - Date.parse(b.change.occurredAt),
      );
      for (let i = 0; i < ordered.length; i++) {
        const entry = ordered[i];
        if (!entry) continue;
        try {
          onRecorded(await recordMrrChange(deps, entry.change), entry.change);
        } catch (error) {
          onFailure({ messageId: entry.record.messageId, error });
          failures.push(...ordered.slice(i).map((rest) => rest.record.messageId));
          return;
        }
      }
    }),
  );
  return { batchItemFailures: failures.map((itemIdentifier) => ({ itemIdentifier })) };
}
