import { Aws, Stack, Validations } from 'aws-cdk-lib';
import { AnyPrincipal, PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { type IKey, Key } from 'aws-cdk-lib/aws-kms';
import type { LogGroupProps } from 'aws-cdk-lib/aws-logs';
import { BucketEncryption, type BucketProps } from 'aws-cdk-lib/aws-s3';
import { QueueEncryption, type QueueProps } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { StageConfig } from '../stage.ts';

const KEY_ID = 'StageKey';

/** What using a key to encrypt and decrypt data takes: no wildcard actions. */
const dataKeyActions = [
  'kms:Encrypt',
  'kms:Decrypt',
  'kms:ReEncryptFrom',
  'kms:ReEncryptTo',
  'kms:GenerateDataKey',
  'kms:GenerateDataKeyWithoutPlaintext',
  'kms:DescribeKey',
];

/**
 * Creates the stack's customer managed key when the stage asks for one (`stage.dataKeys`, prod):
 * yearly rotation, kept with the stage's removal policy. Call it first in a stack's constructor;
 * the helpers below then encrypt that stack's queues, buckets and log groups with it, and with
 * AWS managed keys in a stage without one (dev). One key per stack keeps each key policy to the
 * services of its own stack (about $1 a month each).
 *
 * The key policy lets, besides the account's IAM policies (CDK's default statement):
 * - CloudWatch Logs (`logs.<region>.amazonaws.com`) use it for this account's log groups only
 *   (encryption context `aws:logs:arn`);
 * - EventBridge (`events.amazonaws.com`) encrypt messages it delivers to the stack's queues, for
 *   this account's rules only;
 * - principals of this account use it through SQS and S3 only (`kms:ViaService`, `kms:CallerAccount`):
 *   the queue and bucket grants stay the control, as with the AWS managed keys.
 */
export function createStageKey(scope: Construct, stage: StageConfig): IKey | undefined {
  if (stage.dataKeys !== 'customer-managed') return undefined;
  const stack = Stack.of(scope);
  const key = new Key(stack, KEY_ID, {
    description: `Plinth ${stage.name} ${stack.stackName}: queues, buckets and log groups`,
    enableKeyRotation: true,
    removalPolicy: stage.removalPolicy,
  });
  key.addToResourcePolicy(
    new PolicyStatement({
      principals: [new ServicePrincipal(`logs.${Aws.REGION}.amazonaws.com`)],
      actions: dataKeyActions,
      resources: ['*'],
      conditions: {
        ArnLike: {
          'kms:EncryptionContext:aws:logs:arn': `arn:${Aws.PARTITION}:logs:${Aws.REGION}:${Aws.ACCOUNT_ID}:log-group:*`,
        },
      },
    }),
  );
  key.addToResourcePolicy(
    new PolicyStatement({
      principals: [new ServicePrincipal('events.amazonaws.com')],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
      resources: ['*'],
      conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
    }),
  );
  key.addToResourcePolicy(
    new PolicyStatement({
      principals: [new AnyPrincipal()],
      actions: dataKeyActions,
      resources: ['*'],
      conditions: {
        StringEquals: {
          'kms:CallerAccount': Aws.ACCOUNT_ID,
          'kms:ViaService': [`sqs.${Aws.REGION}.amazonaws.com`, `s3.${Aws.REGION}.amazonaws.com`],
        },
      },
    }),
  );
  // CDK's queue grants (send to a dead-letter queue) add these two wildcard actions of the key's use
  // for the queue's key; they are scoped to this one key, and its policy allows its use only
  // through SQS and S3 anyway.
  for (const action of ['kms:GenerateDataKey*', 'kms:ReEncrypt*']) {
    Validations.of(stack).acknowledge({
      id: `AwsSolutions-IAM5[Action::${action}]`,
      reason: `${action} comes from CDK's grants on a queue encrypted with the stack's key (lib/constructs/stage-key.ts): it names that one key as resource, and the key policy lets it be used only through SQS and S3.`,
    });
  }
  return key;
}

/** The stack's customer managed key, if {@link createStageKey} made one. */
export function stageKeyOf(scope: Construct): IKey | undefined {
  return Stack.of(scope).node.tryFindChild(KEY_ID) as IKey | undefined;
}

/** Queue encryption: the stack's key (prod) or SQS managed (dev). */
export function queueEncryption(scope: Construct): Pick<QueueProps, 'encryption' | 'encryptionMasterKey'> {
  const key = stageKeyOf(scope);
  return key
    ? { encryption: QueueEncryption.KMS, encryptionMasterKey: key }
    : { encryption: QueueEncryption.SQS_MANAGED };
}

/**
 * Bucket encryption: the stack's key with an S3 Bucket Key (one KMS call per object batch, not per
 * object) in prod, S3 managed in dev. For every bucket of the stage (the exports bucket too).
 */
export function bucketEncryption(
  scope: Construct,
): Pick<BucketProps, 'encryption' | 'encryptionKey' | 'bucketKeyEnabled'> {
  const key = stageKeyOf(scope);
  return key
    ? { encryption: BucketEncryption.KMS, encryptionKey: key, bucketKeyEnabled: true }
    : { encryption: BucketEncryption.S3_MANAGED };
}

/** Log group encryption: the stack's key (prod) or CloudWatch Logs' own (dev). */
export function logGroupEncryption(scope: Construct): Pick<LogGroupProps, 'encryptionKey'> {
  const key = stageKeyOf(scope);
  return key ? { encryptionKey: key } : {};
}
