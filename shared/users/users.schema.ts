import * as z from 'zod';
import { roleSchema } from '../http/common.schema.ts';

export const meResponse = z.object({
  userId: z.string(),
  email: z.string(),
  emailVerified: z.boolean(),
  platformAdmin: z.boolean(),
  memberships: z.array(
    z.object({ tenantId: z.string(), tenantName: z.string(), tenantSlug: z.string(), role: roleSchema }),
  ),
});
export type MeResponse = z.infer<typeof meResponse>;
