import * as z from 'zod';

const schema = z.object({
  /** The SSO app client (federated sign-ins only), whose providers Plinth sets at run time. */
  SSO_CLIENT_ID: z.string().min(1),
  /** The user pool domain's base URL: `https://<prefix>.auth.<region>.amazoncognito.com`. */
  SSO_HOSTED_UI_URL: z.url(),
  /** Where the hosted UI sends the user back with the authorization code (a callback URL of the SSO client). */
  SSO_CALLBACK_URL: z.url(),
  /** Secrets Manager names of client secrets start with this, e.g. `plinth/prod/sso/`. */
  SSO_SECRET_PREFIX: z.string().min(1),
  /** `dns` in AWS; `simulated` only on a local stack (no DNS lookup; answers say so). */
  SSO_DOMAIN_VERIFICATION: z.enum(['dns', 'simulated']).default('dns'),
});

export type SsoEnv = z.infer<typeof schema>;

/** Reads the SSO function's settings; fails fast naming every missing one. */
export function readSsoEnv(source: NodeJS.ProcessEnv = process.env): SsoEnv {
  const parsed = schema.safeParse(source);
  if (!parsed.success) {
    const names = parsed.error.issues.map((i) => i.path.join('.')).join(', ');
    throw new Error(`Invalid SSO environment: ${names}`, { cause: parsed.error });
  }
  return parsed.data;
}
