import { describe, expect, it } from 'vitest';
import { MAX_DISPUTES, mergeDispute } from '#shared/billing/webhooks/disputes.ts';
import { disputeSchema } from '#shared/billing/webhooks/stripe-objects.ts';
import { emptyBillingRecord } from '#shared/billing/webhooks/transitions.ts';
import { BASE_TIME, DAY, disputeObject } from '../support/stripe-events.ts';

const TENANT = '01jf00000000000000000000tt';
const NOW = '2026-03-01T12:00:05.000Z';
const dispute = (overrides: Parameters<typeof disputeObject>[0]) =>
  disputeSchema().parse(disputeObject(overrides));

describe('mergeDispute', () => {
  it('records an opened dispute with its amount, reason and evidence deadline', () => {
    const merged = mergeDispute(
      emptyBillingRecord(TENANT, NOW),
      dispute({ id: 'du_1', charge: 'ch_1', amount: 2900 }),
      { created: BASE_TIME, closed: false, now: NOW },
    );
    expect(merged?.next.disputes).toEqual([
      {
        disputeId: 'du_1',
        chargeId: 'ch_1',
        amount: { amount: 2900, currency: 'usd' },
        reason: 'fraudulent',
        status: 'needs_response',
        evidenceDueBy: new Date((BASE_TIME + 7 * DAY) * 1000).toISOString(),
        openedAt: new Date(BASE_TIME * 1000).toISOString(),
        closedAt: null,
        stripeUpdatedAt: BASE_TIME,
      },
    ]);
  });

  it('closes a dispute, keeping when it was opened', () => {
    const opened = mergeDispute(
      emptyBillingRecord(TENANT, NOW),
      dispute({ id: 'du_1', charge: 'ch_1', amount: 2900 }),
      { created: BASE_TIME, closed: false, now: NOW },
    );
    const closed = mergeDispute(
      opened?.next ?? emptyBillingRecord(TENANT, NOW),
      dispute({ id: 'du_1', charge: 'ch_1', amount: 2900, status: 'lost' }),
      { created: BASE_TIME + DAY, closed: true, now: NOW },
    );
    expect(closed?.before?.status).toBe('needs_response');
    expect(closed?.next.disputes).toMatchObject([
      { status: 'lost', evidenceDueBy: null, closedAt: new Date((BASE_TIME + DAY) * 1000).toISOString() },
    ]);
  });

  it('ignores an opening that arrives after the closing', () => {
    const closed = mergeDispute(
      emptyBillingRecord(TENANT, NOW),
      dispute({ id: 'du_1', charge: 'ch_1', amount: 2900, status: 'won' }),
      { created: BASE_TIME + DAY, closed: true, now: NOW },
    );
    const late = mergeDispute(
      closed?.next ?? emptyBillingRecord(TENANT, NOW),
      dispute({ id: 'du_1', charge: 'ch_1', amount: 2900 }),
      { created: BASE_TIME, closed: false, now: NOW },
    );
    expect(late).toBeUndefined();
  });

  it(`keeps the newest ${MAX_DISPUTES} disputes`, () => {
    let record = emptyBillingRecord(TENANT, NOW);
    for (let n = 0; n <= MAX_DISPUTES; n++) {
      record =
        mergeDispute(
          record,
          dispute({ id: `du_${n}`, charge: `ch_${n}`, amount: 100, created: BASE_TIME + n }),
          {
            created: BASE_TIME + n,
            closed: false,
            now: NOW,
          },
        )?.next ?? record;
    }
    expect(record.disputes).toHaveLength(MAX_DISPUTES);
    expect(record.disputes[0]?.disputeId).toBe(`du_${MAX_DISPUTES}`);
    expect(record.disputes.some((d) => d.disputeId === 'du_0')).toBe(false);
  });
});
