import { Aws, Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { type IRole, Policy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { BlockPublicAccess, Bucket, ObjectLockRetention } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { DIGEST_ROOT } from '../../shared/audit/digest-archive.ts';
import type { StageConfig } from '../stage.ts';
import { bucketEncryption } from './stage-key.ts';

/**
 * The bucket's name, known before synthesis (unique per account and region), so the functions of
 * other stacks name it without a cross-stack reference and their grants can be reviewed as written.
 */
export function auditDigestBucketName(stage: StageConfig): string {
  return `plinth-${stage.name}-audit-digests-${Aws.ACCOUNT_ID}-${Aws.REGION}`;
}

const bucketArn = (stage: StageConfig) => `arn:${Aws.PARTITION}:s3:::${auditDigestBucketName(stage)}`;
const digestsArn = (stage: StageConfig) => `${bucketArn(stage)}/${DIGEST_ROOT}*`;

export interface AuditDigestBucketProps {
  readonly stage: StageConfig;
}

/**
 * The write-once home of the tenants' daily audit digests (shared/audit/digest-archive.ts): S3 with
 * Object Lock in compliance mode, every object locked by default for the stage's
 * `auditDigestRetentionDays` (nobody, the root user included, can overwrite or delete a locked
 * version or shorten its lock); versioned (Object Lock requires it), encrypted, private, SSL only,
 * and kept when the stack goes away in every stage.
 */
export class AuditDigestBucket extends Construct {
  readonly bucket: Bucket;

  constructor(scope: Construct, id: string, props: AuditDigestBucketProps) {
    super(scope, id);
    this.bucket = new Bucket(this, 'Bucket', {
      bucketName: auditDigestBucketName(props.stage),
      objectLockEnabled: true,
      objectLockDefaultRetention: ObjectLockRetention.compliance(
        Duration.days(props.stage.auditDigestRetentionDays),
      ),
      versioned: true,
      ...bucketEncryption(this),
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      // Locked objects cannot be deleted anyway; the digests outlive the stack in every stage.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'Only the audit-digest function writes this bucket (one object per tenant-day) and only the verifiers read it; CloudTrail records those API calls, and Object Lock keeps every version, so server access logs would add a second log bucket for no new information.',
    });
  }
}

/**
 * Lets `role` put digest objects in the stage's bucket (which its default retention locks). Nothing
 * else: no delete, no retention or legal-hold change, no read.
 */
export function grantPutAuditDigests(role: IRole, stage: StageConfig): Policy {
  return attach(role, stage, 'put one digest object per tenant-day', [
    new PolicyStatement({ actions: ['s3:PutObject'], resources: [digestsArn(stage)] }),
  ]);
}

/** Lets `role` list and read the digest objects of the stage's bucket. */
export function grantReadAuditDigests(role: IRole, stage: StageConfig): Policy {
  return attach(role, stage, 'list and read the digest objects of the tenants and days it verifies', [
    new PolicyStatement({
      actions: ['s3:ListBucket'],
      resources: [bucketArn(stage)],
      conditions: { StringLike: { 's3:prefix': [`${DIGEST_ROOT}*`] } },
    }),
    new PolicyStatement({ actions: ['s3:GetObject'], resources: [digestsArn(stage)] }),
  ]);
}

function attach(role: IRole, stage: StageConfig, what: string, statements: PolicyStatement[]): Policy {
  const policy = new Policy(role as unknown as Construct, 'AuditDigestsPolicy', { statements });
  role.attachInlinePolicy(policy);
  Validations.of(policy).acknowledge({
    id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::plinth-${stage.name}-audit-digests-<AWS::AccountId>-<AWS::Region>/${DIGEST_ROOT}*]`,
    reason: `Digest objects are named per tenant and day (${DIGEST_ROOT}<tenantId>/<day>/r<revision>.json); the function may ${what}, under that prefix of the one audit digest bucket only.`,
  });
  return policy;
}
