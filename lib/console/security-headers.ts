/**
 * The console's Content-Security-Policy, as one string. Plain data with no CDK imports, so a local
 * server can send the same policy the CloudFront distribution sends (lib/stacks/console-stack.ts).
 *
 * Everything comes from the console's own origin: its scripts, styles and images (Vite emits files,
 * never inline code), `config.json` and the API (`/v1/*`, `/admin/*` through the same distribution).
 * The one other place it talks to is Cognito's API (sign-in, MFA, token refresh). Nothing may frame
 * it, and forms may only post to itself.
 */
export function consoleContentSecurityPolicy(options: {
  /** Cognito's API origin, e.g. `https://cognito-idp.eu-west-1.amazonaws.com`. */
  readonly cognitoOrigin: string;
}): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    // data: for icons inlined by the bundler and charts exported as images.
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src 'self' ${options.cognitoOrigin}`,
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** Cognito's API origin in a region (`cognito-idp.<region>.<url suffix>`). */
export function cognitoOriginFor(region: string, urlSuffix = 'amazonaws.com'): string {
  return `https://cognito-idp.${region}.${urlSuffix}`;
}
