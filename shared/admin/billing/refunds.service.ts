import type * as z from 'zod';
import type { Caller } from '../../auth/caller.ts';
import { idempotencyKey } from '../../billing/idempotency-key.ts';
import type { StripeGateway } from '../../billing/stripe-gateway.ts';
import type { RequestMeta } from '../../http/api-handler.ts';
import { NotFoundError } from '../../http/errors.ts';
import type { AdminRepository } from '../admin.repository.ts';
import { requireOperatorPermission } from '../operators.ts';
import type { refundBody, refundResponse } from './refunds.schema.ts';

export type RefundInput = z.infer<ReturnType<typeof refundBody>>;
export type RefundView = z.infer<ReturnType<typeof refundResponse>>;

export interface RefundServiceDeps {
  readonly admin: AdminRepository;
  readonly stripe: StripeGateway;
}

/**
 * Refunds by finance operators (`billing:adjust`; the route's guard checked it with MFA, and the
 * use case repeats the role check). The admin API is not tenant-scoped: the tenant must exist and
 * the charge must be one of its payments (404 otherwise). The mirror of the charge moves when
 * Stripe's `charge.refunded` / `charge.refund.updated` arrive.
 */
export function createRefundService({ admin, stripe }: RefundServiceDeps) {
  return {
    async refund(
      caller: Caller,
      tenantId: string,
      input: RefundInput,
      request: RequestMeta,
    ): Promise<RefundView> {
      requireOperatorPermission(caller, 'billing:adjust');
      const found = await admin.findTenantCharge(tenantId, input.chargeId);
      if (!found.tenant) throw new NotFoundError('Tenant not found.');
      if (!found.charge) throw new NotFoundError('No such charge among this tenant’s payments.');

      // The same operator asking for the same refund of the same charge for the same reason is a
      // retry: within Stripe's 24 h key window it returns the first refund instead of paying twice.
      const refund = await stripe.createRefund(
        {
          chargeId: input.chargeId,
          amount: input.amount,
          metadata: { tenantId, reason: input.reason, operatorId: caller.userId },
        },
        idempotencyKey(
          'refund',
          tenantId,
          input.chargeId,
          input.amount ?? 'full',
          input.reason,
          caller.userId,
        ),
      );
      await admin.audit({
        operatorId: caller.userId,
        request,
        action: 'billing.refund-created',
        target: { type: 'charge', id: input.chargeId, tenantId },
        before: null,
        after: {
          refundId: refund.refundId,
          amount: refund.amount,
          currency: refund.currency,
          status: refund.status,
          requestedAmount: input.amount ?? 'full',
        },
        reason: input.reason,
      });
      return refund;
    },
  };
}

export type RefundService = ReturnType<typeof createRefundService>;
