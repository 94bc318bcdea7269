/**
 * `npm run -s signup -- <email> [password] [--admin]`: creates a confirmed user with a verified email
 * in the running local stack's pool (`--admin` adds them to the platform-admin group) and prints
 * the user id, password and an access token.
 */
import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { PLATFORM_ADMIN_GROUP } from '../../shared/auth/user-pool.ts';
import { localClientConfig } from './aws.ts';
import { createConfirmedUser, generatePassword, signIn } from './cognito.ts';
import { readLocalStackFile } from './env.ts';

const args = process.argv.slice(2);
const admin = args.includes('--admin');
const [email, password = generatePassword()] = args.filter((arg) => arg !== '--admin');
try {
  if (!email) throw new Error('Usage: npm run -s signup -- <email> [password] [--admin]');
  const stack = await readLocalStackFile();
  const cognito = new CognitoIdentityProviderClient(
    localClientConfig({ endpoint: stack.cognito.endpoint, region: stack.region }),
  );
  const userId = await createConfirmedUser(cognito, stack.cognito, {
    email,
    password,
    groups: admin ? [PLATFORM_ADMIN_GROUP] : [],
  });
  const { accessToken } = await signIn(cognito, stack.cognito, { email, password });
  cognito.destroy();
  console.log(JSON.stringify({ userId, email, password, platformAdmin: admin, accessToken }, null, 2));
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
}
