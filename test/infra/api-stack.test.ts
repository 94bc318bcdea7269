import type { CfnElement, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AppFunction } from '../../lib/constructs/app-function.ts';
import { areaAccess } from '../../lib/stacks/api-stack.ts';
import { stageConfigFor } from '../../lib/stage.ts';
import {
  AUTHORIZER_CACHE_SECONDS,
  acceptsApiClients,
  apiClientRoutes,
} from '../../shared/api-clients/scopes.ts';
import { issuerFor } from '../../shared/auth/user-pool.ts';
import {
  API_GATEWAY_TIMEOUT_MS,
  STRIPE_FUNCTION_TIMEOUT_SECONDS,
  worstCaseStripeRequestMs,
} from '../../shared/billing/stripe-budget.ts';
import { tableDefinition } from '../../shared/db/table.ts';
import { type FunctionArea, functionAreas, routeKey } from '../../shared/http/route.ts';
import { routeList } from '../../shared/http/routes.ts';
import { type BuiltPlinth, buildPlinth, testEnv, testStripePriceIds } from './plinth-app.ts';

interface Statement {
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource: unknown;
  Condition?: unknown;
}

interface Resource {
  Type: string;
  Properties: Record<string, unknown>;
}

const logicalId = (stack: Stack, construct: { node: { defaultChild?: unknown } }) =>
  stack.getLogicalId(construct.node.defaultChild as CfnElement);

const asList = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

