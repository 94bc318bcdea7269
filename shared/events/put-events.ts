import type { EventBridgeClient, PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { OutboxItem } from './outbox.ts';

/** PutEvents takes at most ten entries per call. */
export const MAX_ENTRIES_PER_CALL = 10;

/** EventBridge refused one entry of a PutEvents call (the call itself succeeded). */
export class EventRefusedError extends Error {
  readonly errorCode: string;
  constructor(errorCode: string, errorMessage: string | undefined) {
    super(`EventBridge refused the event: ${errorCode}${errorMessage ? ` (${errorMessage})` : ''}`);
    this.name = 'EventRefusedError';
    this.errorCode = errorCode;
  }
}

/** The PutEvents entry of an outbox item, on the given bus, dated by when the change happened. */
export function outboxEntry(item: OutboxItem, eventBusName: string): PutEventsRequestEntry {
  const time = new Date(item.occurredAt);
  return {
    EventBusName: eventBusName,
    Source: item.source,
    DetailType: item.detailType,
    Detail: item.detail,
    ...(Number.isNaN(time.getTime()) ? {} : { Time: time }),
  };
}

interface Pending {
  readonly entry: PutEventsRequestEntry;
  readonly resolve: (eventId: string) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Puts single events on the bus ten per PutEvents call: `put` resolves with the event's EventBridge
 * id once the call that carried it accepted it, and rejects with {@link EventRefusedError} when
 * EventBridge refused that entry, or with the call's error when the call failed as a whole. Entries
 * given in the same tick share calls (a batch processor's record handlers start in one tick).
 */
export function createEventPutter(eventBridge: Pick<EventBridgeClient, 'send'>) {
  let pending: Pending[] = [];
  let scheduled = false;

  async function send(chunk: readonly Pending[]): Promise<void> {
    try {
      const result = await eventBridge.send(
        new PutEventsCommand({ Entries: chunk.map((item) => item.entry) }),
      );
      // Result entries are in request order; a refused one carries an ErrorCode instead of an EventId.
      chunk.forEach((item, index) => {
        const outcome = result.Entries?.[index];
        if (outcome?.EventId && !outcome.ErrorCode) item.resolve(outcome.EventId);
        else item.reject(new EventRefusedError(outcome?.ErrorCode ?? 'Unknown', outcome?.ErrorMessage));
      });
    } catch (error) {
      for (const item of chunk) item.reject(error);
    }
  }

  function flush(): void {
    while (pending.length > 0) {
      const chunk = pending.slice(0, MAX_ENTRIES_PER_CALL);
      pending = pending.slice(MAX_ENTRIES_PER_CALL);
      void send(chunk);
    }
  }

  return {
    put(entry: PutEventsRequestEntry): Promise<string> {
      return new Promise<string>((resolve, reject) => {
        pending.push({ entry, resolve, reject });
        if (pending.length >= MAX_ENTRIES_PER_CALL) {
          flush();
        } else if (!scheduled) {
          scheduled = true;
          queueMicrotask(() => {
            scheduled = false;
            flush();
          });
        }
      });
    },
  };
}

export type EventPutter = ReturnType<typeof createEventPutter>;
