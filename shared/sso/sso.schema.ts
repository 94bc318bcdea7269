import * as z from 'zod';
import { lazyValue } from '../app/deferred.ts';
import { emailSchema, idSchema } from '../http/common.schema.ts';

/** The roles a just-in-time member can get: never `owner` (owners are made by owners). */
export const ssoRoleSchema = /* @__PURE__ */ lazyValue(() => z.enum(['admin', 'manager', 'member']));
export type SsoRole = z.infer<ReturnType<typeof ssoRoleSchema>>;

const httpsUrl = /* @__PURE__ */ lazyValue(() =>
  z
    .url({ protocol: /^https$/, hostname: z.regexes.domain })
    .max(2048)
    .describe('An https URL.'),
);

/** A DNS name, lower-cased: what a tenant claims for its SSO. */
export const domainSchema = /* @__PURE__ */ lazyValue(() =>
  z
    .string()
    .trim()
    .toLowerCase()
    .max(253)
    .regex(
      /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/,
      'a domain name such as example.com (letters, digits, hyphens and dots)',
    ),
);

/** Built on first use, with the schemas that use them. */
const settingsFields = /* @__PURE__ */ lazyValue(() => ({
  defaultRole: ssoRoleSchema()
    .default('member')
    .describe(
      'The role a user gets in this tenant on their first sign-in through its provider (just in time).',
    ),
  requireSso: z
    .boolean()
    .default(false)
    .describe(
      "true: users whose email is in one of the tenant's verified domains may use this tenant only when signed in through SSO; password sign-ins get 403.",
    ),
}));

export const putSsoBody = /* @__PURE__ */ lazyValue(() =>
  z.discriminatedUnion('protocol', [
    z.strictObject({
      protocol: z.literal('saml'),
      metadataUrl: httpsUrl().describe("The SAML identity provider's metadata document (https)."),
      ...settingsFields(),
    }),
    z.strictObject({
      protocol: z.literal('oidc'),
      issuer: httpsUrl().describe(
        "The OIDC provider's issuer URL (https); its discovery document is read from it.",
      ),
      clientId: z.string().trim().min(1).max(255),
      clientSecret: z
        .string()
        .min(1)
        .max(1024)
        .describe('Stored in Secrets Manager and passed to the user pool; never returned.'),
      ...settingsFields(),
    }),
  ]),
);
export type PutSsoInput = z.infer<ReturnType<typeof putSsoBody>>;

export const domainStatusSchema = /* @__PURE__ */ lazyValue(() => z.enum(['pending', 'verified']));

export const txtRecordSchema = /* @__PURE__ */ lazyValue(() =>
  z.object({
    name: z.string().describe('The DNS name to publish the TXT record at.'),
    value: z.string().describe('The TXT record value.'),
  }),
);

export const ssoDomainSchema = /* @__PURE__ */ lazyValue(() =>
  z.object({
    domain: z.string(),
    status: domainStatusSchema(),
    txtRecord: txtRecordSchema(),
    claimedAt: z.iso.datetime(),
    verifiedAt: z.iso.datetime().optional(),
    verification: z
      .enum(['dns', 'simulated'])
      .optional()
      .describe('How the domain was verified: `simulated` only on a local stack, where no DNS is looked up.'),
  }),
);
export type SsoDomain = z.infer<ReturnType<typeof ssoDomainSchema>>;

export const ssoConfigSchema = /* @__PURE__ */ lazyValue(() =>
  z.object({
    tenantId: z.string(),
    protocol: z.enum(['saml', 'oidc']),
    providerName: z
      .string()
      .describe("The identity provider's name in the user pool (`identity_provider` of the hosted UI)."),
    metadataUrl: z.string().optional(),
    issuer: z.string().optional(),
    clientId: z.string().optional(),
    clientSecretStored: z
      .boolean()
      .describe('Whether an OIDC client secret is stored (it is never returned).'),
    defaultRole: ssoRoleSchema(),
    requireSso: z.boolean(),
    domains: z.array(ssoDomainSchema()),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  }),
);
export type SsoConfigView = z.infer<ReturnType<typeof ssoConfigSchema>>;

export const claimDomainBody = /* @__PURE__ */ lazyValue(() => z.strictObject({ domain: domainSchema() }));

export const domainParams = /* @__PURE__ */ lazyValue(() =>
  z.strictObject({ tenantId: idSchema(), domain: domainSchema() }),
);

export const domainVerificationSchema = /* @__PURE__ */ lazyValue(() =>
  ssoDomainSchema().extend({
    detail: z
      .string()
      .describe('What was checked: the DNS lookup, or that verification was simulated locally.'),
  }),
);

export const discoveryQuery = /* @__PURE__ */ lazyValue(() => z.strictObject({ email: emailSchema() }));

export const discoveryResponse = /* @__PURE__ */ lazyValue(() =>
  z.object({
    authorizeUrl: z
      .string()
      .describe(
        'The hosted UI authorize URL with the tenant’s `identity_provider`: send the user’s browser there.',
      ),
    identityProvider: z.string(),
  }),
);