/** Every statement of the execution role of an area's function. */
function statementsOf(template: Template, stack: Stack, fn: AppFunction): Statement[] {
  const roleId = logicalId(stack, fn.role);
  const policies = Object.values(template.findResources('AWS::IAM::Policy')) as Resource[];
  return policies
    .filter((policy) =>
      (policy.Properties.Roles as unknown[]).some(
        (role) => JSON.stringify(role) === JSON.stringify({ Ref: roleId }),
      ),
    )
    .flatMap((policy) => (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
}

const actionsOf = (statements: Statement[]) => statements.flatMap((statement) => asList(statement.Action));

/** A cross-stack value published by another Plinth stack, for vitest's `toEqual`. */
const fromStack = (stackName: string) =>
  expect.objectContaining({ 'Fn::GetStackOutput': expect.objectContaining({ StackName: stackName }) });

/** The same, for the CDK template matchers. */
const fromStackMatch = (stackName: string) =>
  Match.objectLike({ 'Fn::GetStackOutput': Match.objectLike({ StackName: stackName }) });

const readActions = ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:Query'];
const writeActions = [
  'dynamodb:BatchWriteItem',
  'dynamodb:ConditionCheckItem',
  'dynamodb:DeleteItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
];

describe('api stack (dev)', () => {
  let plinth: BuiltPlinth;
  let template: Template;

  beforeAll(() => {
    plinth = buildPlinth({ stage: 'dev' });
    template = Template.fromStack(plinth.api);
  });

  describe('functions', () => {
    it('creates one function per area, the Stripe webhook function and the API authorizer', () => {
      template.resourceCountIs('AWS::Lambda::Function', functionAreas.length + 2);
      expect(Object.keys(plinth.api.functions).sort()).toEqual([...functionAreas].sort());
    });

    it.each(functionAreas)('runs %s on nodejs24.x arm64 with the function defaults', (area) => {
      const fn = plinth.api.functions[area];

      template.hasResource('AWS::Lambda::Function', {
        Properties: Match.objectLike({
          Runtime: 'nodejs24.x',
          Architectures: ['arm64'],
          Handler: 'index.handler',
          MemorySize: 256,
          Timeout: areaAccess[area].stripe ? STRIPE_FUNCTION_TIMEOUT_SECONDS : 10,
          TracingConfig: { Mode: 'Active' },
          LoggingConfig: { LogGroup: { Ref: logicalId(plinth.api, fn.logGroup) } },
        }),
      });
    });

    it.each(functionAreas.filter((area) => areaAccess[area].stripe))(
      'gives %s a timeout that covers its worst-case sequence of Stripe calls, within API Gateway’s 30 s',
      (area) => {
        const resources = template.toJSON().Resources as Record<string, Resource>;
        const timeout = resources[logicalId(plinth.api, plinth.api.functions[area].function)]?.Properties
          .Timeout as number;
        expect(timeout * 1000).toBeGreaterThanOrEqual(worstCaseStripeRequestMs());
        expect(timeout * 1000).toBeLessThan(API_GATEWAY_TIMEOUT_MS);
      },
    );

    const commonVariables = () => ({
      TABLE_NAME: fromStack(plinth.data.stackName),
      USER_POOL_ID: fromStack(plinth.auth.stackName),
      EVENT_BUS_NAME: fromStack(plinth.events.stackName),
      APP_URL: 'https://app.example.com',
      MAIL_FROM: 'no-reply@example.com',
      MAIL_CONFIGURATION_SET: 'plinth-dev-mail',
      POWERTOOLS_SERVICE_NAME: 'plinth',
      POWERTOOLS_METRICS_NAMESPACE: 'Plinth/dev',
      POWERTOOLS_LOG_LEVEL: 'DEBUG',
      NODE_OPTIONS: '--enable-source-maps',
      // The dev stage's retention (lib/stage.ts; asserted per stage in test/infra/retention.test.ts).
      AUDIT_RETENTION_DAYS: '90',
      EXPORT_RETENTION_DAYS: '7',
      OUTBOX_RETENTION_DAYS: '7',
      COMMUNICATION_RETENTION_DAYS: '90',
    });
    /** An API function's: the common ones and the SSO client, whose tokens a tenant requiring SSO takes. */
    const apiVariables = () => ({ ...commonVariables(), SSO_CLIENT_ID: fromStack(plinth.auth.stackName) });
    /** What shared/billing/billing.env.ts reads, for the functions that call Stripe. */
    const stripeVariables = () => ({
      STRIPE_SECRET_KEY_PARAMETER: '/plinth/dev/stripe/secret-key',
      STRIPE_PRICE_IDS: JSON.stringify(testStripePriceIds.dev),
      BILLING_GRACE_DAYS: '7',
    });
    /** A function's environment; TENANT_DATA_ROLE_ARN is asserted in test/infra/tenant-isolation.test.ts. */
    const environmentOf = (fn: AppFunction) => {
      const environment = (template.toJSON().Resources as Record<string, Resource>)[
        logicalId(plinth.api, fn.function)
      ]?.Properties.Environment as { Variables: Record<string, unknown> };
      const { TENANT_DATA_ROLE_ARN: _role, ...Variables } = environment.Variables;
      return { Variables };
    };

    // health's own variables (what it watches) are checked in test/infra/health.test.ts.
    it.each(
      functionAreas.filter(
        (area) =>
          !areaAccess[area].stripe &&
          area !== 'product-analytics' &&
          area !== 'health' &&
          area !== 'magic-link' &&
          area !== 'sso' &&
          area !== 'erasure',
      ),
    )('gives %s the variables shared/config/env.ts reads, plus Powertools settings', (area) => {
      const variables = environmentOf(plinth.api.functions[area]) as { Variables: Record<string, unknown> };
      // The audit digest bucket (audit only) is asserted in "names the audit digest bucket …", the
      // exports bucket (exports only) in "names the exports bucket …".
      const { AUDIT_DIGEST_BUCKET: _bucket, EXPORTS_BUCKET_NAME: _exports, ...rest } = variables.Variables;
      expect({ Variables: rest }).toEqual({ Variables: apiVariables() });
    });

    it('gives sso the common variables, the hosted UI, its callback, the secrets prefix and DNS verification', () => {
      expect(environmentOf(plinth.api.functions.sso)).toEqual({
        Variables: {
          ...apiVariables(),
          SSO_HOSTED_UI_URL: expect.objectContaining({ 'Fn::Join': expect.anything() }),
          SSO_CALLBACK_URL: 'https://app.example.com/sso/callback',
          SSO_SECRET_PREFIX: 'plinth/dev/sso/',
          SSO_DOMAIN_VERIFICATION: 'dns',
        },
      });
    });

    it('gives erasure the common variables and the stage’s pseudonym key, resolved from its secret at deploy', () => {
      const variables = environmentOf(plinth.api.functions.erasure) as { Variables: Record<string, unknown> };
      const { ERASURE_PSEUDONYM_KEY: key, ...rest } = variables.Variables;
      expect({ Variables: rest }).toEqual({ Variables: apiVariables() });
      expect(JSON.stringify(key)).toContain('{{resolve:secretsmanager:');
    });

    it('gives magic-link the common variables and the app client it signs users in with', () => {
      const variables = environmentOf(plinth.api.functions['magic-link']) as {
        Variables: Record<string, unknown>;
      };
      const { USER_POOL_CLIENT_ID: clientId, ...rest } = variables.Variables;
      expect({ Variables: rest }).toEqual({ Variables: apiVariables() });
      expect(JSON.stringify(clientId)).toContain('WebClient');
    });

    it('gives product-analytics the common variables and the stage’s raw event TTL', () => {
      expect(environmentOf(plinth.api.functions['product-analytics'])).toEqual({
        Variables: { ...apiVariables(), PRODUCT_EVENT_TTL_DAYS: '30' },
      });
    });

    it.each(functionAreas.filter((area) => areaAccess[area].stripe))(
      'gives %s the Stripe secret key parameter name, the stage’s price ids and the grace period too',
      (area) => {
        expect(environmentOf(plinth.api.functions[area])).toEqual({
          Variables: {
            ...apiVariables(),
            ...stripeVariables(),
            // The stage's redirect origins, for the routes that take redirect URLs.
            ...(area === 'billing'
              ? { ALLOWED_REDIRECT_ORIGINS: 'http://localhost:3000,http://localhost:5173' }
              : {}),
          },
        });
      },
    );

    it('gives the webhook function both Stripe parameter names, never a secret value', () => {
      expect(environmentOf(plinth.api.stripeWebhook)).toEqual({
        Variables: {
          ...commonVariables(),
          ...stripeVariables(),
          STRIPE_WEBHOOK_SECRET_PARAMETER: '/plinth/dev/stripe/webhook-secret',
        },
      });
    });

    it('keeps each function’s logs in its own log group for the stage’s retention', () => {
      const retention = 7;
      for (const area of functionAreas) {
        const logGroupId = logicalId(plinth.api, plinth.api.functions[area].logGroup);
        expect(template.toJSON().Resources[logGroupId]).toMatchObject({
          Type: 'AWS::Logs::LogGroup',
          Properties: { RetentionInDays: retention },
          DeletionPolicy: 'Delete',
        });
      }
    });
  });

  describe('permissions', () => {
    const expectedTableActions: Record<FunctionArea, string[]> = {
      system: [],
      me: [...readActions, ...writeActions],
      tenants: [...readActions, ...writeActions],
      members: [...readActions, ...writeActions],
      invitations: [...readActions, ...writeActions],
      projects: [...readActions, ...writeActions],
      audit: [...readActions, ...writeActions],
      billing: [...readActions, ...writeActions],
      admin: [...readActions, ...writeActions],
      'admin-billing': [...readActions, ...writeActions],
      metrics: [...readActions, ...writeActions],
      'product-analytics': [...readActions, ...writeActions],
      impersonation: [...readActions, ...writeActions],
      support: [...readActions, ...writeActions],
      announcements: [...readActions, ...writeActions],
      health: readActions,
      'api-clients': [...readActions, ...writeActions],
      erasure: [...readActions, ...writeActions],
      'magic-link': [...readActions, ...writeActions],
      sso: [...readActions, ...writeActions],
      exports: [...readActions, ...writeActions],
    };

    it('attaches no AWS managed policy to any role', () => {
      const roles = Object.values(template.findResources('AWS::IAM::Role')) as Resource[];
      // One per area, the Stripe webhook's, the API authorizer's and the tenant-data role (lib/constructs/tenant-data-role.ts).
      expect(roles).toHaveLength(functionAreas.length + 3);
      for (const role of roles) expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    });

    it('grants no wildcard action', () => {
      const policies = Object.values(template.findResources('AWS::IAM::Policy')) as Resource[];
      const actions = policies.flatMap((policy) =>
        actionsOf((policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement),
      );
      expect(actions.filter((action) => action.includes('*'))).toEqual([]);
    });

    it.each(functionAreas.filter((area) => area !== 'health'))(
      'lets %s use "*" only for X-Ray, which has no resource-level permissions',
      (area) => {
        const statements = statementsOf(template, plinth.api, plinth.api.functions[area]);
        const starStatements = statements.filter(
          (statement) =>
            asList(statement.Resource).some((resource) => JSON.stringify(resource).includes('*')) &&
            // The audit digests', the SSO secrets' and the exports' prefixes, asserted on their own below.
            !JSON.stringify(statement.Resource).includes('/audit-digests/*') &&
            !JSON.stringify(statement.Resource).includes(':secret:plinth/dev/sso/*') &&
            !JSON.stringify(statement.Resource).includes('/users/*'),
        );

        expect(starStatements).toEqual([
          {
            Effect: 'Allow',
            Action: ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'],
            Resource: '*',
          },
        ]);
      },
    );

    it('lets only audit list and read the audit digests, under their prefix, and no other S3 action', () => {
      const s3Statements = (area: FunctionArea) =>
        statementsOf(template, plinth.api, plinth.api.functions[area]).filter((statement) =>
          actionsOf([statement]).some((action) => action.startsWith('s3:')),
        );
      const bucketArn = [
        'arn:',
        { Ref: 'AWS::Partition' },
        ':s3:::plinth-dev-audit-digests-',
        { Ref: 'AWS::AccountId' },
        '-',
        { Ref: 'AWS::Region' },
      ];

      expect(s3Statements('audit')).toEqual([
        {
          Effect: 'Allow',
          Action: 's3:ListBucket',
          Resource: { 'Fn::Join': ['', bucketArn] },
          Condition: { StringLike: { 's3:prefix': ['audit-digests/*'] } },
        },
        {
          Effect: 'Allow',
          Action: 's3:GetObject',
          Resource: { 'Fn::Join': ['', [...bucketArn, '/audit-digests/*']] },
        },
      ]);
      for (const area of functionAreas.filter((name) => name !== 'audit' && name !== 'exports'))
        expect(s3Statements(area)).toEqual([]);
    });

    it('lets exports read (to presign) only the export archives, under their prefixes, and no other S3 action', () => {
      const statements = statementsOf(template, plinth.api, plinth.api.functions.exports).filter(
        (statement) => actionsOf([statement]).some((action) => action.startsWith('s3:')),
      );
      const bucketArn = [
        'arn:',
        { Ref: 'AWS::Partition' },
        ':s3:::plinth-dev-exports-',
        { Ref: 'AWS::AccountId' },
        '-',
        { Ref: 'AWS::Region' },
      ];
      expect(statements).toEqual([
        {
          Effect: 'Allow',
          Action: 's3:GetObject',
          Resource: [
            { 'Fn::Join': ['', [...bucketArn, '/tenants/*']] },
            { 'Fn::Join': ['', [...bucketArn, '/users/*']] },
          ],
        },
      ]);
    });

    it('names the exports bucket and the stage’s export retention to the exports function', () => {
      const resources = template.toJSON().Resources as Record<string, Resource>;
      const fn = resources[logicalId(plinth.api, plinth.api.functions.exports.function)];
      const variables = (fn?.Properties.Environment as { Variables: Record<string, unknown> } | undefined)
        ?.Variables;
      expect(variables).toBeDefined();
      expect(JSON.stringify(variables?.EXPORTS_BUCKET_NAME)).toContain('plinth-dev-exports-');
      expect(variables?.EXPORT_RETENTION_DAYS).toBe('7');
    });

    it('names the audit digest bucket to the audit function', () => {
      const resources = template.toJSON().Resources as Record<string, Resource>;
      const environment = resources[logicalId(plinth.api, plinth.api.functions.audit.function)]?.Properties
        .Environment as { Variables: Record<string, unknown> };
      expect(JSON.stringify(environment.Variables.AUDIT_DIGEST_BUCKET)).toContain(
        'plinth-dev-audit-digests-',
      );
    });

    it.each(functionAreas)('lets %s write only to its own log group', (area) => {
      const fn = plinth.api.functions[area];
      const logStatements = statementsOf(template, plinth.api, fn).filter((statement) =>
        actionsOf([statement]).some((action) => action.startsWith('logs:')),
      );

      expect(logStatements).toEqual([
        {
          Effect: 'Allow',
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Resource: { 'Fn::GetAtt': [logicalId(plinth.api, fn.logGroup), 'Arn'] },
        },
      ]);
    });

    it.each(functionAreas)('gives %s exactly the table actions its area needs, never Scan', (area) => {
      const statements = statementsOf(template, plinth.api, plinth.api.functions[area]);
      const tableActions = actionsOf(statements).filter((action) => action.startsWith('dynamodb:'));

      expect(new Set(tableActions)).toEqual(new Set(expectedTableActions[area]));
      expect(tableActions).not.toContain('dynamodb:Scan');
    });

    it.each(functionAreas.filter((area) => area !== 'system'))(
      'lets %s query the declared indexes by name only',
      (area) => {
        const statements = statementsOf(template, plinth.api, plinth.api.functions[area]);
        const indexResources = statements.flatMap((statement) =>
          asList(statement.Resource).filter((resource) => JSON.stringify(resource).includes('/index/')),
        );

        expect(indexResources).toEqual(
          tableDefinition.globalSecondaryIndexes.map((index) => ({
            'Fn::Join': ['', [fromStack(plinth.data.stackName), `/index/${index.indexName}`]],
          })),
        );
      },
    );

    it('grants cognito-idp:AdminGetUser only to the areas that read a user’s email, and the account actions only to admin', () => {
      const cognitoActions = Object.fromEntries(
        functionAreas.map((area) => [
          area,
          actionsOf(statementsOf(template, plinth.api, plinth.api.functions[area])).filter((action) =>
            action.startsWith('cognito-idp:'),
          ),
        ]),
      );

      expect(cognitoActions).toEqual({
        system: [],
        me: ['cognito-idp:AdminGetUser'],
        tenants: ['cognito-idp:AdminGetUser'],
        members: ['cognito-idp:AdminGetUser'],
        invitations: ['cognito-idp:AdminGetUser'],
        projects: ['cognito-idp:AdminGetUser'],
        audit: ['cognito-idp:AdminGetUser'],
        billing: [],
        admin: [
          'cognito-idp:AdminDisableUser',
          'cognito-idp:AdminEnableUser',
          'cognito-idp:AdminGetUser',
          'cognito-idp:AdminResetUserPassword',
          'cognito-idp:AdminUserGlobalSignOut',
        ],
        'admin-billing': ['cognito-idp:AdminGetUser'],
        metrics: ['cognito-idp:AdminGetUser'],
        'product-analytics': ['cognito-idp:AdminGetUser'],
        impersonation: ['cognito-idp:AdminGetUser'],
        support: ['cognito-idp:AdminGetUser'],
        announcements: ['cognito-idp:AdminGetUser'],
        health: ['cognito-idp:AdminGetUser'],
        'api-clients': [],
        erasure: ['cognito-idp:AdminGetUser'],
        'magic-link': [
          'cognito-idp:AdminGetUser',
          'cognito-idp:AdminInitiateAuth',
          'cognito-idp:AdminRespondToAuthChallenge',
        ],
        sso: [
          'cognito-idp:AdminGetUser',
          'cognito-idp:CreateIdentityProvider',
          'cognito-idp:DeleteIdentityProvider',
          'cognito-idp:DescribeIdentityProvider',
          'cognito-idp:DescribeUserPoolClient',
          'cognito-idp:ListIdentityProviders',
          'cognito-idp:UpdateIdentityProvider',
          'cognito-idp:UpdateUserPoolClient',
        ],
        exports: ['cognito-idp:AdminGetUser'],
      });
    });

    it('lets only sso write secrets, those under the stage’s SSO prefix, and never read one', () => {
      const secretActions = (area: FunctionArea) =>
        statementsOf(template, plinth.api, plinth.api.functions[area]).filter((statement) =>
          actionsOf([statement]).some((action) => action.startsWith('secretsmanager:')),
        );
      expect(secretActions('sso')).toEqual([
        {
          Effect: 'Allow',
          Action: [
            'secretsmanager:CreateSecret',
            'secretsmanager:DeleteSecret',
            'secretsmanager:PutSecretValue',
          ],
          Resource: {
            'Fn::Join': [
              '',
              [
                'arn:',
                { Ref: 'AWS::Partition' },
                ':secretsmanager:',
                { Ref: 'AWS::Region' },
                ':',
                { Ref: 'AWS::AccountId' },
                ':secret:plinth/dev/sso/*',
              ],
            ],
          },
        },
      ]);
      for (const area of functionAreas.filter((name) => name !== 'sso'))
        expect(secretActions(area)).toEqual([]);
    });

    it('lets only invitations, support and magic-link send email, from the configured address', () => {
      const senders = functionAreas.filter((area) =>
        actionsOf(statementsOf(template, plinth.api, plinth.api.functions[area])).some((action) =>
          action.startsWith('ses:'),
        ),
      );
      const sesStatement = statementsOf(template, plinth.api, plinth.api.functions.invitations).find(
        (statement) => actionsOf([statement]).includes('ses:SendEmail'),
      );

      expect(senders).toEqual(['invitations', 'support', 'magic-link']);
      expect(sesStatement).toMatchObject({
        Action: 'ses:SendEmail',
        Condition: { StringEquals: { 'ses:FromAddress': 'no-reply@example.com' } },
      });
      expect(JSON.stringify(sesStatement?.Resource)).toContain(':identity/no-reply@example.com');
      expect(JSON.stringify(sesStatement?.Resource)).toContain(':identity/example.com');
    });

    it('grants nothing on the event bus but export requests from the exports function: publishing goes through the outbox', () => {
      const busStatements = functionAreas.flatMap((area) =>
        statementsOf(template, plinth.api, plinth.api.functions[area])
          .filter((statement) => actionsOf([statement]).some((action) => action.startsWith('events:')))
          .map((statement) => ({ area, statement })),
      );
      expect(busStatements).toEqual([
        {
          area: 'exports',
          statement: expect.objectContaining({
            Action: 'events:PutEvents',
            Condition: {
              StringEquals: { 'events:source': 'plinth', 'events:detail-type': 'Export Requested v1' },
            },
          }),
        },
      ]);
    });
  });

  describe('Stripe', () => {
    const parameterArn = (name: string) =>
      `arn:aws:ssm:${testEnv.region}:${testEnv.account}:parameter${name}`;
    const ssmStatementsOf = (fn: AppFunction) =>
      statementsOf(template, plinth.api, fn).filter((statement) =>
        actionsOf([statement]).some((action) => action.startsWith('ssm:')),
      );

    it('serves the webhook on a Function URL without IAM auth: Stripe signs its requests', () => {
      template.resourceCountIs('AWS::Lambda::Url', 1);
      template.hasResourceProperties('AWS::Lambda::Url', {
        AuthType: 'NONE',
        TargetFunctionArn: {
          'Fn::GetAtt': [logicalId(plinth.api, plinth.api.stripeWebhook.function), 'Arn'],
        },
      });
      template.hasResourceProperties('AWS::Lambda::Permission', {
        Action: 'lambda:InvokeFunctionUrl',
        FunctionUrlAuthType: 'NONE',
        Principal: '*',
      });
    });

    it('outputs the webhook URL to register in Stripe', () => {
      template.hasOutput('StripeWebhookUrl', {
        Value: {
          'Fn::GetAtt': [logicalId(plinth.api, plinth.api.stripeWebhookUrl), 'FunctionUrl'],
        },
      });
    });

    it('lets only the webhook, billing and admin-billing functions read Stripe parameters', () => {
      const policies = Object.values(template.findResources('AWS::IAM::Policy')) as Resource[];
      const readers = policies
        .filter((policy) =>
          actionsOf((policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement).some(
            (action) => action.startsWith('ssm:'),
          ),
        )
        .flatMap((policy) => policy.Properties.Roles as { Ref: string }[]);

      expect(new Set(readers.map((role) => role.Ref))).toEqual(
        new Set(
          [plinth.api.stripeWebhook, plinth.api.functions.billing, plinth.api.functions['admin-billing']].map(
            (fn) => logicalId(plinth.api, fn.role),
          ),
        ),
      );
    });

    it('lets billing and admin-billing read the secret key parameter only, with ssm:GetParameter', () => {
      for (const fn of [plinth.api.functions.billing, plinth.api.functions['admin-billing']]) {
        expect(ssmStatementsOf(fn)).toEqual([
          {
            Effect: 'Allow',
            Action: 'ssm:GetParameter',
            Resource: parameterArn('/plinth/dev/stripe/secret-key'),
          },
        ]);
      }
    });

    it('lets the webhook read the webhook secret and the secret key parameters, with ssm:GetParameter', () => {
      expect(ssmStatementsOf(plinth.api.stripeWebhook)).toEqual([
        {
          Effect: 'Allow',
          Action: 'ssm:GetParameter',
          Resource: [
            parameterArn('/plinth/dev/stripe/secret-key'),
            parameterArn('/plinth/dev/stripe/webhook-secret'),
          ],
        },
      ]);
    });

    it('grants no KMS action: the parameters use the aws/ssm key, whose policy allows decryption through SSM', () => {
      const policies = Object.values(template.findResources('AWS::IAM::Policy')) as Resource[];
      const actions = policies.flatMap((policy) =>
        actionsOf((policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement),
      );

      expect(actions.filter((action) => action.startsWith('kms:'))).toEqual([]);
    });

    it('lets the webhook read and write the table and query its indexes, and nothing on Cognito, SES or the bus', () => {
      const actions = actionsOf(statementsOf(template, plinth.api, plinth.api.stripeWebhook));

      expect(new Set(actions.filter((action) => action.startsWith('dynamodb:')))).toEqual(
        new Set([...readActions, ...writeActions]),
      );
      expect(actions.filter((action) => /^(cognito-idp|ses|events):/.test(action))).toEqual([]);
    });

    /** The webhook's alarms: description, and the metrics each one reads (name → dimensions). */
    function webhookAlarms() {
      const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')) as Resource[];
      return alarms.map((alarm) => {
        const direct = alarm.Properties.MetricName
          ? [
              {
                MetricName: alarm.Properties.MetricName,
                Namespace: alarm.Properties.Namespace,
                Dimensions: alarm.Properties.Dimensions,
              },
            ]
          : [];
        const fromMath = (
          (alarm.Properties.Metrics as {
            MetricStat?: { Metric: { MetricName: string; Namespace: string; Dimensions: unknown } };
          }[]) ?? []
        ).flatMap((metric) => (metric.MetricStat ? [metric.MetricStat.Metric] : []));
        return {
          description: String(alarm.Properties.AlarmDescription),
          evaluationPeriods: alarm.Properties.EvaluationPeriods,
          metrics: [...direct, ...fromMath] as {
            MetricName: string;
            Namespace: string;
            Dimensions: unknown;
          }[],
        };
      });
    }
    const emf = (name: string) => ({
      MetricName: name,
      // The stage's namespace, like every function's EMF metrics (lib/constructs/alarms.ts).
      Namespace: 'Plinth/dev',
      Dimensions: [{ Name: 'service', Value: 'plinth' }],
    });

    it('alarms when the webhook crashes or counts a failed event in its EMF metric, not on log lines', () => {
      const failures = webhookAlarms().find((alarm) => alarm.description.includes('webhook failed'));
      expect(failures?.metrics).toEqual([
        expect.objectContaining({
          MetricName: 'Errors',
          Dimensions: [
            {
              Name: 'FunctionName',
              Value: { Ref: logicalId(plinth.api, plinth.api.stripeWebhook.function) },
            },
          ],
        }),
        expect.objectContaining(emf('StripeEventsFailed')),
      ]);
      template.resourceCountIs('AWS::Logs::MetricFilter', 0);
    });

    it.each([
      ['DisputesOpened', 1],
      ['DuplicateSubscriptions', 1],
      ['StripeEventsDeferred', 3],
    ])("alarms on the webhook's %s metric", (name, periods) => {
      const alarm = webhookAlarms().find((candidate) => candidate.metrics.some((m) => m.MetricName === name));
      expect(alarm?.metrics).toEqual([expect.objectContaining(emf(name))]);
      expect(alarm?.evaluationPeriods).toBe(periods);
    });
  });

  describe('routes', () => {
    it('creates exactly one route per entry of routeList', () => {
      template.resourceCountIs('AWS::ApiGatewayV2::Route', routeList.length);
    });

    it.each(routeList.map((route) => [routeKey(route), route] as const))(
      '%s exists with its auth type and its area’s function',
      (key, route) => {
        const resources = template.toJSON().Resources as Record<string, Resource>;
        const matches = Object.values(resources).filter(
          (resource) => resource.Type === 'AWS::ApiGatewayV2::Route' && resource.Properties.RouteKey === key,
        );
        expect(matches).toHaveLength(1);
        const properties = matches[0]?.Properties ?? {};

        const expectedType = route.auth === 'none' ? 'NONE' : acceptsApiClients(key) ? 'CUSTOM' : 'JWT';
        expect(properties.AuthorizationType).toBe(expectedType);
        if (route.auth === 'jwt') expect(properties.AuthorizerId).toBeDefined();
        else expect(properties.AuthorizerId).toBeUndefined();

        const target = properties.Target as { 'Fn::Join': [string, [string, { Ref: string }]] };
        const integration = resources[target['Fn::Join'][1][1].Ref];
        expect(integration?.Properties).toMatchObject({
          IntegrationType: 'AWS_PROXY',
          PayloadFormatVersion: '2.0',
          IntegrationUri: {
            'Fn::GetAtt': [logicalId(plinth.api, plinth.api.functions[route.area].function), 'Arn'],
          },
        });
      },
    );

    it('verifies Cognito access tokens with a JWT authorizer for the app client and the SSO client', () => {
      template.resourceCountIs('AWS::ApiGatewayV2::Authorizer', 2);
      template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
        AuthorizerType: 'JWT',
        IdentitySource: ['$request.header.Authorization'],
        JwtConfiguration: {
          Issuer: {
            'Fn::Join': ['', [issuerFor(testEnv.region, ''), fromStackMatch(plinth.auth.stackName)]],
          },
          Audience: [fromStackMatch(plinth.auth.stackName), fromStackMatch(plinth.auth.stackName)],
        },
      });
      const [authorizer] = Object.values(
        template.findResources('AWS::ApiGatewayV2::Authorizer'),
      ) as Resource[];
      const audience =
        (authorizer?.Properties.JwtConfiguration as { Audience?: unknown[] } | undefined)?.Audience ?? [];
      // Two different outputs of the auth stack: the web client's id and the SSO client's.
      expect(JSON.stringify(audience[0])).not.toEqual(JSON.stringify(audience[1]));
      expect(JSON.stringify(audience[0])).toContain('WebClient');
    });
  });

  describe('API key authorizer', () => {
    const authorizerId = () => logicalId(plinth.api, plinth.api.apiAuthorizer.function);

    it('is a REQUEST authorizer with simple responses, cached per Authorization header', () => {
      template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
        AuthorizerType: 'REQUEST',
        AuthorizerPayloadFormatVersion: '2.0',
        EnableSimpleResponses: true,
        IdentitySource: ['$request.header.Authorization'],
        AuthorizerResultTtlInSeconds: AUTHORIZER_CACHE_SECONDS,
        AuthorizerUri: Match.objectLike({
          'Fn::Join': Match.arrayWith([
            Match.arrayWith([Match.objectLike({ 'Fn::GetAtt': [authorizerId(), 'Arn'] })]),
          ]),
        }),
      });
    });

    it('sits on exactly the routes that accept API keys', () => {
      const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route')) as Resource[];
      const custom = routes
        .filter((route) => route.Properties.AuthorizationType === 'CUSTOM')
        .map((route) => route.Properties.RouteKey)
        .sort();
      expect(custom).toEqual(Object.keys(apiClientRoutes).sort());
    });

    it('may only GetItem API key items of the table (LeadingKeys APIKEY#), nothing else', () => {
      const statements = statementsOf(template, plinth.api, plinth.api.apiAuthorizer).filter((statement) =>
        actionsOf([statement]).some((action) => action.startsWith('dynamodb:')),
      );
      expect(statements).toEqual([
        {
          Effect: 'Allow',
          Action: 'dynamodb:GetItem',
          Resource: expect.anything(),
          Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['APIKEY#*'] } },
        },
      ]);
    });

    it('gets the pool, the table and both app clients (web and SSO) in its environment', () => {
      const resources = template.toJSON().Resources as Record<string, Resource>;
      const authorizer = resources[logicalId(plinth.api, plinth.api.apiAuthorizer.function)];
      const { Variables: variables } = (authorizer as Resource).Properties.Environment as {
        Variables: Record<string, unknown>;
      };
      expect(Object.keys(variables)).toEqual(
        expect.arrayContaining(['TABLE_NAME', 'USER_POOL_ID', 'USER_POOL_CLIENT_IDS']),
      );
      const clientIds = JSON.stringify(variables.USER_POOL_CLIENT_IDS);
      expect(clientIds).toContain(`Ref${logicalId(plinth.auth, plinth.auth.userPoolClient)}`);
      expect(clientIds).toContain(`Ref${logicalId(plinth.auth, plinth.auth.sso.client)}`);
    });
  });

  describe('stage and CORS', () => {
    it('auto-deploys the $default stage with the stage’s throttling', () => {
      const { throttle } = stageConfigFor('dev');
      template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
        StageName: '$default',
        AutoDeploy: true,
        DefaultRouteSettings: {
          ThrottlingRateLimit: throttle.rateLimit,
          ThrottlingBurstLimit: throttle.burstLimit,
        },
      });
    });

    it('writes JSON access logs with request id, ip, route, status and latency', () => {
      const stage = Object.values(template.findResources('AWS::ApiGatewayV2::Stage'))[0] as Resource;
      const settings = stage.Properties.AccessLogSettings as { DestinationArn: unknown; Format: string };

      expect(JSON.parse(settings.Format)).toMatchObject({
        requestId: '$context.requestId',
        ip: '$context.identity.sourceIp',
        routeKey: '$context.routeKey',
        status: '$context.status',
        latency: '$context.responseLatency',
      });
      expect(settings.DestinationArn).toEqual({
        'Fn::GetAtt': [expect.stringMatching(/^AccessLogs/), 'Arn'],
      });
    });

    it('allows the app origin and local front-ends in dev', () => {
      template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
        ProtocolType: 'HTTP',
        CorsConfiguration: Match.objectLike({
          AllowOrigins: ['https://app.example.com', ...stageConfigFor('dev').extraCorsOrigins],
          AllowHeaders: ['authorization', 'content-type', 'if-match', 'plinth-impersonation'],
        }),
      });
    });

    it('lets browsers send If-Match and read ETags and rate-limit headers across origins', () => {
      template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
        CorsConfiguration: Match.objectLike({
          AllowHeaders: Match.arrayWith(['if-match']),
          ExposeHeaders: ['etag', 'retry-after', 'ratelimit', 'ratelimit-policy'],
        }),
      });
    });
  });
});

