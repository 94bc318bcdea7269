import * as z from 'zod';
import { lazyValue } from '../app/deferred.ts';
import { idSchema, pageOf, paginationQuery } from '../http/common.schema.ts';

/** The longest impersonation session an operator may open, in minutes. */
export const MAX_IMPERSONATION_MINUTES = 60;

/** `POST /admin/impersonations`: whom to act as, where, why and for how long. */
export const openImpersonationBody = /* @__PURE__ */ lazyValue(() =>
  z.strictObject({
    /** The user's id (Cognito `sub`, as `GET /admin/users` and the tenant's members list show it). */
    userId: z.string().trim().min(1).max(128),
    /** Limits the session to this one tenant of the user's; without it, every tenant of theirs. */
    tenantId: idSchema().optional(),
    reason: z.string().trim().min(3).max(500),
    minutes: z.number().int().min(1).max(MAX_IMPERSONATION_MINUTES),
  }),
);
export type OpenImpersonationInput = z.infer<ReturnType<typeof openImpersonationBody>>;

export const impersonationSessionSchema = /* @__PURE__ */ lazyValue(() =>
  z.object({
    sessionId: z.string().describe('Send it as the `Plinth-Impersonation` header with your own token.'),
    operatorId: z.string(),
    userId: z.string(),
    tenantId: z.string().optional().describe('Present when the session is limited to this tenant.'),
    reason: z.string(),
    openedAt: z.iso.datetime(),
    expiresAt: z.iso.datetime(),
    secondsLeft: z.number().int().min(0),
  }),
);
export type ImpersonationSessionView = z.infer<ReturnType<typeof impersonationSessionSchema>>;

export const impersonationListQuery = /* @__PURE__ */ lazyValue(() => paginationQuery());
export const impersonationListResponse = /* @__PURE__ */ lazyValue(() =>
  pageOf(impersonationSessionSchema()),
);

export const impersonationParams = /* @__PURE__ */ lazyValue(() => z.strictObject({ sessionId: idSchema() }));
