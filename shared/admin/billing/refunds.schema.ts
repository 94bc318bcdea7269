import * as z from 'zod';
import { lazyValue } from '../../app/deferred.ts';
import { idSchema } from '../../http/common.schema.ts';

/** The operators' refund route (`POST /admin/tenants/{tenantId}/refunds`): request and answer. */
export const refundBody = /* @__PURE__ */ lazyValue(() =>
  z.strictObject({
    /** The Stripe charge to refund (from the tenant's payment history). */
    chargeId: z.string().regex(/^ch_[A-Za-z0-9]+$/, 'a Stripe charge id (ch_…)'),
    /** Minor units; absent = the whole remaining amount. */
    amount: z.number().int().positive().optional(),
    reason: z.string().trim().min(3).max(500),
  }),
);
export const refundResponse = /* @__PURE__ */ lazyValue(() =>
  z.object({
    refundId: z.string(),
    chargeId: z.string(),
    amount: z.number().int(),
    currency: z.string(),
    status: z.string(),
  }),
);

export const adminTenantParams = /* @__PURE__ */ lazyValue(() => z.strictObject({ tenantId: idSchema() }));