describe('api stack (prod, with context)', () => {
  let plinth: BuiltPlinth;
  let template: Template;

  beforeAll(() => {
    plinth = buildPlinth({
      stage: 'prod',
      context: { appUrl: 'https://app.acme.test/welcome', mailFrom: 'hello@mail.acme.test' },
    });
    template = Template.fromStack(plinth.api);
  });

  it('passes appUrl and mailFrom from the CDK context to every function but the authorizer', () => {
    const resources = template.findResources('AWS::Lambda::Function') as Record<string, Resource>;
    const authorizer = logicalId(plinth.api, plinth.api.apiAuthorizer.function);
    const functions = Object.entries(resources).filter(([id]) => id !== authorizer);
    expect(functions).toHaveLength(functionAreas.length + 1);
    for (const [, fn] of functions) {
      expect(fn.Properties.Environment).toMatchObject({
        Variables: {
          APP_URL: 'https://app.acme.test/welcome',
          MAIL_FROM: 'hello@mail.acme.test',
          POWERTOOLS_LOG_LEVEL: 'INFO',
        },
      });
    }
  });

  it('allows only the app origin', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      CorsConfiguration: Match.objectLike({ AllowOrigins: ['https://app.acme.test'] }),
    });
  });

  it.each([
    ['health', ['kms:Decrypt', 'kms:DescribeKey']],
    ['projects', ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey']],
  ] as const)(
    "lets %s use the table's customer managed key as far as its table access goes",
    (area, expected) => {
      const kms = actionsOf(statementsOf(template, plinth.api, plinth.api.functions[area])).filter((action) =>
        action.startsWith('kms:'),
      );
      expect(kms.sort()).toEqual([...expected].sort());
    },
  );

  it('throttles with the prod limits', () => {
    const { throttle } = stageConfigFor('prod');
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      DefaultRouteSettings: {
        ThrottlingRateLimit: throttle.rateLimit,
        ThrottlingBurstLimit: throttle.burstLimit,
      },
    });
  });

  it('retains log groups for three months', () => {
    const logGroups = Object.values(
      template.toJSON().Resources as Record<string, Resource & { DeletionPolicy?: string }>,
    ).filter((resource) => resource.Type === 'AWS::Logs::LogGroup');
    // One per function (the areas, the webhook, the authorizer) and the API's access logs.
    expect(logGroups).toHaveLength(functionAreas.length + 3);
    for (const logGroup of logGroups) {
      expect(logGroup).toMatchObject({ Properties: { RetentionInDays: 90 }, DeletionPolicy: 'Retain' });
    }
  });

  it('lets invitations send from the configured address only', () => {
    const sesStatement = statementsOf(template, plinth.api, plinth.api.functions.invitations).find(
      (statement) => actionsOf([statement]).includes('ses:SendEmail'),
    );
    expect(sesStatement?.Condition).toEqual({ StringEquals: { 'ses:FromAddress': 'hello@mail.acme.test' } });
    expect(JSON.stringify(sesStatement?.Resource)).toContain(':identity/mail.acme.test');
  });
});

describe('read-only table access', () => {
  it('is given only to functions whose routes are all operator routes (they neither record sign-ins nor count requests against a tenant)', () => {
    const readOnly = functionAreas.filter((area) => areaAccess[area].table === 'read');
    const customerRoutes = routeList.filter(
      (route) => readOnly.includes(route.area) && route.auth === 'jwt' && !route.path.startsWith('/admin'),
    );
    expect(customerRoutes.map((route) => routeKey(route))).toEqual([]);
  });
});
