import {
  meResponse,
  mfaStatusResponse,
  totpEnrolmentResponse,
  verifyTotpBody,
} from '../../users/users.schema.ts';
import { defineRoute, type RouteDefinition } from '../route.ts';

/** The `me` function's routes: the signed-in user. */
export const meRoutes = {
  getMe: defineRoute({
    method: 'GET',
    path: '/v1/me',
    area: 'me',
    auth: 'jwt',
    operationId: 'getMe',
    summary: 'The caller: profile and memberships.',
    response: meResponse,
    status: 200,
  }),
  // Credentials: never under impersonation (route-policy derives it from the `mfa` segment too).
  startTotp: defineRoute({
    method: 'POST',
    path: '/v1/me/mfa/totp',
    area: 'me',
    auth: 'jwt',
    impersonation: 'never',
    operationId: 'startTotpEnrolment',
    summary:
      'Starts enrolling an authenticator app: a new TOTP secret (and its otpauth:// URI) from the user pool. MFA is not on until a code is verified.',
    response: totpEnrolmentResponse,
    status: 200,
    problems: [403, 502],
  }),
  verifyTotp: defineRoute({
    method: 'POST',
    path: '/v1/me/mfa/totp/verification',
    area: 'me',
    auth: 'jwt',
    impersonation: 'never',
    operationId: 'verifyTotpEnrolment',
    summary:
      'Verifies a code of the secret being enrolled and turns MFA on (TOTP as the preferred factor); a wrong code is a 400 on body.code.',
    body: verifyTotpBody,
    response: mfaStatusResponse,
    status: 200,
    problems: [403, 409, 502],
  }),
  disableMfa: defineRoute({
    method: 'DELETE',
    path: '/v1/me/mfa',
    area: 'me',
    auth: 'jwt',
    impersonation: 'never',
    operationId: 'disableMfa',
    summary: 'Turns the caller’s MFA off; 409 while a tenant they belong to requires it.',
    status: 204,
    problems: [403, 409, 502],
  }),
} as const satisfies Record<string, RouteDefinition>;
