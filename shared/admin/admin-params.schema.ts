import * as z from 'zod';
import { idSchema } from '../http/common.schema.ts';

/**
 * The path parameters and body every operator route shares, apart from the accounts routes' own
 * schemas (shared/admin/accounts.schema.ts re-exports them), so a function serving a few operator
 * routes (erasure) does not build every account schema at cold start.
 */

/** Cognito `sub` values are UUIDs. */
export const adminUserParams = z.strictObject({ userId: z.uuid() });
export const adminTenantIdParams = z.strictObject({ tenantId: idSchema });

/** Every operator change says why. */
export const reasonBody = z.strictObject({
  reason: z.string().trim().min(3).max(500).describe('Why: recorded in the platform audit log.'),
});
export type ReasonInput = z.infer<typeof reasonBody>;
