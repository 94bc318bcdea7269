import * as z from 'zod';
import { idSchema, roleSchema, tenantParams } from '../http/common.schema.ts';

export const memberSchema = z.object({
  tenantId: z.string(),
  userId: z.string(),
  email: z.string(),
  role: roleSchema,
  status: z.enum(['active', 'suspended']),
  joinedAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export type Member = z.infer<typeof memberSchema>;

/** A member as the tenant's list shows it: with their MFA status for those who manage members. */
export const memberListItemSchema = memberSchema.extend({
  mfaEnabled: z
    .boolean()
    .optional()
    .describe(
      'Whether the member has MFA on (their profile). Shown to admins and owners only, so they can see who lacks it before or after requiring it.',
    ),
});
export type MemberListItem = z.infer<typeof memberListItemSchema>;

/** Cognito `sub` values are UUIDs. */
export const userIdSchema = z.uuid();

export const memberParams = tenantParams.extend({ userId: userIdSchema });
export const changeRoleBody = z.strictObject({ role: roleSchema });
export { idSchema };
export type ChangeRoleInput = z.infer<typeof changeRoleBody>;
