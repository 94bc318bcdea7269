import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ArnFormat, Duration, Stack, Validations } from 'aws-cdk-lib';
import type { IUserPool } from 'aws-cdk-lib/aws-cognito';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import {
  Architecture,
  type ILayerVersion,
  Function as LambdaFunction,
  LayerVersion,
  Runtime,
  Tracing,
} from 'aws-cdk-lib/aws-lambda';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { StringParameter } from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { retentionEnvironment, type StageConfig } from '../stage.ts';
import { METRICS_SERVICE, metricsNamespace } from './alarms.ts';
import { lambdaCode, projectRoot } from './bundling.ts';
import { logGroupEncryption } from './stage-key.ts';

const functionsDir = fileURLToPath(new URL('../../functions/', import.meta.url));

/** Where a function's Lambda entry lives: `functions/<name>/handler.ts`, exporting `handler`. */
export function defaultFunctionEntry(name: string): string {
  return `${functionsDir}${name}/handler.ts`;
}

/** The version of @aws-lambda-powertools/tracer that package-lock.json installs (and the tests ran). */
export const powertoolsTracerVersion: string = (
  JSON.parse(
    readFileSync(`${projectRoot}node_modules/@aws-lambda-powertools/tracer/package.json`, 'utf8'),
  ) as { version: string }
).version;

/**
 * The public SSM parameter AWS keeps with the ARN of the Powertools for AWS Lambda (TypeScript)
 * layer of one version, in every region: resolved at deploy time, so no account or region is
 * written into the template.
 */
export function powertoolsLayerParameter(version: string = powertoolsTracerVersion): string {
  return `/aws/service/powertools/typescript/generic/all/${version}`;
}

/** The Powertools layer of the pinned version, once per stack. */
function powertoolsLayer(scope: Construct): ILayerVersion {
  const stack = Stack.of(scope);
  const id = 'PowertoolsLayer';
  return (
    (stack.node.tryFindChild(id) as ILayerVersion | undefined) ??
    LayerVersion.fromLayerVersionArn(
      stack,
      id,
      StringParameter.valueForStringParameter(stack, powertoolsLayerParameter()),
    )
  );
}

/** Which Cognito admin actions a function may call on the pool. */
export interface UserPoolAccess {
  readonly userPool: IUserPool;
  /** IAM actions, e.g. `cognito-idp:AdminGetUser`; never a wildcard. */
  readonly actions: readonly `cognito-idp:${string}`[];
}

/** Table access a function may have. */
/** What reading and writing a table encrypted with a customer managed key takes of the key. */
const tableKeyReadActions = ['kms:Decrypt', 'kms:DescribeKey'];
const tableKeyWriteActions = ['kms:Encrypt', 'kms:GenerateDataKey'];

export interface TableAccess {
  readonly table: ITableV2;
  /** The table's global secondary indexes the function may query. */
  readonly indexNames: readonly string[];
  /** `read`: get, batch-get and query; `readWrite`: also put, update, delete and condition checks. */
  readonly mode: 'read' | 'readWrite';
}

/**
 * Item actions by access mode. Deliberately narrower than `grantReadWriteData`: no `dynamodb:Scan`
 * (the design forbids Scan in a request path, and IAM now enforces it), no stream or describe
 * actions. Transactions need no actions of their own: IAM checks each item operation inside them.
 */
const tableItemActions = {
  read: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query'],
  readWrite: [
    'dynamodb:GetItem',
    'dynamodb:BatchGetItem',
    'dynamodb:Query',
    'dynamodb:PutItem',
    'dynamodb:UpdateItem',
    'dynamodb:DeleteItem',
    'dynamodb:BatchWriteItem',
    'dynamodb:ConditionCheckItem',
  ],
} as const;

export interface AppFunctionProps {
  /** Absolute path of the TypeScript entry file; it must export `handler`. */
  readonly entry: string;
  readonly stage: StageConfig;
  readonly description?: string;
  /** Added to the Powertools variables every function gets. */
  readonly environment?: Readonly<Record<string, string>>;
  /** @default 256 */
  readonly memorySize?: number;
  /** @default Duration.seconds(10) */
  readonly timeout?: Duration;
  /** @default - no access to the table */
  readonly tableAccess?: TableAccess;
  /** @default - no Cognito admin actions */
  readonly userPoolAccess?: UserPoolAccess;
  /**
   * The address the function may send mail from with SES (`ses:SendEmail`), limited to that
   * address's own identity and its domain's identity.
   * @default - may not send mail
   */
  readonly sendEmailFrom?: string;
  /**
   * The SES configuration set the function sends through (`MAIL_CONFIGURATION_SET`): SES authorizes
   * `ses:SendEmail` against it too. Only with `sendEmailFrom`.
   * @default - sends without a configuration set
   */
  readonly sendEmailConfigurationSet?: string;
  /**
   * Names of SSM parameters (`/plinth/<stage>/...`) the function may read with `ssm:GetParameter`,
   * each by its own ARN. SecureStrings encrypted with the default `aws/ssm` key need no KMS grant:
   * that key's policy lets every principal of the account decrypt through Parameter Store, so
   * `ssm:GetParameter` on the parameter is the control.
   * @default - reads no parameter
   */
  readonly readParameters?: readonly string[];
}

