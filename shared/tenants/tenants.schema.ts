import * as z from 'zod';
import { partialUpdate, roleSchema, slugSchema } from '../http/common.schema.ts';

const nameSchema = z.string().trim().min(1).max(120);

export const tenantStatusSchema = z.enum(['active', 'suspended', 'deleted']);

export const tenantSchema = z.object({
  tenantId: z.string(),
  name: nameSchema,
  slug: slugSchema,
  status: tenantStatusSchema,
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  createdBy: z.string(),
  supportAccess: z
    .boolean()
    .describe(
      "Whether the platform's support operators may open impersonation sessions for this tenant (owners turn it off).",
    ),
  requireMfa: z
    .boolean()
    .describe(
      'Whether members need an authenticator app (MFA) on to use this tenant: those without get 403 on its routes, except reading the tenant itself.',
    ),
});
export type Tenant = z.infer<typeof tenantSchema>;

export const tenantWithRoleSchema = tenantSchema.extend({ role: roleSchema });

export const createTenantBody = z.strictObject({ name: nameSchema, slug: slugSchema });
export type CreateTenantInput = z.infer<typeof createTenantBody>;

export const updateTenantBody = partialUpdate(
  z.strictObject({
    name: nameSchema.optional(),
    supportAccess: z
      .boolean()
      .optional()
      .describe(
        'false: support operators can no longer act as this tenant’s members (sessions are refused at once, open ones included).',
      ),
    requireMfa: z
      .boolean()
      .optional()
      .describe(
        'true: members without MFA are refused (403 saying how to enrol) at once. Needs the `mfa-policy` feature (Business) and MFA on for the owner who turns it on; turning it off needs neither.',
      ),
  }),
);
export type UpdateTenantInput = z.infer<typeof updateTenantBody>;

export const tenantListResponse = z.object({ items: z.array(tenantWithRoleSchema) });
