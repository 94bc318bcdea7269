import * as z from 'zod';
import { lazyValue } from '../app/deferred.ts';
import { roleSchema } from '../http/common.schema.ts';

export const meResponse = /* @__PURE__ */ lazyValue(() =>
  z.object({
    userId: z.string(),
    email: z.string(),
    emailVerified: z.boolean(),
    platformAdmin: z.boolean(),
    mfaEnabled: z
      .boolean()
      .describe(
        'Whether the caller turned on an authenticator app (TOTP) through POST /v1/me/mfa/totp/verification.',
      ),
    memberships: z.array(
      z.object({ tenantId: z.string(), tenantName: z.string(), tenantSlug: z.string(), role: roleSchema() }),
    ),
  }),
);
export type MeResponse = z.infer<ReturnType<typeof meResponse>>;

/** `POST /v1/me/mfa/totp`: the secret to put in an authenticator app, also as an `otpauth://` URI (QR code). */
export const totpEnrolmentResponse = /* @__PURE__ */ lazyValue(() =>
  z.object({
    secret: z
      .string()
      .describe('Base32 TOTP secret (SHA-1, 6 digits, 30 s). Shown once; Plinth does not store it.'),
    otpauthUri: z
      .string()
      .describe(
        'The same secret as a Key URI (`otpauth://totp/…`) to render as a QR code for the app to scan.',
      ),
  }),
);

export const verifyTotpBody = /* @__PURE__ */ lazyValue(() =>
  z.strictObject({
    code: z
      .string()
      .regex(/^\d{6}$/, 'must be the 6 digits the authenticator app shows')
      .describe('The current code of the secret being enrolled.'),
  }),
);

export const mfaStatusResponse = /* @__PURE__ */ lazyValue(() => z.object({ mfaEnabled: z.boolean() }));
