import * as z from 'zod';
import { lazyValue } from '../app/deferred.ts';
import { idSchema, roleSchema, tenantParams } from '../http/common.schema.ts';

export const memberSchema = /* @__PURE__ */ lazyValue(() =>
  z.object({
    tenantId: z.string(),
    userId: z.string(),
    email: z.string(),
    role: roleSchema(),
    status: z.enum(['active', 'suspended']),
    joinedAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  }),
);
export type Member = z.infer<ReturnType<typeof memberSchema>>;

/** A member as the tenant's list shows it: with their MFA status for those who manage members. */
export const memberListItemSchema = /* @__PURE__ */ lazyValue(() =>
  memberSchema().extend({
    mfaEnabled: z
      .boolean()
      .optional()
      .describe(
        'Whether the member has MFA on (their profile). Shown to admins and owners only, so they can see who lacks it before or after requiring it.',
      ),
  }),
);
export type MemberListItem = z.infer<ReturnType<typeof memberListItemSchema>>;

/** Cognito `sub` values are UUIDs. */
export const userIdSchema = /* @__PURE__ */ lazyValue(() => z.uuid());

export const memberParams = /* @__PURE__ */ lazyValue(() =>
  tenantParams().extend({ userId: userIdSchema() }),
);
export const changeRoleBody = /* @__PURE__ */ lazyValue(() => z.strictObject({ role: roleSchema() }));
export { idSchema };
export type ChangeRoleInput = z.infer<ReturnType<typeof changeRoleBody>>;
