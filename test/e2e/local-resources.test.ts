import {
  DescribeUserPoolClientCommand,
  DescribeUserPoolCommand,
  ListGroupsCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { DescribeTableCommand, DescribeTimeToLiveCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DescribeDeliveryStreamCommand, FirehoseClient } from '@aws-sdk/client-firehose';
import { GetObjectLockConfigurationCommand, S3Client } from '@aws-sdk/client-s3';
import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localClientConfig } from '../../scripts/local/aws.ts';
import { createLocalResources, LOCAL_AUDIT_DIGEST_RETENTION_DAYS } from '../../scripts/local/resources.ts';
import { warehouseLayout } from '../../shared/analytics/product/warehouse.ts';
import { userPoolDefinition } from '../../shared/auth/user-pool.ts';
import { tableDefinition } from '../../shared/db/table.ts';
import { EVENT_SOURCE, type RuleDefinition } from '../../shared/events/bus.ts';
import { createTestStack, readSentEmails, type TestStack } from '../support/harness.ts';

// The local resources must have the shape the CDK stacks deploy, because both come from the same
// shared definitions; these tests read them back from the emulator.
const testRule: RuleDefinition = {
  name: 'tenant-created-to-test',
  description: 'Test rule: tenant.created events',
  eventPattern: { source: [EVENT_SOURCE], 'detail-type': ['tenant.created.v1'] },
  consumer: 'test-consumer',
};

let stack: TestStack;
let dynamodb: DynamoDBClient;

beforeAll(async () => {
  stack = await createTestStack({ rules: [testRule] });
  dynamodb = new DynamoDBClient(localClientConfig(stack));
});

afterAll(() => {
  dynamodb?.destroy();
});

describe('table', () => {
  it('has the shared keys, indexes and stream', async () => {
    const { Table } = await dynamodb.send(new DescribeTableCommand({ TableName: stack.tableName }));

    expect(Table?.KeySchema).toEqual([
      { AttributeName: tableDefinition.partitionKey, KeyType: 'HASH' },
      { AttributeName: tableDefinition.sortKey, KeyType: 'RANGE' },
    ]);
    expect(
      Table?.GlobalSecondaryIndexes?.map((index) => ({
        indexName: index.IndexName,
        keys: index.KeySchema,
        projection: index.Projection?.ProjectionType,
      })),
    ).toEqual(
      tableDefinition.globalSecondaryIndexes.map((index) => ({
        indexName: index.indexName,
        keys: [
          { AttributeName: index.partitionKey, KeyType: 'HASH' },
          { AttributeName: index.sortKey, KeyType: 'RANGE' },
        ],
        projection: 'ALL',
      })),
    );
    expect(Table?.StreamSpecification).toEqual({
      StreamEnabled: true,
      StreamViewType: tableDefinition.stream,
    });
    expect(Table?.LatestStreamArn).toBe(stack.tableStreamArn);
  });

  it('expires items by the shared TTL attribute', async () => {
    const { TimeToLiveDescription } = await dynamodb.send(
      new DescribeTimeToLiveCommand({ TableName: stack.tableName }),
    );

    expect(TimeToLiveDescription).toEqual({
      TimeToLiveStatus: 'ENABLED',
      AttributeName: tableDefinition.timeToLiveAttribute,
    });
  });
});

describe('user pool', () => {
  it('signs users in by email with the shared password policy', async () => {
    const { UserPool } = await stack.cognito.send(
      new DescribeUserPoolCommand({ UserPoolId: stack.userPoolId }),
    );
    const policy = userPoolDefinition.passwordPolicy;

    expect(UserPool?.UsernameAttributes).toEqual([...userPoolDefinition.usernameAttributes]);
    expect(UserPool?.AutoVerifiedAttributes).toEqual([...userPoolDefinition.autoVerifiedAttributes]);
    expect(UserPool?.Policies?.PasswordPolicy).toEqual({
      MinimumLength: policy.minLength,
      RequireLowercase: policy.requireLowercase,
      RequireUppercase: policy.requireUppercase,
      RequireNumbers: policy.requireDigits,
      RequireSymbols: policy.requireSymbols,
      TemporaryPasswordValidityDays: policy.temporaryPasswordValidityDays,
    });
  });

  it('has the shared groups', async () => {
    const { Groups = [] } = await stack.cognito.send(new ListGroupsCommand({ UserPoolId: stack.userPoolId }));

    expect(Groups.map((group) => group.GroupName).sort()).toEqual(
      userPoolDefinition.groups.map((group) => group.name).sort(),
    );
  });

  it('has a public app client with password, admin and refresh flows', async () => {
    const { UserPoolClient } = await stack.cognito.send(
      new DescribeUserPoolClientCommand({ UserPoolId: stack.userPoolId, ClientId: stack.clientId }),
    );

    expect(UserPoolClient?.ClientName).toBe(userPoolDefinition.appClient.name);
    expect(UserPoolClient?.ClientSecret).toBeUndefined();
    expect(UserPoolClient?.ExplicitAuthFlows).toEqual(
      expect.arrayContaining([
        'ALLOW_USER_PASSWORD_AUTH',
        'ALLOW_ADMIN_USER_PASSWORD_AUTH',
        'ALLOW_REFRESH_TOKEN_AUTH',
      ]),
    );
    expect(UserPoolClient?.AccessTokenValidity).toBe(userPoolDefinition.appClient.accessTokenValidityMinutes);
  });

  it('has an SSO client with the OAuth code grant, no password flow and no provider yet, and a domain', async () => {
    const { UserPoolClient } = await stack.cognito.send(
      new DescribeUserPoolClientCommand({ UserPoolId: stack.userPoolId, ClientId: stack.ssoClientId }),
    );
    expect(UserPoolClient).toMatchObject({
      ClientName: `${userPoolDefinition.appClient.name}-sso`,
      ExplicitAuthFlows: ['ALLOW_REFRESH_TOKEN_AUTH'],
      AllowedOAuthFlows: ['code'],
    });
    expect(UserPoolClient?.SupportedIdentityProviders ?? []).toEqual([]);
    const { UserPool } = await stack.cognito.send(
      new DescribeUserPoolCommand({ UserPoolId: stack.userPoolId }),
    );
    expect(stack.ssoHostedUiUrl).toBe(`https://${UserPool?.Domain}.auth.${stack.region}.amazoncognito.com`);
  });
});

