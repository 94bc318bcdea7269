import type { TransactStep } from '../../db/transact.ts';
import type { StripeEvent } from './stripe-objects.ts';
import type { WebhookDeps, WebhookMetricName } from './webhook.deps.ts';

/**
 * Something operators must see, raised by an event once its changes are written: logged at error
 * level and counted in its metric (which has an alarm). Raised after the commit, so a retried or
 * duplicate delivery does not count twice.
 */
export interface WebhookAlert {
  readonly metric: WebhookMetricName;
  readonly message: string;
  readonly details: Readonly<Record<string, unknown>>;
}

/** What a handler decided: write these steps (with the event's id, in one transaction), or nothing. */
export type HandlerOutcome =
  | { readonly kind: 'skip'; readonly reason: string; readonly alerts?: readonly WebhookAlert[] }
  | {
      readonly kind: 'apply';
      readonly tenantId: string | null;
      readonly steps: readonly TransactStep[];
      /** A few words for the log and the stored event record. */
      readonly summary: string;
      readonly alerts?: readonly WebhookAlert[];
    };

export type EventHandler = (event: StripeEvent, deps: WebhookDeps) => Promise<HandlerOutcome>;

export const skip = (reason: string, alerts: readonly WebhookAlert[] = []): HandlerOutcome => ({
  kind: 'skip',
  reason,
  alerts,
});

export const apply = (
  tenantId: string | null,
  steps: readonly TransactStep[],
  summary: string,
  alerts: readonly WebhookAlert[] = [],
): HandlerOutcome => ({ kind: 'apply', tenantId, steps, summary, alerts });
