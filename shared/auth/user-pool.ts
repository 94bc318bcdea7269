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
  appClient: {
    name: 'plinth-web',
    authFlows: { userPassword: true, userSrp: true, adminUserPassword: false },
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
