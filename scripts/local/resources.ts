/**
 * Creates, in the emulator, the AWS resources the CDK stacks create in an account, built from the
 * same shared definitions (table, user pool, bus and rules), so local runs and tests exercise the
 * deployed shape. Differences forced by moto are noted where they happen.
 */
import {
  CognitoIdentityProviderClient,
  CreateGroupCommand,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  CreateUserPoolDomainCommand,
  type ExplicitAuthFlowsType,
  GroupExistsException,
  ListUserPoolClientsCommand,
  ListUserPoolsCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import {
  type AttributeDefinition,
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  type GlobalSecondaryIndex,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import {
  CreateEventBusCommand,
  EventBridgeClient,
  PutRuleCommand,
  PutTargetsCommand,
  ResourceAlreadyExistsException,
} from '@aws-sdk/client-eventbridge';
import {
  CreateDeliveryStreamCommand,
  ResourceInUseException as DeliveryStreamInUseException,
  FirehoseClient,
} from '@aws-sdk/client-firehose';
import {
  BucketAlreadyOwnedByYou,
  CreateBucketCommand,
  PutBucketLifecycleConfigurationCommand,
  PutObjectLockConfigurationCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { AlreadyExistsException, CreateEmailIdentityCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { warehouseDelivery, warehouseLayout } from '../../shared/analytics/product/warehouse.ts';
import { userPoolDefinition } from '../../shared/auth/user-pool.ts';
import { tableDefinition } from '../../shared/db/table.ts';
import { busDefinition, busNameFor, type RuleDefinition } from '../../shared/events/bus.ts';
import { type LocalAwsTarget, localClientConfig } from './aws.ts';
import { LOCAL_ACCOUNT_ID } from './lambda-context.ts';

/** The default sender; the same default as `MAIL_FROM` in shared/config/env.ts. */
export const DEFAULT_MAIL_FROM = 'no-reply@plinth.local';

export interface LocalResourcesOptions extends LocalAwsTarget {
  /** `local` for `npm run dev`, a unique `test-…` per test file. Names default to `plinth-<stage>`. */
  readonly stage: string;
  readonly tableName?: string;
  readonly userPoolName?: string;
  /** Verified as an SES identity so the API can send from it. */
  readonly mailFrom?: string;
  /** The bus rules to create; defaults to the shared `busDefinition.rules` (override only in tests). */
  readonly rules?: readonly RuleDefinition[];
}

/**
 * One bus rule and its SQS queue, which the runner drains into the rule's consumer, as the deployed
 * queue's event source mapping does; after `maxReceiveCount` receives a message moves to the
 * dead-letter queue (the queue's redrive policy).
 */
export interface LocalRule {
  readonly ruleName: string;
  /** `functions/<consumer>/handler.ts`. */
  readonly consumer: string;
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly deadLetterQueueUrl: string;
  readonly deadLetterQueueArn: string;
}

export interface LocalResources extends LocalAwsTarget {
  readonly stage: string;
  readonly tableName: string;
  readonly tableStreamArn: string;
  readonly userPoolId: string;
  readonly clientId: string;
  /** The SSO app client (federated sign-ins; its providers are set at run time by the `sso` function). */
  readonly ssoClientId: string;
  /**
   * The user pool domain's hosted UI base URL, as Cognito would serve it: the address exists only
   * in AWS (moto stores the domain but serves no hosted UI).
   */
  readonly ssoHostedUiUrl: string;
  readonly eventBusName: string;
  readonly rules: readonly LocalRule[];
  readonly mailFrom: string;
  /** The Firehose stream raw product events go to (`PRODUCT_WAREHOUSE_STREAM`). */
  readonly warehouseStreamName: string;
  /** The bucket that stream writes to: list `events/YYYY/MM/DD/HH/` in it to see the lines. */
  readonly warehouseBucket: string;
  /** The Object Lock bucket of the audit digests (`AUDIT_DIGEST_BUCKET`). */
  readonly auditDigestBucket: string;
  /** The data exports' archives (`EXPORTS_BUCKET_NAME`); presigned links point at the emulator. */
  readonly exportsBucket: string;
}

/** Days a local audit digest stays locked (the dev stage's retention, lib/stage.ts). */
export const LOCAL_AUDIT_DIGEST_RETENTION_DAYS = 1;

/**
 * Creates (or finds, on a second call against the same emulator) the table, user pool with its
 * groups and app client, event bus with its rules, the SES sender identity, and the product event
 * warehouse (bucket and Firehose stream).
 */
export async function createLocalResources(options: LocalResourcesOptions): Promise<LocalResources> {
  const config = localClientConfig(options);
  const name = `plinth-${options.stage}`;
  const mailFrom = options.mailFrom ?? DEFAULT_MAIL_FROM;

  const dynamodb = new DynamoDBClient(config);
  const cognito = new CognitoIdentityProviderClient(config);
  const events = new EventBridgeClient(config);
  const sqs = new SQSClient(config);
  const ses = new SESv2Client(config);
  const s3 = new S3Client({ ...config, forcePathStyle: true });
  const firehose = new FirehoseClient(config);
  try {
    const [table, pool, bus, , warehouse, auditDigestBucket, exportsBucket] = await Promise.all([
      createTable(dynamodb, options.tableName ?? name),
      createUserPool(cognito, options.userPoolName ?? name),
      createBus(events, sqs, busNameFor(options.stage), options.rules ?? busDefinition.rules),
      verifySender(ses, mailFrom),
      createWarehouse(s3, firehose, name),
      createAuditDigestBucket(s3, name),
      createExportsBucket(s3, name),
    ]);
    return {
      endpoint: options.endpoint,
      region: options.region,
      stage: options.stage,
      ...table,
      ...pool,
      ...bus,
      mailFrom,
      ...warehouse,
      auditDigestBucket,
      exportsBucket,
    };
  } finally {
    for (const client of [dynamodb, cognito, events, sqs, ses, s3, firehose]) client.destroy();
  }
}

async function createTable(client: DynamoDBClient, tableName: string) {
  const { partitionKey, sortKey, globalSecondaryIndexes, timeToLiveAttribute, stream } = tableDefinition;
  const keyNames = new Set<string>([partitionKey, sortKey]);
  for (const index of globalSecondaryIndexes) {
    keyNames.add(index.partitionKey);
    keyNames.add(index.sortKey);
  }
  const attributeDefinitions: AttributeDefinition[] = [...keyNames].map((attribute) => ({
    AttributeName: attribute,
    AttributeType: 'S',
  }));
  const indexes: GlobalSecondaryIndex[] = globalSecondaryIndexes.map((index) => ({
    IndexName: index.indexName,
    KeySchema: [
      { AttributeName: index.partitionKey, KeyType: 'HASH' },
      { AttributeName: index.sortKey, KeyType: 'RANGE' },
    ],
    // CDK's default projection for a GSI.
    Projection: { ProjectionType: 'ALL' },
  }));

  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: attributeDefinitions,
        KeySchema: [
          { AttributeName: partitionKey, KeyType: 'HASH' },
          { AttributeName: sortKey, KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: indexes,
        StreamSpecification: { StreamEnabled: true, StreamViewType: stream },
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  await client.send(
    new UpdateTimeToLiveCommand({
      TableName: tableName,
      TimeToLiveSpecification: { Enabled: true, AttributeName: timeToLiveAttribute },
    }),
  );
  const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
  if (!Table?.LatestStreamArn) throw new Error(`Table ${tableName} has no stream`);
  return { tableName, tableStreamArn: Table.LatestStreamArn };
}

async function createUserPool(client: CognitoIdentityProviderClient, poolName: string) {
  const { appClient } = userPoolDefinition;
  const userPoolId = (await findUserPool(client, poolName)) ?? (await createPool(client, poolName));

  for (const group of userPoolDefinition.groups) {
    try {
      await client.send(
        new CreateGroupCommand({
          UserPoolId: userPoolId,
          GroupName: group.name,
          Description: group.description,
        }),
      );
    } catch (error) {
      if (!(error instanceof GroupExistsException)) throw error;
    }
  }

  const { UserPoolClients = [] } = await client.send(
    new ListUserPoolClientsCommand({ UserPoolId: userPoolId, MaxResults: 60 }),
  );
  const sso = await createSsoClient(client, userPoolId, poolName, UserPoolClients);
  const existing = UserPoolClients.find((c) => c.ClientName === appClient.name)?.ClientId;
  if (existing) return { userPoolId, clientId: existing, ...sso };

  const flows: ExplicitAuthFlowsType[] = ['ALLOW_REFRESH_TOKEN_AUTH'];
  if (appClient.authFlows.userPassword) flows.push('ALLOW_USER_PASSWORD_AUTH');
  if (appClient.authFlows.userSrp) flows.push('ALLOW_USER_SRP_AUTH');
  // Stored, not run: moto has no custom auth (the local server runs the magic link's triggers itself).
  if (appClient.authFlows.custom) flows.push('ALLOW_CUSTOM_AUTH');
  // Not `ALLOW_USER_AUTH` (choice-based sign-in: email codes, passkeys): moto does not implement it.
  // Always on locally (even though the deployed client has it off): tests and scripts sign users in
  // with admin credentials, without knowing the client's flows.
  flows.push('ALLOW_ADMIN_USER_PASSWORD_AUTH');

  const created = await client.send(
    new CreateUserPoolClientCommand({
      UserPoolId: userPoolId,
      ClientName: appClient.name,
      GenerateSecret: false,
      ExplicitAuthFlows: flows,
      AccessTokenValidity: appClient.accessTokenValidityMinutes,
      IdTokenValidity: appClient.idTokenValidityMinutes,
      RefreshTokenValidity: appClient.refreshTokenValidityDays,
      TokenValidityUnits: { AccessToken: 'minutes', IdToken: 'minutes', RefreshToken: 'days' },
    }),
  );
  const clientId = created.UserPoolClient?.ClientId;
  if (!clientId) throw new Error(`CreateUserPoolClient returned no client id for ${userPoolId}`);
  return { userPoolId, clientId, ...sso };
}

/**
 * The SSO app client and the pool's domain, as lib/constructs/sso-app-client.ts makes them: the
 * OAuth code grant, no password flow, and no identity providers until a tenant configures one.
 * The callback is a placeholder: moto runs no hosted UI, so nothing is ever redirected there.
 */
async function createSsoClient(
  client: CognitoIdentityProviderClient,
  userPoolId: string,
  poolName: string,
  clients: readonly { ClientName?: string | undefined; ClientId?: string | undefined }[],
): Promise<{ ssoClientId: string; ssoHostedUiUrl: string }> {
  const name = `${userPoolDefinition.appClient.name}-sso`;
  const domain = poolName.toLowerCase().replace(/[^a-z0-9-]/g, '-');
  const ssoHostedUiUrl = `https://${domain}.auth.${await client.config.region()}.amazoncognito.com`;
  const existing = clients.find((c) => c.ClientName === name)?.ClientId;
  if (existing) return { ssoClientId: existing, ssoHostedUiUrl };
  const created = await client.send(
    new CreateUserPoolClientCommand({
      UserPoolId: userPoolId,
      ClientName: name,
      GenerateSecret: false,
      ExplicitAuthFlows: ['ALLOW_REFRESH_TOKEN_AUTH'],
      AllowedOAuthFlows: ['code'],
      AllowedOAuthScopes: ['openid', 'email', 'profile'],
      AllowedOAuthFlowsUserPoolClient: true,
      CallbackURLs: ['http://localhost:3000/sso/callback'],
    }),
  );
  const ssoClientId = created.UserPoolClient?.ClientId;
  if (!ssoClientId) throw new Error(`CreateUserPoolClient returned no SSO client id for ${userPoolId}`);
  await client.send(new CreateUserPoolDomainCommand({ UserPoolId: userPoolId, Domain: domain }));
  return { ssoClientId, ssoHostedUiUrl };
}

async function createPool(cognito: CognitoIdentityProviderClient, name: string): Promise<string> {
  const { passwordPolicy } = userPoolDefinition;
  const { UserPool } = await cognito.send(
    new CreateUserPoolCommand({
      PoolName: name,
      UsernameAttributes: [...userPoolDefinition.usernameAttributes],
      AutoVerifiedAttributes: [...userPoolDefinition.autoVerifiedAttributes],
      Policies: {
        PasswordPolicy: {
          MinimumLength: passwordPolicy.minLength,
          RequireLowercase: passwordPolicy.requireLowercase,
          RequireUppercase: passwordPolicy.requireUppercase,
          RequireNumbers: passwordPolicy.requireDigits,
          RequireSymbols: passwordPolicy.requireSymbols,
          TemporaryPasswordValidityDays: passwordPolicy.temporaryPasswordValidityDays,
        },
      },
    }),
  );
  if (!UserPool?.Id) throw new Error(`CreateUserPool returned no id for ${name}`);
  return UserPool.Id;
}

async function findUserPool(
  client: CognitoIdentityProviderClient,
  poolName: string,
): Promise<string | undefined> {
  let nextToken: string | undefined;
  do {
    const page = await client.send(new ListUserPoolsCommand({ MaxResults: 60, NextToken: nextToken }));
    const match = page.UserPools?.find((pool) => pool.Name === poolName);
    if (match?.Id) return match.Id;
    nextToken = page.NextToken;
  } while (nextToken);
  return undefined;
}

async function createBus(
  events: EventBridgeClient,
  sqs: SQSClient,
  eventBusName: string,
  rules: readonly RuleDefinition[],
) {
  try {
    await events.send(new CreateEventBusCommand({ Name: eventBusName }));
  } catch (error) {
    if (!(error instanceof ResourceAlreadyExistsException)) throw error;
  }
  const created: LocalRule[] = [];
  for (const rule of rules) {
    // PutRule and PutTargets are upserts; CreateQueue returns the existing queue with equal attributes.
    await events.send(
      new PutRuleCommand({
        Name: rule.name,
        EventBusName: eventBusName,
        Description: rule.description,
        EventPattern: JSON.stringify(rule.eventPattern),
        State: 'ENABLED',
      }),
    );
    const queueName = `${eventBusName}-${rule.name}`;
    const deadLetter = await createQueue(sqs, `${queueName}-dlq`);
    const queue = await createQueue(sqs, queueName, {
      RedrivePolicy: JSON.stringify({
        deadLetterTargetArn: deadLetter.queueArn,
        maxReceiveCount: busDefinition.maxReceiveCount,
      }),
    });
    await events.send(
      new PutTargetsCommand({
        Rule: rule.name,
        EventBusName: eventBusName,
        Targets: [{ Id: 'local-queue', Arn: queue.queueArn }],
      }),
    );
    created.push({
      ruleName: rule.name,
      consumer: rule.consumer,
      queueUrl: queue.queueUrl,
      queueArn: queue.queueArn,
      deadLetterQueueUrl: deadLetter.queueUrl,
      deadLetterQueueArn: deadLetter.queueArn,
    });
  }
  return { eventBusName, rules: created };
}

async function createQueue(sqs: SQSClient, queueName: string, attributes: Record<string, string> = {}) {
  const { QueueUrl } = await sqs.send(
    new CreateQueueCommand({ QueueName: queueName, Attributes: attributes }),
  );
  if (!QueueUrl) throw new Error(`CreateQueue returned no URL for ${queueName}`);
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
  );
  const queueArn = Attributes?.QueueArn;
  if (!queueArn) throw new Error(`Queue ${QueueUrl} has no ARN`);
  return { queueUrl: QueueUrl, queueArn };
}

/**
 * The warehouse's bucket and Firehose stream (lib/constructs/product-warehouse.ts), with the same
 * prefixes and delivery settings. moto writes each PutRecordBatch to S3 at once, as one object of the
 * records' bytes under `<prefix>YYYY/MM/DD/HH/`, the prefix's `!{timestamp:…}` left literal
 * (`events/dt=!{timestamp:yyyy-MM-dd}/2026/12/03/14/…`), ignoring buffering and compression: objects
 * are plain JSON Lines with no `.gz` suffix. There is
 * no Glue table locally (moto has no Athena to query it).
 */
async function createWarehouse(s3: S3Client, firehose: FirehoseClient, name: string) {
  const warehouseBucket = `${name}-warehouse`;
  const warehouseStreamName = `${name}-product-events`;
  try {
    await s3.send(new CreateBucketCommand({ Bucket: warehouseBucket }));
  } catch (error) {
    if (!(error instanceof BucketAlreadyOwnedByYou)) throw error;
  }
  try {
    await firehose.send(
      new CreateDeliveryStreamCommand({
        DeliveryStreamName: warehouseStreamName,
        DeliveryStreamType: 'DirectPut',
        ExtendedS3DestinationConfiguration: {
          BucketARN: `arn:aws:s3:::${warehouseBucket}`,
          // Not checked by moto (it evaluates no IAM).
          RoleARN: `arn:aws:iam::${LOCAL_ACCOUNT_ID}:role/${name}-warehouse-delivery`,
          Prefix: warehouseLayout.dataPrefix,
          ErrorOutputPrefix: warehouseLayout.errorPrefix,
          BufferingHints: {
            IntervalInSeconds: warehouseDelivery.bufferingIntervalSeconds,
            SizeInMBs: warehouseDelivery.bufferingSizeMiB,
          },
          CompressionFormat: warehouseDelivery.compression,
        },
      }),
    );
  } catch (error) {
    if (!(error instanceof DeliveryStreamInUseException)) throw error;
  }
  return { warehouseStreamName, warehouseBucket };
}

/**
 * The audit digests' bucket (lib/constructs/audit-digest-bucket.ts): Object Lock on, compliance mode
 * by default for {@link LOCAL_AUDIT_DIGEST_RETENTION_DAYS}. moto keeps a locked version from being
 * deleted or its retention shortened, as S3 does (test/integration/audit-chain.test.ts checks it).
 */
async function createAuditDigestBucket(s3: S3Client, name: string): Promise<string> {
  const bucket = `${name}-audit-digests`;
  try {
    await s3.send(new CreateBucketCommand({ Bucket: bucket, ObjectLockEnabledForBucket: true }));
  } catch (error) {
    if (!(error instanceof BucketAlreadyOwnedByYou)) throw error;
  }
  await s3.send(
    new PutObjectLockConfigurationCommand({
      Bucket: bucket,
      ObjectLockConfiguration: {
        ObjectLockEnabled: 'Enabled',
        Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: LOCAL_AUDIT_DIGEST_RETENTION_DAYS } },
      },
    }),
  );
  return bucket;
}

/** Days a local export is kept (the stages' `retention.exportDays`, lib/stage.ts). */
export const LOCAL_EXPORT_RETENTION_DAYS = 7;

/**
 * The exports bucket (lib/constructs/exports-bucket.ts) with the same lifecycle rule. moto stores the
 * rule but never expires objects; the job's `expiresAt` still ends its download links on time.
 */
async function createExportsBucket(s3: S3Client, name: string): Promise<string> {
  const bucket = `${name}-exports`;
  try {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (error) {
    if (!(error instanceof BucketAlreadyOwnedByYou)) throw error;
  }
  await s3.send(
    new PutBucketLifecycleConfigurationCommand({
      Bucket: bucket,
      LifecycleConfiguration: {
        Rules: [
          {
            ID: 'expire-exports',
            Status: 'Enabled',
            Filter: { Prefix: '' },
            Expiration: { Days: LOCAL_EXPORT_RETENTION_DAYS },
            AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
          },
        ],
      },
    }),
  );
  return bucket;
}

async function verifySender(ses: SESv2Client, mailFrom: string): Promise<void> {
  try {
    // moto marks a new email identity as verified at once.
    await ses.send(new CreateEmailIdentityCommand({ EmailIdentity: mailFrom }));
  } catch (error) {
    if (!(error instanceof AlreadyExistsException)) throw error;
  }
}
