import * as z from 'zod';
import { lazyValue } from '../../app/deferred.ts';
import { emailSchema as email } from '../../http/common.schema.ts';

export const magicLinkRequestBody = /* @__PURE__ */ lazyValue(() => z.strictObject({ email: email() }));
export type MagicLinkRequest = z.infer<ReturnType<typeof magicLinkRequestBody>>;

/** The one answer to every accepted request, whether or not the address has an account. */
export const magicLinkRequested = /* @__PURE__ */ lazyValue(() => z.object({ message: z.string() }));
export const MAGIC_LINK_REQUESTED_MESSAGE =
  'If an account exists for this address, a sign-in link is on its way. It works once, for 15 minutes.';

export const magicLinkSessionBody = /* @__PURE__ */ lazyValue(() =>
  z.strictObject({
    email: email(),
    /** The `token` parameter of the link. */
    token: z.string().min(1).max(256),
  }),
);
export type MagicLinkSessionRequest = z.infer<ReturnType<typeof magicLinkSessionBody>>;

/** Cognito's tokens, as InitiateAuth's `AuthenticationResult` gives them. */
export const signInTokens = /* @__PURE__ */ lazyValue(() =>
  z.object({
    /** The bearer token for the API (`Authorization: Bearer …`). */
    accessToken: z.string(),
    /** Carries the user's email and name claims; not accepted by the API. */
    idToken: z.string(),
    /** Gets new access and ID tokens (`InitiateAuth` `REFRESH_TOKEN_AUTH`). */
    refreshToken: z.string(),
    /** Seconds the access and ID tokens are valid. */
    expiresIn: z.number().int(),
    tokenType: z.literal('Bearer'),
  }),
);
export type SignInTokens = z.infer<ReturnType<typeof signInTokens>>;
