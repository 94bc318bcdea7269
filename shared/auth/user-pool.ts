/**
 * The user pool's settings, shared by the CDK auth stack and the local emulator setup.
 */
export const userPoolDefinition = {
  /** People sign in with their email; Cognito's username is then the user's `sub`. */
  usernameAttributes: ['email'] as const,
  autoVerifiedAttributes: ['email'] as const,
  passwordPolicy: {
    minLength: 12,
    requireLowercase: true,
    requireUppercase: true,
    requireDigits: true,
    requireSymbols: true,
    temporaryPasswordValidityDays: 3,
  },
  /**
   * Operators: members of these groups may call `/admin` routes, each as its role allows
   * (shared/admin/operators.ts). `platform-admin` may do everything.
   */
  groups: [
    { name: 'platform-admin', description: 'Operators of the Plinth platform: every admin action' },
    { name: 'support', description: 'Operators: read, tickets, announcements, impersonation, suspension' },
    { name: 'finance', description: 'Operators: read, credits, comps, cancellations, refunds, metrics' },
  ],
  /**
   * What a user may sign in with first, through Cognito's choice-based `USER_AUTH` flow (the
   * client asks for the choices, then answers the one the user picks): a password, a one-time code
   * mailed to them, or a passkey. Deployed only: moto has no `USER_AUTH` (README "Signing in").
   */
  firstAuthFactors: { password: true, emailOtp: true, passkey: true },
  appClient: {
    name: 'plinth-web',
    /**
     * `user`: the choice-based `USER_AUTH` flow (passwords, email codes, passkeys). `custom`: the
     * custom auth flow of magic links (its triggers: lib/constructs/magic-link-triggers.ts).
     */
    authFlows: { userPassword: true, userSrp: true, user: true, adminUserPassword: false, custom: true },
    accessTokenValidityMinutes: 60,
    idTokenValidityMinutes: 60,
    refreshTokenValidityDays: 30,
  },
} as const;

export const PLATFORM_ADMIN_GROUP = userPoolDefinition.groups[0].name;
export const SUPPORT_GROUP = userPoolDefinition.groups[1].name;
export const FINANCE_GROUP = userPoolDefinition.groups[2].name;

/** The issuer of a pool's tokens; API Gateway's JWT authorizer and the local server both check it. */
export function issuerFor(region: string, userPoolId: string): string {
  return `https://cognito-idp.${region}.amazonaws.com/${userPoolId}`;
}
