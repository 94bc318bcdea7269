import { Aws, Validations } from 'aws-cdk-lib';
import { type IRole, PolicyStatement } from 'aws-cdk-lib/aws-iam';

/** The prefix of the stage's SSO client secrets in Secrets Manager (`SSO_SECRET_PREFIX`). */
export const ssoSecretPrefixFor = (stage: string) => `plinth/${stage}/sso/`;

/**
 * The ARN pattern of the stage's SSO client secrets: their ARNs end in a random suffix, so a grant
 * names the prefix. Pseudo parameters rather than a stack's concrete env, so the cdk-nag
 * acknowledgement names the same resource in every stage and account.
 */
export const ssoSecretArnPattern = (stage: string) =>
  `arn:${Aws.PARTITION}:secretsmanager:${Aws.REGION}:${Aws.ACCOUNT_ID}:secret:${ssoSecretPrefixFor(stage)}*`;

/** The cdk-nag finding id of a grant on {@link ssoSecretArnPattern}. */
export const ssoSecretNagId = (stage: string) =>
  `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:${ssoSecretPrefixFor(stage)}*]`;

/**
 * Lets an erasure worker delete a purged tenant's SSO client secret (shared/erasure/sso-eraser.ts):
 * `secretsmanager:DeleteSecret` on the stage's SSO prefix, nothing else (no read, no create).
 */
export function grantDeleteSsoSecrets(role: IRole, stage: string): void {
  role.addToPrincipalPolicy(
    new PolicyStatement({
      actions: ['secretsmanager:DeleteSecret'],
      resources: [ssoSecretArnPattern(stage)],
    }),
  );
  Validations.of(role).acknowledge({
    id: ssoSecretNagId(stage),
    reason:
      "Tenants' OIDC client secrets are created at run time, one per tenant, and their ARNs end in a random suffix: a tenant purge deletes its tenant's, so the grant names the stage's SSO prefix, for DeleteSecret only.",
  });
}
