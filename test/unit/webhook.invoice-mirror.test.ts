import { describe, expect, it } from 'vitest';
import {
  amountRefundedOf,
  chargeIdsInPayload,
  type InvoiceRecord,
  mergeChargeRefunded,
  mergeInvoiceSnapshot,
  mergeRefund,
} from '#shared/billing/webhooks/invoice-mirror.ts';
import { invoiceSchema, refundSchema } from '#shared/billing/webhooks/stripe-objects.ts';
import { BASE_TIME, type InvoiceInput, invoiceObject, refundObject } from '../support/stripe-events.ts';

const TENANT = '01jf00000000000000000000tt';

function parsedInvoice(input: Partial<InvoiceInput> = {}) {
  const invoice = invoiceSchema().parse(
    invoiceObject({
      customer: 'cus_1',
      subscription: 'sub_1',
      status: 'paid',
      subtotal: 2900,
      tax: 232,
      ...input,
    }),
  );
  if (!invoice.id) throw new Error('built invoices have ids');
  return { ...invoice, id: invoice.id };
}

function stored(input: Partial<InvoiceInput> = {}, created = BASE_TIME): InvoiceRecord {
  const record = mergeInvoiceSnapshot(undefined, parsedInvoice(input), {
    tenantId: TENANT,
    created,
    chargeId: 'ch_1',
  });
  if (!record) throw new Error('a first snapshot is never stale');
  return record;
}

const refund = (status: 'pending' | 'succeeded' | 'failed' | 'canceled', amount = 1000, id = 're_1') =>
  refundSchema().parse(refundObject({ id, charge: 'ch_1', customer: 'cus_1', amount, status }));

describe('mergeInvoiceSnapshot', () => {
  it('mirrors amounts, tax, status, payment time, number and hosted URL', () => {
    const record = stored({ paidAt: BASE_TIME + 60 });
    expect(record).toMatchObject({
      tenantId: TENANT,
      subscriptionId: 'sub_1',
      status: 'paid',
      currency: 'usd',
      amountDue: 3132,
      amountPaid: 3132,
      tax: 232,
      total: 3132,
      paidAt: new Date((BASE_TIME + 60) * 1000).toISOString(),
      chargeId: 'ch_1',
      amountRefunded: 0,
      refunds: [],
    });
    expect(record.number).toMatch(/^PLN-/);
    expect(record.hostedInvoiceUrl).toMatch(/^https:\/\/invoice\.stripe\.com\//);
  });

  it('ignores a snapshot older than the stored one', () => {
    const previous = stored({}, BASE_TIME + 10);
    const older = mergeInvoiceSnapshot(previous, parsedInvoice({ id: previous.invoiceId, status: 'open' }), {
      tenantId: TENANT,
      created: BASE_TIME,
      chargeId: null,
    });
    expect(older).toBeUndefined();
  });

  it('keeps the refunds and the charge when the invoice changes', () => {
    const withRefund = mergeRefund(stored(), refund('succeeded'), BASE_TIME + 5)?.next;
    if (!withRefund) throw new Error('expected a merge');
    const next = mergeInvoiceSnapshot(withRefund, parsedInvoice({ id: withRefund.invoiceId }), {
      tenantId: TENANT,
      created: BASE_TIME + 10,
      chargeId: null,
    });
    expect(next).toMatchObject({ chargeId: 'ch_1', amountRefunded: 1000 });
    expect(next?.refunds).toHaveLength(1);
  });
});

describe('mergeRefund', () => {
  it('adds a succeeded refund and counts it', () => {
    const merged = mergeRefund(stored(), refund('succeeded'), BASE_TIME + 5);
    expect(merged?.newlySucceeded).toBe(true);
    expect(merged?.next.amountRefunded).toBe(1000);
    expect(merged?.next.refunds[0]).toMatchObject({ refundId: 're_1', amount: 1000, status: 'succeeded' });
  });

  it('reports success only once, when a pending refund succeeds', () => {
    const pending = mergeRefund(stored(), refund('pending'), BASE_TIME + 5);
    const succeeded = pending && mergeRefund(pending.next, refund('succeeded'), BASE_TIME + 6);
    const again = succeeded && mergeRefund(succeeded.next, refund('succeeded'), BASE_TIME + 7);
    expect([pending?.newlySucceeded, succeeded?.newlySucceeded, again?.newlySucceeded]).toEqual([
      false,
      true,
      false,
    ]);
  });

  it('stops counting a refund that fails later', () => {
    const succeeded = mergeRefund(stored(), refund('succeeded'), BASE_TIME + 5);
    const failed = succeeded && mergeRefund(succeeded.next, refund('failed'), BASE_TIME + 50);
    expect(failed?.next.amountRefunded).toBe(0);
    expect(failed?.next.refunds[0]?.status).toBe('failed');
  });

  it('ignores an older word on a refund', () => {
    const failed = mergeRefund(stored(), refund('failed'), BASE_TIME + 50);
    expect(failed && mergeRefund(failed.next, refund('succeeded'), BASE_TIME + 5)).toBeUndefined();
  });

  it('keeps the operator reason the admin API puts in metadata', () => {
    const withReason = refundSchema().parse(
      refundObject({
        charge: 'ch_1',
        customer: 'cus_1',
        amount: 500,
        status: 'succeeded',
        metadata: { reason: 'double charge' },
      }),
    );
    expect(mergeRefund(stored(), withReason, BASE_TIME + 5)?.next.refunds[0]?.reason).toBe('double charge');
  });
});

describe('refunded total', () => {
  it("takes the charge's total when it is the newest word", () => {
    const next = mergeChargeRefunded(stored(), 1500, BASE_TIME + 5);
    expect(next?.amountRefunded).toBe(1500);
  });

  it('takes the sum of refunds when a refund event is newer than the charge', () => {
    const charged = mergeChargeRefunded(stored(), 1000, BASE_TIME + 5);
    const failed = charged && mergeRefund(charged, refund('failed'), BASE_TIME + 50);
    expect(failed?.next.amountRefunded).toBe(0);
  });

  it('ignores an older charge total', () => {
    const charged = mergeChargeRefunded(stored(), 1000, BASE_TIME + 50);
    expect(charged && mergeChargeRefunded(charged, 0, BASE_TIME + 5)).toBeUndefined();
  });

  it('is zero with no refunds', () => {
    expect(amountRefundedOf({ refunds: [], refundsUpdatedAt: 0, chargeRefunded: null })).toBe(0);
  });
});

describe('chargeIdsInPayload', () => {
  it('reads the paying charge when the payments are included', () => {
    expect(chargeIdsInPayload(parsedInvoice({ paidByCharge: 'ch_paid' }))).toEqual(['ch_paid']);
  });

  it('finds nothing in a webhook payload, which leaves payments out', () => {
    expect(chargeIdsInPayload(parsedInvoice())).toEqual([]);
  });
});
