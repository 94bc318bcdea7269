/**
 * `npm run -s token [-- email password [totp-secret]]`: prints an access token for a user of the
 * running local stack (default: the demo owner), e.g. `TOKEN=$(npm run -s token)`. With the TOTP
 * secret of a user who turned MFA on, it answers the sign-in's code challenge as their app would.
 */
import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { localClientConfig } from './aws.ts';
import { signIn } from './cognito.ts';
import { readLocalStackFile } from './env.ts';

const [emailArg, passwordArg, totpSecret] = process.argv.slice(2);
try {
  const stack = await readLocalStackFile();
  const email = emailArg ?? stack.demo?.email;
  const password = passwordArg ?? (emailArg ? undefined : stack.demo?.password);
  if (!email || !password) throw new Error('Usage: npm run -s token -- <email> <password> [<totp-secret>]');
  const cognito = new CognitoIdentityProviderClient(
    localClientConfig({ endpoint: stack.cognito.endpoint, region: stack.region }),
  );
  const tokens = await signIn(cognito, stack.cognito, {
    email,
    password,
    ...(totpSecret ? { totpSecret } : {}),
  });
  cognito.destroy();
  console.log(tokens.accessToken);
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
}
