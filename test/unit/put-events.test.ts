import type { PutEventsCommand, PutEventsResultEntry } from '@aws-sdk/client-eventbridge';
import { describe, expect, it } from 'vitest';
import { createEventPutter, EventRefusedError } from '#shared/events/put-events.ts';

/** An EventBridge client that records each PutEvents call and answers with `answer`. */
function fakeEventBridge(answer: (entries: number, call: number) => PutEventsResultEntry[] | Error) {
  const calls: number[] = [];
  return {
    calls,
    client: {
      send: async (command: PutEventsCommand) => {
        const entries = command.input.Entries?.length ?? 0;
        calls.push(entries);
        const result = answer(entries, calls.length);
        if (result instanceof Error) throw result;
        return { FailedEntryCount: result.filter((entry) => entry.ErrorCode).length, Entries: result };
      },
    } as never,
  };
}

const entry = (n: number) => ({ Source: 'plinth', DetailType: 'Test v1', Detail: JSON.stringify({ n }) });
const accepted = (entries: number) =>
  Array.from({ length: entries }, (_, index) => ({ EventId: `id-${index}` }));

describe('event putter', () => {
  it('puts the entries given in one tick ten per PutEvents call', async () => {
    const { client, calls } = fakeEventBridge(accepted);
    const putter = createEventPutter(client);

    await Promise.all(Array.from({ length: 23 }, (_, n) => putter.put(entry(n))));

    expect(calls).toEqual([10, 10, 3]);
  });

  it('rejects only the entry EventBridge refused, with its error code', async () => {
    const { client } = fakeEventBridge((entries) =>
      accepted(entries).map((result, index) =>
        index === 1 ? { ErrorCode: 'MalformedDetail', ErrorMessage: 'bad' } : result,
      ),
    );
    const putter = createEventPutter(client);

    const outcomes = await Promise.allSettled([0, 1, 2].map((n) => putter.put(entry(n))));

    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const refused = outcomes[1] as PromiseRejectedResult;
    expect(refused.reason).toBeInstanceOf(EventRefusedError);
    expect((refused.reason as EventRefusedError).errorCode).toBe('MalformedDetail');
  });

  it('rejects every entry of a call that failed as a whole, and only those', async () => {
    const { client } = fakeEventBridge((entries, call) =>
      call === 1 ? new Error('ThrottlingException') : accepted(entries),
    );
    const putter = createEventPutter(client);

    const outcomes = await Promise.allSettled(Array.from({ length: 12 }, (_, n) => putter.put(entry(n))));

    expect(outcomes.filter((outcome) => outcome.status === 'rejected')).toHaveLength(10);
    expect(outcomes.slice(10).map((outcome) => outcome.status)).toEqual(['fulfilled', 'fulfilled']);
  });
});
