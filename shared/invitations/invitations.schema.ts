import * as z from 'zod';
import { lazyValue } from '../app/deferred.ts';
import { emailSchema, idSchema, roleSchema, tenantParams } from '../http/common.schema.ts';

export const invitationStatusSchema = /* @__PURE__ */ lazyValue(() =>
  z.enum(['pending', 'accepted', 'revoked', 'expired']),
);

export const invitationSchema = /* @__PURE__ */ lazyValue(() =>
  z.object({
    invitationId: z.string(),
    tenantId: z.string(),
    tenantName: z.string(),
    email: z.string(),
    role: roleSchema(),
    status: invitationStatusSchema(),
    invitedBy: z.string(),
    createdAt: z.iso.datetime(),
    expiresAt: z.iso.datetime(),
    acceptUrl: z.string(),
  }),
);
export type Invitation = z.infer<ReturnType<typeof invitationSchema>>;

export const createInvitationBody = /* @__PURE__ */ lazyValue(() =>
  z.strictObject({ email: emailSchema(), role: roleSchema() }),
);
export type CreateInvitationInput = z.infer<ReturnType<typeof createInvitationBody>>;

export const invitationParams = /* @__PURE__ */ lazyValue(() =>
  tenantParams().extend({ invitationId: idSchema() }),
);
export const acceptInvitationParams = /* @__PURE__ */ lazyValue(() =>
  z.strictObject({ invitationId: idSchema() }),
);
