/**
 * `npm run -s signup -- <email> [password] [--admin | --support | --finance]`: creates a confirmed
 * user with a verified email in the running local stack's pool and prints the user id, password and
 * an access token. An operator flag adds them to that operator group (`--admin`: platform-admin,
 * every admin action) and enrols an authenticator app, since the admin API refuses operators
 * without MFA: the TOTP secret is printed, and the token comes from a sign-in that answered the
 * MFA challenge. Enrolment goes through Plinth's own routes (`POST /v1/me/mfa/totp`, then its
 * verification), as a client's would, so the user's profile says `mfaEnabled` like Cognito does.
 */
import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import type { OperatorRole } from '../../shared/admin/operators.ts';
import { localClientConfig } from './aws.ts';
import { createConfirmedUser, generatePassword, signIn, totpCode } from './cognito.ts';
import { readLocalStackFile } from './env.ts';

const operatorFlags: Record<string, OperatorRole> = {
  '--admin': 'platform-admin',
  '--support': 'support',
  '--finance': 'finance',
};
const args = process.argv.slice(2);
const roles = args.filter((arg) => arg in operatorFlags).map((flag) => operatorFlags[flag] as OperatorRole);
const [email, password = generatePassword()] = args.filter((arg) => !arg.startsWith('--'));
try {
  const unknown = args.filter((arg) => arg.startsWith('--') && !(arg in operatorFlags));
  if (!email || unknown.length > 0)
    throw new Error('Usage: npm run -s signup -- <email> [password] [--admin | --support | --finance]');
  const stack = await readLocalStackFile();
  const cognito = new CognitoIdentityProviderClient(
    localClientConfig({ endpoint: stack.cognito.endpoint, region: stack.region }),
  );
  const userId = await createConfirmedUser(cognito, stack.cognito, { email, password, groups: roles });
  let { accessToken } = await signIn(cognito, stack.cognito, { email, password });
  let totpSecret: string | undefined;
  if (roles.length > 0) {
    totpSecret = await enrolThroughApi(stack.apiUrl, accessToken);
    ({ accessToken } = await signIn(cognito, stack.cognito, { email, password, totpSecret }));
  }
  cognito.destroy();
  console.log(
    JSON.stringify(
      {
        userId,
        email,
        password,
        operatorRoles: roles,
        ...(totpSecret ? { totpSecret } : {}),
        platformAdmin: roles.includes('platform-admin'),
        accessToken,
      },
      null,
      2,
    ),
  );
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
}

async function enrolThroughApi(apiUrl: string, accessToken: string): Promise<string> {
  const call = async (path: string, body?: unknown) => {
    const response = await fetch(`${apiUrl}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(body ?? {}),
    });
    if (!response.ok) throw new Error(`POST ${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as Record<string, unknown>;
  };
  const { secret } = (await call('/v1/me/mfa/totp')) as { secret: string };
  await call('/v1/me/mfa/totp/verification', { code: totpCode(secret) });
  return secret;
}
