import * as z from 'zod';
import { lazyValue } from '../app/deferred.ts';
import { partialUpdate, roleSchema, slugSchema } from '../http/common.schema.ts';

const nameSchema = /* @__PURE__ */ lazyValue(() => z.string().trim().min(1).max(120));

export const tenantStatusSchema = /* @__PURE__ */ lazyValue(() => z.enum(['active', 'suspended', 'deleted']));

export const tenantSchema = /* @__PURE__ */ lazyValue(() =>
  z.object({
    tenantId: z.string(),
    name: nameSchema(),
    slug: slugSchema(),
    status: tenantStatusSchema(),
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
  }),
);
export type Tenant = z.infer<ReturnType<typeof tenantSchema>>;

export const tenantWithRoleSchema = /* @__PURE__ */ lazyValue(() =>
  tenantSchema().extend({ role: roleSchema() }),
);

export const createTenantBody = /* @__PURE__ */ lazyValue(() =>
  z.strictObject({ name: nameSchema(), slug: slugSchema() }),
);
export type CreateTenantInput = z.infer<ReturnType<typeof createTenantBody>>;

export const updateTenantBody = /* @__PURE__ */ lazyValue(() =>
  partialUpdate(
    z.strictObject({
      name: nameSchema().optional(),
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
  ),
);
export type UpdateTenantInput = z.infer<ReturnType<typeof updateTenantBody>>;

export const tenantListResponse = /* @__PURE__ */ lazyValue(() =>
  z.object({ items: z.array(tenantWithRoleSchema()) }),
);
