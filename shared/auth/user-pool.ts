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
  /** Members of this group may call `/admin` routes. */
  groups: [{ name: 'platform-admin', description: 'Operators of the Plinth platform' }],
  appClient: {
    name: 'plinth-web',
    authFlows: { userPassword: true, userSrp: true, adminUserPassword: false },
    accessTokenValidityMinutes: 60,
    idTokenValidityMinutes: 60,
    refreshTokenValidityDays: 30,
  },
} as const;

export const PLATFORM_ADMIN_GROUP = userPoolDefinition.groups[0].name;

/** The issuer of a pool's tokens; API Gateway's JWT authorizer and the local server both check it. */
export function issuerFor(region: string, userPoolId: string): string {
  return `https://cognito-idp.${region}.amazonaws.com/${userPoolId}`;
}