describe('event bus', () => {
  it("delivers events matching a rule to the rule's queue, and only those", async () => {
    const events = new EventBridgeClient(localClientConfig(stack));
    const sqs = new SQSClient(localClientConfig(stack));
    const queue = stack.rules.find((rule) => rule.ruleName === testRule.name);
    const entry = (detailType: string) => ({
      EventBusName: stack.eventBusName,
      Source: EVENT_SOURCE,
      DetailType: detailType,
      Detail: JSON.stringify({ tenantId: 't1' }),
    });

    await events.send(
      new PutEventsCommand({ Entries: [entry('tenant.created.v1'), entry('tenant.renamed.v1')] }),
    );
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queue?.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );

    expect(Messages.map((message) => JSON.parse(message.Body ?? '{}')['detail-type'])).toEqual([
      'tenant.created.v1',
    ]);
    events.destroy();
    sqs.destroy();
  });
});

describe('mail', () => {
  it('lets the API send from the verified sender', async () => {
    const ses = new SESv2Client(localClientConfig(stack));

    await ses.send(
      new SendEmailCommand({
        FromEmailAddress: stack.mailFrom,
        Destination: { ToAddresses: ['someone@example.com'] },
        Content: { Simple: { Subject: { Data: 'Hello' }, Body: { Text: { Data: 'Hi there' } } } },
      }),
    );

    expect(await readSentEmails(stack)).toEqual([
      expect.objectContaining({ to: ['someone@example.com'], subject: 'Hello', body: 'Hi there' }),
    ]);
    ses.destroy();
  });
});

describe('product event warehouse', () => {
  it('has a Firehose stream writing to the warehouse bucket under the shared prefixes', async () => {
    const firehose = new FirehoseClient(localClientConfig(stack));

    const { DeliveryStreamDescription } = await firehose.send(
      new DescribeDeliveryStreamCommand({ DeliveryStreamName: stack.warehouseStreamName }),
    );

    expect(DeliveryStreamDescription?.Destinations?.[0]?.ExtendedS3DestinationDescription).toMatchObject({
      BucketARN: `arn:aws:s3:::${stack.warehouseBucket}`,
      Prefix: warehouseLayout.dataPrefix,
      ErrorOutputPrefix: warehouseLayout.errorPrefix,
    });
    firehose.destroy();
  });
});

describe('audit digest bucket', () => {
  it('locks every object in compliance mode by default, for the dev stage retention', async () => {
    const s3 = new S3Client({ ...localClientConfig(stack), forcePathStyle: true });

    const { ObjectLockConfiguration } = await s3.send(
      new GetObjectLockConfigurationCommand({ Bucket: stack.auditDigestBucket }),
    );

    expect(ObjectLockConfiguration).toMatchObject({
      ObjectLockEnabled: 'Enabled',
      Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: LOCAL_AUDIT_DIGEST_RETENTION_DAYS } },
    });
    s3.destroy();
  });
});

describe('a second run against the same emulator', () => {
  it('finds the existing resources instead of failing or duplicating them', async () => {
    const again = await createLocalResources({
      endpoint: stack.endpoint,
      region: stack.region,
      stage: stack.stage,
      mailFrom: stack.mailFrom,
      rules: [testRule],
    });

    expect(again).toEqual({
      endpoint: stack.endpoint,
      region: stack.region,
      stage: stack.stage,
      tableName: stack.tableName,
      tableStreamArn: stack.tableStreamArn,
      userPoolId: stack.userPoolId,
      clientId: stack.clientId,
      ssoClientId: stack.ssoClientId,
      ssoHostedUiUrl: stack.ssoHostedUiUrl,
      eventBusName: stack.eventBusName,
      rules: stack.rules,
      mailFrom: stack.mailFrom,
      warehouseStreamName: stack.warehouseStreamName,
      warehouseBucket: stack.warehouseBucket,
      auditDigestBucket: stack.auditDigestBucket,
      exportsBucket: stack.exportsBucket,
    });
  });
});
