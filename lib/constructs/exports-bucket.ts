import { Aws, Duration, Validations } from 'aws-cdk-lib';
import { type IRole, Policy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { BlockPublicAccess, Bucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { StageConfig } from '../stage.ts';
import { bucketEncryption } from './stage-key.ts';

/**
 * The bucket's name, known before synthesis (unique per account and region), so the API and worker
 * functions of other stacks name it without a cross-stack reference (`EXPORTS_BUCKET_NAME`).
 */
export function exportsBucketName(stage: StageConfig): string {
  return `plinth-${stage.name}-exports-${Aws.ACCOUNT_ID}-${Aws.REGION}`;
}

const bucketArn = (stage: StageConfig) => `arn:${Aws.PARTITION}:s3:::${exportsBucketName(stage)}`;
/** Every object of an export lives under `users/<userId>/` or `tenants/<tenantId>/` (shared/exports/export-storage.ts). */
const objectArns = (stage: StageConfig) => [`${bucketArn(stage)}/users/*`, `${bucketArn(stage)}/tenants/*`];

export interface ExportsBucketProps {
  readonly stage: StageConfig;
}

/**
 * The data exports' archives (shared/exports/): private, SSL only, encrypted, and every object
 * expired by lifecycle `retention.exportDays` after it was written (the job item's TTL matches);
 * multipart uploads a crashed worker left behind are aborted after a day. No versioning: an
 * expired or erased archive must be gone, not kept as an old version.
 */
export class ExportsBucket extends Construct {
  readonly bucket: Bucket;

  constructor(scope: Construct, id: string, props: ExportsBucketProps) {
    super(scope, id);
    const { stage } = props;
    this.bucket = new Bucket(this, 'Bucket', {
      bucketName: exportsBucketName(stage),
      ...bucketEncryption(this),
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: false,
      lifecycleRules: [
        {
          id: 'expire-exports',
          enabled: true,
          expiration: Duration.days(stage.retention.exportDays),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
      removalPolicy: stage.removalPolicy,
    });
    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'Only the export worker writes this bucket and the exports API presigns reads of it; CloudTrail records those calls, every object expires within days, and server access logs would add a log bucket holding the same personal-data links for longer.',
    });
  }
}

/** Lets `role` presign download links (the link carries the role's s3:GetObject). */
export function grantPresignExports(role: IRole, stage: StageConfig): Policy {
  return attach(role, stage, 'ExportsReadPolicy', 'read archives to presign their download links', [
    new PolicyStatement({ actions: ['s3:GetObject'], resources: objectArns(stage) }),
  ]);
}

/** Lets the worker write chunks (multipart), read them back to join them, and delete them. */
export function grantWriteExports(role: IRole, stage: StageConfig): Policy {
  return attach(
    role,
    stage,
    'ExportsWritePolicy',
    'write, join and delete the chunks and archives of exports',
    [
      new PolicyStatement({
        actions: [
          's3:PutObject',
          's3:GetObject',
          's3:DeleteObject',
          's3:AbortMultipartUpload',
          's3:ListMultipartUploadParts',
        ],
        resources: objectArns(stage),
      }),
    ],
  );
}

/**
 * Lets an erasure list and delete a user's or tenant's archives (`users/<id>/`, `tenants/<id>/`),
 * and nothing else of the bucket (shared/erasure/).
 */
export function grantEraseExports(role: IRole, stage: StageConfig): Policy {
  return attach(role, stage, 'ExportsErasePolicy', "list and delete an erased user's or tenant's archives", [
    new PolicyStatement({
      actions: ['s3:ListBucket'],
      resources: [bucketArn(stage)],
      conditions: { StringLike: { 's3:prefix': ['tenants/*', 'users/*'] } },
    }),
    new PolicyStatement({ actions: ['s3:DeleteObject'], resources: objectArns(stage) }),
  ]);
}

function attach(
  role: IRole,
  stage: StageConfig,
  id: string,
  what: string,
  statements: PolicyStatement[],
): Policy {
  const policy = new Policy(role as unknown as Construct, id, { statements });
  role.attachInlinePolicy(policy);
  for (const prefix of ['users', 'tenants']) {
    Validations.of(policy).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::plinth-${stage.name}-exports-<AWS::AccountId>-<AWS::Region>/${prefix}/*]`,
      reason: `Export objects are named per ${prefix === 'users' ? 'user' : 'tenant'} and job (${prefix}/<id>/<jobId>.tar.gz and its chunks); the function may ${what}, under that prefix of the one exports bucket only.`,
    });
  }
  return policy;
}
