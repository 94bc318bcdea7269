import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { type BuiltPlinth, buildPlinth } from './plinth-app.ts';
import type { Resource } from './template.ts';

/** Every resource of a type across the stage's stacks that hold data. */
function all(plinth: BuiltPlinth, type: string): Resource[] {
  return [plinth.data, plinth.auth, plinth.events, plinth.api].flatMap((stack) =>
    Object.values(Template.fromStack(stack).findResources(type) as Record<string, Resource>),
  );
}

/** A reference to a KMS key of the same template (Fn::GetAtt of an AWS::KMS::Key). */
const keyReference = expect.objectContaining({ 'Fn::GetAtt': [expect.stringMatching(/^StageKey/), 'Arn'] });

describe('encryption at rest (prod: customer managed keys)', () => {
  let plinth: BuiltPlinth;
  beforeAll(() => {
    plinth = buildPlinth({ stage: 'prod' });
  });

  it('encrypts every queue, dead-letter queues included, with the stack’s key', () => {
    const queues = all(plinth, 'AWS::SQS::Queue');
    expect(queues.length).toBeGreaterThan(5);
    for (const queue of queues) expect(queue.Properties.KmsMasterKeyId).toEqual(keyReference);
  });

  it('encrypts every bucket with the stack’s key and an S3 Bucket Key', () => {
    const buckets = all(plinth, 'AWS::S3::Bucket');
    expect(buckets.length).toBeGreaterThanOrEqual(2);
    for (const bucket of buckets) {
      expect(bucket.Properties.BucketEncryption).toEqual({
        ServerSideEncryptionConfiguration: [
          {
            BucketKeyEnabled: true,
            ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: keyReference },
          },
        ],
      });
    }
  });

  it('encrypts every log group with the stack’s key', () => {
    const groups = all(plinth, 'AWS::Logs::LogGroup');
    expect(groups.length).toBeGreaterThan(20);
    for (const group of groups) expect(group.Properties.KmsKeyId).toEqual(keyReference);
  });

  it('rotates every key', () => {
    const keys = all(plinth, 'AWS::KMS::Key');
    for (const key of keys) expect(key.Properties.EnableKeyRotation).toBe(true);
  });

  it('lets CloudWatch Logs of the region use the stage keys for the account’s log groups only', () => {
    const stageKeys = all(plinth, 'AWS::KMS::Key').filter((key) =>
      JSON.stringify(key.Properties.Description).includes('queues, buckets and log groups'),
    );
    expect(stageKeys).toHaveLength(4);
    for (const key of stageKeys) {
      const statements = (key.Properties.KeyPolicy as { Statement: Record<string, unknown>[] }).Statement;
      const logs = statements.find((s) => JSON.stringify(s.Principal).includes('logs.'));
      expect(logs?.Principal).toEqual({
        Service: { 'Fn::Join': ['', ['logs.', { Ref: 'AWS::Region' }, '.amazonaws.com']] },
      });
      expect(JSON.stringify(logs?.Condition)).toContain('kms:EncryptionContext:aws:logs:arn');
    }
  });
});

describe('encryption at rest (dev: AWS managed keys)', () => {
  let plinth: BuiltPlinth;
  beforeAll(() => {
    plinth = buildPlinth({ stage: 'dev' });
  });

  it('encrypts every queue with SQS managed keys', () => {
    for (const queue of all(plinth, 'AWS::SQS::Queue')) {
      expect(queue.Properties.SqsManagedSseEnabled).toBe(true);
      expect(queue.Properties.KmsMasterKeyId).toBeUndefined();
    }
  });

  it('encrypts every bucket with S3 managed keys', () => {
    for (const bucket of all(plinth, 'AWS::S3::Bucket')) {
      expect(bucket.Properties.BucketEncryption).toEqual({
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      });
    }
  });

  it('creates no stage key and leaves log groups on CloudWatch Logs’ own encryption', () => {
    for (const group of all(plinth, 'AWS::Logs::LogGroup')) expect(group.Properties.KmsKeyId).toBeUndefined();
    const stageKeys = all(plinth, 'AWS::KMS::Key').filter((key) =>
      JSON.stringify(key.Properties.Description).includes('queues, buckets and log groups'),
    );
    expect(stageKeys).toEqual([]);
  });
});
