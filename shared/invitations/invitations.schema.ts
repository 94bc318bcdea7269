import * as z from 'zod';
import { emailSchema, idSchema, roleSchema, tenantParams } from '../http/common.schema.ts';

export const invitationStatusSchema = z.enum(['pending', 'accepted', 'revoked', 'expired']);

export const invitationSchema = z.object({
  invitationId: z.string(),
  tenantId: z.string(),
  tenantName: z.string(),
  email: z.string(),
  role: roleSchema,
  status: invitationStatusSchema,
  invitedBy: z.string(),
  createdAt: z.iso.datetime(),
  expiresAt: z.iso.datetime(),
  acceptUrl: z.string(),
});
export type Invitation = z.infer<typeof invitationSchema>;

export const createInvitationBody = z.strictObject({ email: emailSchema, role: roleSchema });
export type CreateInvitationInput = z.infer<typeof createInvitationBody>;

export const invitationParams = tenantParams.extend({ invitationId: idSchema });
export const acceptInvitationParams = z.strictObject({ invitationId: idSchema });
