import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';

/**
 * `ERASURE_PSEUDONYM_KEY` of the functions that erase (shared/erasure/erasure.env.ts): the data
 * stack's generated secret, resolved by CloudFormation when it deploys the function (a dynamic
 * reference, so the value is never in the template). Without a secret (stacks built alone in
 * tests), nothing: pseudonyms are then keyed by the table name, as locally.
 */
export function erasureKeyEnvironment(secret: ISecret | undefined): Record<string, string> {
  return secret ? { ERASURE_PSEUDONYM_KEY: secret.secretValue.unsafeUnwrap() } : {};
}