/**
 * A Lambda function with the project's defaults: Node.js 24 on arm64, an ESM bundle with source
 * maps (the shared settings of lib/constructs/bundling.ts), its own log group with retention, active
 * tracing (the Powertools tracer from its layer), Powertools settings (EMF metrics in the stage's
 * namespace), and a role that holds only what the props grant (no AWS managed
 * policies, no wildcard except X-Ray's).
 */
export class AppFunction extends Construct {
  readonly function: LambdaFunction;
  readonly role: Role;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: AppFunctionProps) {
    super(scope, id);
    const { stage } = props;

    this.logGroup = new LogGroup(this, 'Logs', {
      ...logGroupEncryption(this),
      retention: stage.logRetention,
      removalPolicy: stage.removalPolicy,
    });

    // A role of our own instead of the managed AWSLambdaBasicExecutionRole, which allows creating
    // and writing any log group in the account (Resource "*"): this one writes to its own group only.
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${this.node.path}`,
    });
    this.logGroup.grantWrite(this.role);

    this.function = new LambdaFunction(this, 'Function', {
      // The one set of esbuild settings, shared with the bench (lib/constructs/bundling.ts).
      code: lambdaCode(props.entry),
      handler: 'index.handler',
      description: props.description,
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout ?? Duration.seconds(10),
      role: this.role,
      logGroup: this.logGroup,
      tracing: Tracing.ACTIVE,
      environment: {
        POWERTOOLS_SERVICE_NAME: METRICS_SERVICE,
        POWERTOOLS_METRICS_NAMESPACE: metricsNamespace(stage.name),
        POWERTOOLS_LOG_LEVEL: stage.logLevel,
        NODE_OPTIONS: '--enable-source-maps',
        // How long the records a function writes are kept (shared/config/retention.ts).
        ...retentionEnvironment(stage.retention),
        ...props.environment,
      },
      // The Powertools tracer is not bundled (it would cost ~125 KB per bundle): with tracing
      // active, shared/observability/tracer.ts loads it from this layer, of the pinned version.
      layers: [powertoolsLayer(this)],
    });

    if (props.tableAccess) this.grantTableAccess(props.tableAccess);

    if (props.userPoolAccess && props.userPoolAccess.actions.length > 0) {
      props.userPoolAccess.userPool.grant(this.role, ...props.userPoolAccess.actions);
    }

    if (props.sendEmailFrom) this.grantSendEmailFrom(props.sendEmailFrom, props.sendEmailConfigurationSet);

    if (props.readParameters && props.readParameters.length > 0)
      this.grantReadParameters(props.readParameters);

    // X-Ray's PutTraceSegments and PutTelemetryRecords have no resource-level permissions, so the
    // statement that Tracing.ACTIVE adds can only name `*`.
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Only the X-Ray statement added by active tracing uses Resource "*": xray:PutTraceSegments and xray:PutTelemetryRecords do not support resource-level permissions.',
    });
  }

  private grantTableAccess({ table, indexNames, mode }: TableAccess): void {
    this.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: [...tableItemActions[mode]], resources: [table.tableArn] }),
    );
    // A table encrypted with a customer managed key (prod) needs the key's use too, action by action
    // (no wildcards such as `kms:GenerateDataKey*`).
    table.encryptionKey?.grant(
      this.role,
      ...(mode === 'read' ? tableKeyReadActions : [...tableKeyReadActions, ...tableKeyWriteActions]),
    );
    // Indexes are named one by one rather than `<table>/index/*`, and only Query applies to them.
    if (indexNames.length > 0) {
      this.role.addToPrincipalPolicy(
        new PolicyStatement({
          actions: ['dynamodb:Query'],
          resources: indexNames.map((indexName) => `${table.tableArn}/index/${indexName}`),
        }),
      );
    }
  }

  private grantReadParameters(names: readonly string[]): void {
    const stack = Stack.of(this);
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['ssm:GetParameter'],
        resources: names.map((name) => {
          if (!name.startsWith('/')) throw new Error(`SSM parameter names start with "/", got ${name}`);
          // A parameter's ARN has no double slash: `parameter/plinth/dev/...` for `/plinth/dev/...`.
          return stack.formatArn({
            service: 'ssm',
            resource: 'parameter',
            resourceName: name.slice(1),
            arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
          });
        }),
      }),
    );
  }

  private grantSendEmailFrom(address: string, configurationSet?: string): void {
    const domain = address.split('@')[1];
    if (!domain) throw new Error(`sendEmailFrom must be an email address, got ${JSON.stringify(address)}`);
    const stack = Stack.of(this);
    // SES authorizes against the identity that verifies the sender: the address itself or its domain.
    const identityArn = (name: string) =>
      stack.formatArn({
        service: 'ses',
        resource: 'identity',
        resourceName: name,
        arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
      });
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['ses:SendEmail'],
        resources: [
          identityArn(address),
          identityArn(domain),
          ...(configurationSet
            ? [
                stack.formatArn({
                  service: 'ses',
                  resource: 'configuration-set',
                  resourceName: configurationSet,
                  arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
                }),
              ]
            : []),
        ],
        conditions: { StringEquals: { 'ses:FromAddress': address } },
      }),
    );
  }
}
