import * as z from 'zod';
import { lazyValue } from '../app/deferred.ts';
import { idSchema, tenantParams } from '../http/common.schema.ts';
import { apiScopeNames, apiScopes } from './scopes.ts';

export const apiScopeSchema = /* @__PURE__ */ lazyValue(() =>
  z.enum(apiScopeNames).describe(
    Object.entries(apiScopes)
      .map(([name, scope]) => `\`${name}\`: ${scope.description}`)
      .join(' '),
  ),
);

export const createApiClientBody = /* @__PURE__ */ lazyValue(() =>
  z.strictObject({
    name: z.string().trim().min(1).max(100).describe('What the integration is, to tell clients apart.'),
    scopes: z
      .array(apiScopeSchema())
      .min(1)
      .max(apiScopeNames.length)
      .refine((scopes) => new Set(scopes).size === scopes.length, 'must not repeat a scope'),
  }),
);
export type CreateApiClientInput = z.infer<ReturnType<typeof createApiClientBody>>;

export const apiClientParams = /* @__PURE__ */ lazyValue(() =>
  tenantParams().extend({ clientId: idSchema() }),
);

export const apiClientSchema = /* @__PURE__ */ lazyValue(() =>
  z.object({
    clientId: z.string(),
    tenantId: z.string(),
    name: z.string(),
    scopes: z.array(apiScopeSchema()),
    keyPrefix: z
      .string()
      .describe('The visible start of the current key (`plk_<keyId>`), to tell keys apart; not a secret.'),
    status: z.enum(['active', 'revoked']),
    createdBy: z
      .string()
      .describe(
        "The user who created it: the client's permissions are its scopes within this user's current role.",
      ),
    createdAt: z.iso.datetime(),
    rotatedAt: z.iso.datetime().optional(),
    revokedAt: z.iso.datetime().optional(),
    lastUsedAt: z.iso
      .datetime()
      .optional()
      .describe('When its key last reached a tenant route (to the minute).'),
  }),
);
export type ApiClient = z.infer<ReturnType<typeof apiClientSchema>>;

/** The answer to create and rotate: the client and its key, shown this once and never stored. */
export const issuedApiClientSchema = /* @__PURE__ */ lazyValue(() =>
  apiClientSchema().extend({
    key: z
      .string()
      .describe(
        'The API key, `plk_<keyId>_<secret>`: send it as `Authorization: Bearer <key>`. Shown only in this response; Plinth keeps only its hash.',
      ),
  }),
);
export type IssuedApiClient = z.infer<ReturnType<typeof issuedApiClientSchema>>;
