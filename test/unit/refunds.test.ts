import { describe, expect, it } from 'vitest';
import type { AdminRepository } from '#shared/admin/admin.repository.ts';
import { createRefundService } from '#shared/admin/billing/refunds.service.ts';
import type { PlatformAuditEvent } from '#shared/admin/platform-audit.ts';
import type { Caller } from '#shared/auth/caller.ts';
import type { RefundInput } from '#shared/billing/stripe-gateway.ts';
import { ForbiddenError, NotFoundError } from '#shared/http/errors.ts';
import { fakeStripe } from '../support/fake-stripe.ts';

const TENANT_ID = '01jf0000000000000000000000';
const request = { requestId: 'req-1', sourceIp: '203.0.113.7' };
const operator: Caller = { userId: 'op-1', groups: ['platform-admin'], platformAdmin: true };
const customer: Caller = { userId: 'user-1', groups: [], platformAdmin: false };
const body = { chargeId: 'ch_1', amount: 1200, reason: 'Charged twice for March' };

/** An admin repository knowing one tenant and its charges; records audit entries. */
function fakeAdmin(charges: readonly string[] = ['ch_1'], tenantExists = true) {
  const audits: PlatformAuditEvent[] = [];
  const lookups: string[] = [];
  const admin: AdminRepository = {
    findTenantCharge: async (tenantId, chargeId) => {
      lookups.push(`${tenantId}/${chargeId}`);
      return { tenant: tenantExists && tenantId === TENANT_ID, charge: charges.includes(chargeId) };
    },
    audit: async (event) => {
      audits.push(event);
    },
  };
  return { admin, audits, lookups };
}

function setup(options: { charges?: readonly string[]; tenantExists?: boolean } = {}) {
  const stripe = fakeStripe();
  const repo = fakeAdmin(options.charges, options.tenantExists);
  return { service: createRefundService({ admin: repo.admin, stripe: stripe.gateway }), stripe, repo };
}

describe('refunds', () => {
  it('refuses anyone outside the platform-admin group with 403, before looking anything up', async () => {
    const { service, stripe, repo } = setup();
    await expect(service.refund(customer, TENANT_ID, body, request)).rejects.toThrow(ForbiddenError);
    expect(repo.lookups).toEqual([]);
    expect(stripe.calls).toEqual([]);
  });

  it('answers 404 for a tenant that does not exist', async () => {
    const { service, stripe } = setup({ tenantExists: false });
    await expect(service.refund(operator, TENANT_ID, body, request)).rejects.toThrow('Tenant not found.');
    expect(stripe.calls).toEqual([]);
  });

  it("answers 404 for a charge that is not one of the tenant's payments", async () => {
    const { service, stripe } = setup({ charges: ['ch_other'] });
    await expect(service.refund(operator, TENANT_ID, body, request)).rejects.toThrow(NotFoundError);
    expect(stripe.calls).toEqual([]);
  });

  it('refunds the amount asked, with the tenant, reason and operator in metadata', async () => {
    const { service, stripe } = setup();
    const refund = await service.refund(operator, TENANT_ID, body, request);
    expect(refund).toMatchObject({ refundId: 're_1', chargeId: 'ch_1', amount: 1200 });
    expect(stripe.callsOf('createRefund')[0]?.args[0]).toEqual({
      chargeId: 'ch_1',
      amount: 1200,
      metadata: { tenantId: TENANT_ID, reason: 'Charged twice for March', operatorId: 'op-1' },
    } satisfies RefundInput);
  });

  it('refunds the whole remaining amount when no amount is given', async () => {
    const { service, stripe } = setup();
    await service.refund(operator, TENANT_ID, { chargeId: 'ch_1', reason: 'Service outage' }, request);
    expect(stripe.callsOf('createRefund')[0]?.args[0]).toMatchObject({ amount: undefined });
  });

  it('gives a retried refund the same idempotency key, so Stripe pays out once', async () => {
    const { service, stripe } = setup();
    await service.refund(operator, TENANT_ID, body, request);
    await service.refund(operator, TENANT_ID, body, { ...request, requestId: 'req-2' });
    const [first, retry] = stripe.callsOf('createRefund').map((c) => c.idempotencyKey);
    expect(retry).toBe(first);
  });

  it('gives a refund of another amount another key', async () => {
    const { service, stripe } = setup();
    await service.refund(operator, TENANT_ID, body, request);
    await service.refund(operator, TENANT_ID, { ...body, amount: 300 }, request);
    const [first, second] = stripe.callsOf('createRefund').map((c) => c.idempotencyKey);
    expect(second).not.toBe(first);
  });

  it('audits the refund for the platform and the tenant with the operator, amount and reason', async () => {
    const { service, repo } = setup();
    await service.refund(operator, TENANT_ID, body, request);
    expect(repo.audits).toEqual([
      expect.objectContaining({
        operatorId: 'op-1',
        action: 'billing.refund-created',
        target: { type: 'charge', id: 'ch_1', tenantId: TENANT_ID },
        after: expect.objectContaining({ refundId: 're_1', amount: 1200 }),
        reason: 'Charged twice for March',
      }),
    ]);
  });
});
