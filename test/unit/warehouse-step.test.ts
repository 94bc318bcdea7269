import { describe, expect, it } from 'vitest';
import type { WarehouseRedactionRequest, WarehouseRedactor } from '#shared/erasure/erasure.ports.ts';
import { runWarehouseStep, type WarehouseStepInput } from '#shared/erasure/warehouse-step.ts';

const deletedAt = '2026-12-03T10:00:00.000Z';
const SETTLE_MS = 30 * 60_000;

/** A redactor that records what it was asked and finishes (or yields when told to). */
function fakeRedactor(options: { yieldAfter?: number } = {}) {
  const requests: WarehouseRedactionRequest[] = [];
  const redactor: WarehouseRedactor = {
    async redact(request) {
      requests.push(request);
      for (let i = 0; i < 3; i++) {
        if (options.yieldAfter !== undefined && i >= options.yieldAfter && request.shouldYield?.()) {
          return { finished: false };
        }
      }
      return { finished: true };
    },
  };
  return { redactor, requests };
}

const input = (overrides: Partial<WarehouseStepInput>): WarehouseStepInput => ({
  match: { field: 'user_id', value: 'user-1' },
  erasureId: 'user-abc',
  copiesDeletedAt: deletedAt,
  settleMs: SETTLE_MS,
  budgetMs: 5 * 60_000,
  clock: () => new Date(Date.parse(deletedAt) + SETTLE_MS),
  cursor: undefined,
  record: async () => undefined,
  ...overrides,
});

describe('the warehouse step', () => {
  it('is skipped, saying why, where no warehouse bucket is configured', async () => {
    expect(await runWarehouseStep(input({ redactor: undefined }))).toEqual({
      status: 'skipped',
      note: 'no warehouse bucket is configured here',
    });
  });

  it('answers "not yet" until the settle time after the table copies were deleted, reading nothing', async () => {
    const { redactor, requests } = fakeRedactor();
    const result = await runWarehouseStep(
      input({ redactor, clock: () => new Date(Date.parse(deletedAt) + SETTLE_MS - 1000) }),
    );

    expect(result).toEqual({ status: 'deferred', until: new Date(Date.parse(deletedAt) + SETTLE_MS) });
    expect(requests).toEqual([]);
  });

  it('runs from the recorded cursor once the settle time has passed', async () => {
    const { redactor, requests } = fakeRedactor();

    expect(await runWarehouseStep(input({ redactor, cursor: 'events/b' }))).toEqual({ status: 'done' });
    expect(requests[0]).toMatchObject({
      match: { field: 'user_id', value: 'user-1' },
      startAfter: 'events/b',
      rewrittenBy: 'user-abc',
    });
  });

  it('skips objects older than the subject less an hour of clock skew, when it knows when that was', async () => {
    const { redactor, requests } = fakeRedactor();

    await runWarehouseStep(input({ redactor, since: new Date('2026-01-01T12:00:00.000Z') }));

    expect(requests[0]?.modifiedSince).toEqual(new Date('2026-01-01T11:00:00.000Z'));
  });

  it('defers to the next run (now) when its time budget is spent before the end', async () => {
    const { redactor } = fakeRedactor({ yieldAfter: 1 });
    let now = Date.parse(deletedAt) + SETTLE_MS;
    const clock = () => {
      now += 60_000;
      return new Date(now);
    };

    const result = await runWarehouseStep(input({ redactor, clock, budgetMs: 90_000 }));

    expect(result.status).toBe('deferred');
  });

  it('records counts with the cursor through the runner', async () => {
    const recorded: unknown[] = [];
    const redactor: WarehouseRedactor = {
      async redact(request) {
        await request.onProgress({ cursor: 'events/k1', counts: { 'object-read': 2 } });
        return { finished: true };
      },
    };

    await runWarehouseStep(
      input({ redactor, record: async (counts, cursor) => void recorded.push({ counts, cursor }) }),
    );

    expect(recorded).toEqual([{ counts: { 'object-read': 2 }, cursor: 'events/k1' }]);
  });
});
