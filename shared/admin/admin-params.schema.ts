import * as z from 'zod';
import { lazyValue } from '../app/deferred.ts';
import { idSchema } from '../http/common.schema.ts';

// The operator routes' path parameters and reason body, which other areas' routes use too (support,
// erasure): apart from the rest of shared/admin/accounts.schema.ts (which re-exports them), so that
// those functions do not build the accounts routes' schemas at cold start.

/** Cognito `sub` values are UUIDs. */
export const adminUserParams = /* @__PURE__ */ lazyValue(() => z.strictObject({ userId: z.uuid() }));
export const adminTenantIdParams = /* @__PURE__ */ lazyValue(() => z.strictObject({ tenantId: idSchema() }));

/** Every operator change says why. */
export const reasonBody = /* @__PURE__ */ lazyValue(() =>
  z.strictObject({
    reason: z.string().trim().min(3).max(500).describe('Why: recorded in the platform audit log.'),
  }),
);
export type ReasonInput = z.infer<ReturnType<typeof reasonBody>>;
