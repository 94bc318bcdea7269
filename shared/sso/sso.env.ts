import { environmentReader, oneOf, url } from '../config/env-rules.ts';

export interface SsoEnv {
  /** The SSO app client (federated sign-ins only), whose providers Plinth sets at run time. */
  readonly SSO_CLIENT_ID: string;
  /** The user pool domain's base URL: `https://<prefix>.auth.<region>.amazoncognito.com`. */
  readonly SSO_HOSTED_UI_URL: string;
  /** Where the hosted UI sends the user back with the authorization code (a callback URL of the SSO client). */
  readonly SSO_CALLBACK_URL: string;
  /** Secrets Manager names of client secrets start with this, e.g. `plinth/prod/sso/`. */
  readonly SSO_SECRET_PREFIX: string;
  /** `dns` in AWS; `simulated` only on a local stack (no DNS lookup; answers say so). */
  readonly SSO_DOMAIN_VERIFICATION: 'dns' | 'simulated';
}

/** Reads the SSO function's settings; fails fast naming every missing one. */
export function readSsoEnv(source: NodeJS.ProcessEnv = process.env): SsoEnv {
  const read = environmentReader(source, 'SSO');
  return read.done({
    SSO_CLIENT_ID: read.required('SSO_CLIENT_ID'),
    SSO_HOSTED_UI_URL: read.required('SSO_HOSTED_UI_URL', url),
    SSO_CALLBACK_URL: read.required('SSO_CALLBACK_URL', url),
    SSO_SECRET_PREFIX: read.required('SSO_SECRET_PREFIX'),
    SSO_DOMAIN_VERIFICATION: (read.optional('SSO_DOMAIN_VERIFICATION', oneOf('dns', 'simulated')) ??
      'dns') as SsoEnv['SSO_DOMAIN_VERIFICATION'],
  });
}
