import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type AppFunction,
  powertoolsLayerParameter,
  powertoolsTracerVersion,
} from '../../lib/constructs/app-function.ts';
import { stageKeyOf } from '../../lib/constructs/stage-key.ts';
import { workerNames } from '../../lib/stacks/events-stack.ts';
import { productStreamFilter, productStreamSettings } from '../../shared/analytics/product/product-stream.ts';
import { busDefinition, busNameFor } from '../../shared/events/bus.ts';
import { outboxStreamFilter, publisherStreamSettings } from '../../shared/events/publisher.ts';
import { tableNameParameterFor } from '../../shared/events/replay.ts';
import { notifiedEventTypes } from '../../shared/notifications/notifications.service.ts';
import { eventMetricNames } from '../../shared/observability/metric-names.ts';
import { type BuiltPlinth, buildPlinth, testProdContext } from './plinth-app.ts';
import { actionsOf, arnOf, asList, logicalId, type Resource, resourcesOf, statementsOf } from './template.ts';

describe('events stack', () => {
  let plinth: BuiltPlinth;
  let template: Template;

  beforeAll(() => {
    plinth = buildPlinth({ stage: 'prod' });
    template = Template.fromStack(plinth.events);
  });

  /** The stack's customer managed key (prod), which encrypts its queues. */
  const stageKeyArn = () => arnOf(plinth.events, stageKeyOf(plinth.events) ?? plinth.events);

  const worker = (name: string): AppFunction => {
    const fn = plinth.events.workers[name];
    if (!fn) throw new Error(`no worker ${name}`);
    return fn;
  };
  const functionArn = (fn: AppFunction) => arnOf(plinth.events, fn.function);

  describe('bus and rules', () => {
    it('creates the custom bus named for the stage', () => {
      template.resourceCountIs('AWS::Events::EventBus', 1);
      template.hasResourceProperties('AWS::Events::EventBus', { Name: busNameFor('prod') });
    });

    it('creates one rule per declared rule definition, on the custom bus, with its event pattern', () => {
      const rules = Object.values(resourcesOf(template, 'AWS::Events::Rule'));

      expect(rules.map((rule) => rule.Properties.EventPattern)).toEqual(
        busDefinition.rules.map((rule) => rule.eventPattern),
      );
      for (const rule of rules) {
        expect(rule.Properties.EventBusName).toEqual({
          Ref: logicalId(plinth.events, plinth.events.eventBus),
        });
      }
    });

    it.each(busDefinition.rules.map((rule, index) => [rule.name, index] as const))(
      'delivers rule %s to an encrypted, SSL-only queue whose redrive policy ends in its own dead-letter queue',
      (_name, index) => {
        const rule = plinth.events.rules[index];
        const queues = resourcesOf(template, 'AWS::SQS::Queue');
        const queue = queues[logicalId(plinth.events, rule?.queue ?? plinth.events)];

        expect(queue?.Properties).toMatchObject({
          // prod: the stack's customer managed key (lib/constructs/stage-key.ts).
          KmsMasterKeyId: stageKeyArn(),
          RedrivePolicy: {
            deadLetterTargetArn: arnOf(plinth.events, rule?.deadLetterQueue ?? plinth.events),
            maxReceiveCount: busDefinition.maxReceiveCount,
          },
        });
        expect(rule?.queue.fifo).toBe(false);
      },
    );

    it('sends what a rule target cannot deliver to the rule’s dead-letter queue', () => {
      const rules = resourcesOf(template, 'AWS::Events::Rule');

      busDefinition.rules.forEach((_definition, index) => {
        const built = plinth.events.rules[index];
        if (!built) throw new Error('rule not built');
        expect(rules[logicalId(plinth.events, built.rule)]?.Properties.Targets).toEqual([
          expect.objectContaining({
            Arn: arnOf(plinth.events, built.queue),
            DeadLetterConfig: { Arn: arnOf(plinth.events, built.deadLetterQueue) },
          }),
        ]);
      });
    });

    it('refuses plain-HTTP access to every queue', () => {
      const policies = Object.values(resourcesOf(template, 'AWS::SQS::QueuePolicy'));
      const queueIds = Object.keys(resourcesOf(template, 'AWS::SQS::Queue'));
      const guarded = policies
        .filter((policy) =>
          (
            policy.Properties.PolicyDocument as { Statement: { Effect: string; Condition?: unknown }[] }
          ).Statement.some(
            (statement) =>
              statement.Effect === 'Deny' &&
              JSON.stringify(statement.Condition) ===
                JSON.stringify({ Bool: { 'aws:SecureTransport': 'false' } }),
          ),
        )
        .flatMap((policy) => (policy.Properties.Queues as { Ref: string }[]).map((queue) => queue.Ref));

      expect(new Set(guarded)).toEqual(new Set(queueIds));
      for (const queue of Object.values(resourcesOf(template, 'AWS::SQS::Queue'))) {
        expect(queue.Properties.KmsMasterKeyId).toEqual(stageKeyArn());
      }
    });

    it.each(busDefinition.rules.map((rule, index) => [rule.name, rule.consumer, index] as const))(
      'has rule %s drained by its consumer %s in batches that report item failures',
      (_name, consumer, index) => {
        const built = plinth.events.rules[index];
        if (!built) throw new Error('rule not built');

        template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
          EventSourceArn: arnOf(plinth.events, built.queue),
          FunctionName: { Ref: logicalId(plinth.events, worker(consumer).function) },
          BatchSize: 10,
          FunctionResponseTypes: ['ReportBatchItemFailures'],
        });
      },
    );
  });

  describe('product-activity consumer', () => {
    it('reads the table stream filtered to audit and raw event INSERTs, reporting failed records to its own queue', () => {
      const { productActivity } = plinth.events;

      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        FunctionName: { Ref: logicalId(plinth.events, productActivity.fn.function) },
        StartingPosition: 'TRIM_HORIZON',
        BatchSize: productStreamSettings.batchSize,
        MaximumRetryAttempts: productStreamSettings.retryAttempts,
        BisectBatchOnFunctionError: true,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        FilterCriteria: { Filters: [{ Pattern: JSON.stringify(productStreamFilter) }] },
        DestinationConfig: {
          OnFailure: { Destination: arnOf(plinth.events, productActivity.deadLetterQueue) },
        },
      });
    });

    it('matches exactly INSERTs of audit items and raw product events with its filter', () => {
      expect(productStreamFilter).toEqual({
        eventName: ['INSERT'],
        dynamodb: { NewImage: { type: { S: ['audit', 'product-event'] } } },
      });
    });
  });

  describe('outbox publisher', () => {
    it('reads the table stream filtered to outbox INSERTs, reporting failed records and splitting failed batches', () => {
      const { publisher } = plinth.events;

      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        FunctionName: { Ref: logicalId(plinth.events, publisher.fn.function) },
        EventSourceArn: Match.objectLike({
          'Fn::GetStackOutput': Match.objectLike({ StackName: plinth.data.stackName }),
        }),
        StartingPosition: 'TRIM_HORIZON',
        BatchSize: publisherStreamSettings.batchSize,
        MaximumRetryAttempts: publisherStreamSettings.retryAttempts,
        BisectBatchOnFunctionError: true,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        FilterCriteria: { Filters: [{ Pattern: JSON.stringify(outboxStreamFilter) }] },
        DestinationConfig: { OnFailure: { Destination: arnOf(plinth.events, publisher.deadLetterQueue) } },
      });
    });

    it('matches exactly outbox INSERTs with its filter', () => {
      expect(outboxStreamFilter).toEqual({
        eventName: ['INSERT'],
        dynamodb: { NewImage: { type: { S: ['outbox'] } } },
      });
    });

    it('may put events on the bus, read the table stream, clear outbox marks (UpdateItem) and report to its dead-letter queue, nothing else', () => {
      const { publisher } = plinth.events;
      const statements = statementsOf(template, plinth.events, publisher.fn.role);
      const byAction = (prefix: string) =>
        statements.filter((statement) => actionsOf([statement]).some((action) => action.startsWith(prefix)));

      expect(byAction('events:')).toEqual([
        {
          Effect: 'Allow',
          Action: 'events:PutEvents',
          Resource: arnOf(plinth.events, plinth.events.eventBus),
        },
      ]);
      expect(byAction('dynamodb:')).toEqual([
        {
          Effect: 'Allow',
          Action: 'dynamodb:UpdateItem',
          Resource: expect.objectContaining({
            'Fn::GetStackOutput': expect.objectContaining({ StackName: plinth.data.stackName }),
          }),
        },
        {
          Effect: 'Allow',
          Action: [
            'dynamodb:DescribeStream',
            'dynamodb:GetRecords',
            'dynamodb:GetShardIterator',
            'dynamodb:ListStreams',
          ],
          Resource: expect.objectContaining({
            'Fn::GetStackOutput': expect.objectContaining({ StackName: plinth.data.stackName }),
          }),
        },
      ]);
      expect(byAction('sqs:').map((statement) => statement.Resource)).toEqual([
        arnOf(plinth.events, publisher.deadLetterQueue),
      ]);
      // kms: only the prod table's key, to read its stream and clear the marks, and the stack's key
      // (its dead-letter queue's).
      expect(
        byAction('kms:').map(
          (statement) =>
            JSON.stringify(statement.Resource).includes(plinth.data.stackName) ||
            JSON.stringify(statement.Resource) === JSON.stringify(stageKeyArn()),
        ),
      ).toEqual(byAction('kms:').map(() => true));
      expect(new Set(actionsOf(statements).map((action) => action.split(':')[0]))).toEqual(
        new Set(['logs', 'xray', 'events', 'sqs', 'dynamodb', 'kms']),
      );
    });

    it('uses Resource "*" only for X-Ray, which has no resource-level permissions', () => {
      const statements = statementsOf(template, plinth.events, plinth.events.publisher.fn.role);
      const star = statements.filter((statement) => asList(statement.Resource).includes('*'));

      expect(actionsOf(star)).toEqual(['xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
    });

    it('is the only function allowed to put state-change events on the bus; the announcement mail run and the export worker put only their own requests', () => {
      const policies = Object.values(resourcesOf(template, 'AWS::IAM::Policy'));
      const putters = policies.filter((policy) =>
        actionsOf((policy.Properties.PolicyDocument as { Statement: never[] }).Statement).includes(
          'events:PutEvents',
        ),
      );

      expect(putters.map((policy) => policy.Properties.Roles)).toEqual(
        expect.arrayContaining([
          [{ Ref: logicalId(plinth.events, plinth.events.publisher.fn.role) }],
          [{ Ref: logicalId(plinth.events, worker('announcement-mail-sweep').role) }],
          [{ Ref: logicalId(plinth.events, worker('announcement-mail').role) }],
          [{ Ref: logicalId(plinth.events, worker('export-worker').role) }],
        ]),
      );
      expect(putters).toHaveLength(4);
    });
  });

  describe('workers', () => {
    it('lets the announcement-mail consumer list the pool’s users, and no other Cognito action', () => {
      const statements = statementsOf(template, plinth.events, worker('announcement-mail').role);
      expect(actionsOf(statements).filter((action) => action.startsWith('cognito-idp:'))).toEqual([
        'cognito-idp:ListUsers',
      ]);
    });

    it('lets the announcement-mail consumer send email only from the configured sender', () => {
      const statements = statementsOf(template, plinth.events, worker('announcement-mail').role);
      expect(actionsOf(statements)).toEqual(expect.arrayContaining(['ses:SendEmail']));
    });

    it('lets the notifications consumer read and write the table (its sent-markers) and send email only from the configured sender', () => {
      const statements = statementsOf(template, plinth.events, worker('notifications').role);
      const ses = statements.find((statement) => actionsOf([statement]).includes('ses:SendEmail'));

      expect(actionsOf(statements)).toEqual(
        expect.arrayContaining([
          'dynamodb:Query',
          'dynamodb:PutItem',
          'dynamodb:UpdateItem',
          'dynamodb:DeleteItem',
        ]),
      );
      expect(actionsOf(statements)).not.toContain('dynamodb:Scan');
      expect(ses?.Condition).toEqual({ StringEquals: { 'ses:FromAddress': testProdContext.mailFrom } });
    });

    it("gives the notifications consumer the stage's opsEmail, and the other workers none", () => {
      const variables = (name: string) =>
        template.toJSON().Resources[logicalId(plinth.events, worker(name).function)].Properties.Environment
          .Variables as Record<string, unknown>;
      expect(variables('notifications').OPS_EMAIL).toBe('ops@plinth.test');
      expect(variables('dunning-sweep')).not.toHaveProperty('OPS_EMAIL');
    });

    it("gives the erasure workers the stage's purge grace period and the Stripe key's parameter name", () => {
      for (const name of ['erasure-run', 'tenant-purge']) {
        const variables = template.toJSON().Resources[logicalId(plinth.events, worker(name).function)]
          .Properties.Environment.Variables as Record<string, unknown>;
        expect(variables).toMatchObject({
          TENANT_PURGE_GRACE_DAYS: '30',
          STRIPE_SECRET_KEY_PARAMETER: '/plinth/prod/stripe/secret-key',
        });
      }
    });

    it('lets only the erasure workers delete Cognito users', () => {
      const deleters = workerNames().filter((name) =>
        actionsOf(statementsOf(template, plinth.events, worker(name).role)).includes(
          'cognito-idp:AdminDeleteUser',
        ),
      );
      expect(deleters.sort()).toEqual(['erasure-run', 'tenant-purge']);
    });

    it.each(['erasure-run', 'tenant-purge'])(
      "lets %s delete identity providers of the stage's user pool only",
      (name) => {
        const statements = statementsOf(template, plinth.events, worker(name).role).filter((statement) =>
          actionsOf([statement]).includes('cognito-idp:DeleteIdentityProvider'),
        );
        expect(statements).toHaveLength(1);
        expect(JSON.stringify(statements[0]?.Resource)).toContain('UserPool');
        expect(JSON.stringify(statements[0]?.Resource)).not.toContain('*');
      },
    );

    it.each(['erasure-run', 'tenant-purge'])(
      "lets %s delete (only delete) the stage's SSO client secrets, and tells it their prefix",
      (name) => {
        const secrets = statementsOf(template, plinth.events, worker(name).role).filter((statement) =>
          actionsOf([statement]).some((action) => action.startsWith('secretsmanager:')),
        );
        expect(actionsOf(secrets)).toEqual(['secretsmanager:DeleteSecret']);
        expect(JSON.stringify(secrets[0]?.Resource)).toContain(':secret:plinth/prod/sso/*');
        const variables = template.toJSON().Resources[logicalId(plinth.events, worker(name).function)]
          .Properties.Environment.Variables as Record<string, unknown>;
        expect(variables.SSO_SECRET_PREFIX).toBe('plinth/prod/sso/');
      },
    );

    it.each(['erasure-run', 'tenant-purge'])(
      "lets %s set the SSO app client's provider list on the stage's user pool, and names the client",
      (name) => {
        const statements = statementsOf(template, plinth.events, worker(name).role).filter((statement) =>
          actionsOf([statement]).includes('cognito-idp:UpdateUserPoolClient'),
        );
        expect(statements).toHaveLength(1);
        expect(actionsOf(statements)).toEqual(
          expect.arrayContaining(['cognito-idp:ListIdentityProviders', 'cognito-idp:DescribeUserPoolClient']),
        );
        expect(JSON.stringify(statements[0]?.Resource)).toContain('UserPool');
        expect(JSON.stringify(statements[0]?.Resource)).not.toContain('*');
        const variables = template.toJSON().Resources[logicalId(plinth.events, worker(name).function)]
          .Properties.Environment.Variables as Record<string, unknown>;
        // The SSO client of the auth stack (added to its pool, so its id starts with the pool's).
        expect(JSON.stringify(variables.SSO_CLIENT_ID)).toContain(
          logicalId(plinth.auth, plinth.auth.sso.client),
        );
      },
    );

    it('lets no other worker delete identity providers or secrets', () => {
      const others = workerNames().filter((name) => name !== 'erasure-run' && name !== 'tenant-purge');
      for (const name of others) {
        const actions = actionsOf(statementsOf(template, plinth.events, worker(name).role));
        expect(actions).not.toContain('cognito-idp:DeleteIdentityProvider');
        expect(actions).not.toContain('cognito-idp:UpdateUserPoolClient');
        expect(actions).not.toContain('secretsmanager:DeleteSecret');
      }
    });

    it('routes to the notifications consumer exactly the event types it mails', () => {
      const rule = busDefinition.rules.find((candidate) => candidate.consumer === 'notifications');

      expect([...(rule?.eventPattern['detail-type'] ?? [])].sort()).toEqual([...notifiedEventTypes].sort());
    });

    it('lets the dunning sweep read and write the table, query gsi1 and send no email', () => {
      const statements = statementsOf(template, plinth.events, worker('dunning-sweep').role);
      const actions = actionsOf(statements);

      expect(actions).toEqual(
        expect.arrayContaining(['dynamodb:Query', 'dynamodb:UpdateItem', 'dynamodb:PutItem']),
      );
      expect(JSON.stringify(statements)).toContain('/index/gsi1');
      expect(actions.filter((action) => action.startsWith('ses:'))).toEqual([]);
    });

    it('runs the dunning sweep every hour with the scheduled time, with retries and a dead-letter queue', () => {
      const [schedule] = plinth.events.schedules;
      if (!schedule) throw new Error('no schedule');

      template.hasResourceProperties('AWS::Scheduler::Schedule', {
        ScheduleExpression: 'rate(1 hour)',
        State: 'ENABLED',
        Target: {
          Arn: functionArn(worker('dunning-sweep')),
          Input: JSON.stringify({ time: '<aws.scheduler.scheduled-time>' }),
          RoleArn: arnOf(plinth.events, schedule.role),
          RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 3600 },
          DeadLetterConfig: { Arn: arnOf(plinth.events, schedule.deadLetterQueue) },
        },
      });
    });

    it('runs metrics-reconcile every day with the scheduled time, and lets it query gsi1', () => {
      template.hasResourceProperties('AWS::Scheduler::Schedule', {
        ScheduleExpression: 'rate(1 day)',
        Target: Match.objectLike({
          Arn: functionArn(worker('metrics-reconcile')),
          Input: JSON.stringify({ time: '<aws.scheduler.scheduled-time>' }),
        }),
      });
      const statements = statementsOf(template, plinth.events, worker('metrics-reconcile').role);
      expect(actionsOf(statements)).toEqual(
        expect.arrayContaining(['dynamodb:Query', 'dynamodb:BatchGetItem']),
      );
      expect(JSON.stringify(statements)).toContain('/index/gsi1');
    });

    const s3StatementsOf = (name: string) =>
      statementsOf(template, plinth.events, worker(name).role).filter((statement) =>
        actionsOf([statement]).some((action) => action.startsWith('s3:')),
      );
    const digestBucketArn = [
      'arn:',
      { Ref: 'AWS::Partition' },
      ':s3:::plinth-prod-audit-digests-',
      { Ref: 'AWS::AccountId' },
      '-',
      { Ref: 'AWS::Region' },
    ];

    it('runs the audit digest every hour and lets it only put digest objects (no delete, no retention change)', () => {
      template.hasResourceProperties('AWS::Scheduler::Schedule', {
        ScheduleExpression: 'rate(1 hour)',
        Target: Match.objectLike({ Arn: functionArn(worker('audit-digest')) }),
      });
      expect(s3StatementsOf('audit-digest')).toEqual([
        {
          Effect: 'Allow',
          Action: 's3:PutObject',
          Resource: { 'Fn::Join': ['', [...digestBucketArn, '/audit-digests/*']] },
        },
      ]);
    });

    it('runs the audit verifier every day and lets it only list and read digests, and only read the table', () => {
      template.hasResourceProperties('AWS::Scheduler::Schedule', {
        ScheduleExpression: 'rate(1 day)',
        Target: Match.objectLike({ Arn: functionArn(worker('audit-verify')) }),
      });
      expect(actionsOf(s3StatementsOf('audit-verify')).sort()).toEqual(['s3:GetObject', 's3:ListBucket']);
      const tableActions = actionsOf(
        statementsOf(template, plinth.events, worker('audit-verify').role),
      ).filter((action) => action.startsWith('dynamodb:'));
      expect(tableActions).not.toContain('dynamodb:PutItem');
      expect(tableActions).not.toContain('dynamodb:UpdateItem');
    });

    it('gives no other worker access to S3', () => {
      const others = Object.keys(plinth.events.workers).filter(
        (n) =>
          !n.startsWith('audit-') && n !== 'export-worker' && n !== 'erasure-run' && n !== 'tenant-purge',
      );
      for (const name of others) expect(s3StatementsOf(name)).toEqual([]);
    });

    it.each(['erasure-run', 'tenant-purge'])(
      'gives %s the pseudonym key from its secret, resolved at deploy',
      (name) => {
        const variables = (
          template.toJSON().Resources[
            logicalId(plinth.events, (plinth.events.workers[name] as AppFunction).function)
          ] as {
            Properties: { Environment: { Variables: Record<string, unknown> } };
          }
        ).Properties.Environment.Variables;
        expect(JSON.stringify(variables.ERASURE_PSEUDONYM_KEY)).toContain('{{resolve:secretsmanager:');
      },
    );

    it.each(['erasure-run', 'tenant-purge'])('lets %s list and delete only export archives', (name) => {
      // Its warehouse grant (rewrite events/ objects): test/infra/product-warehouse.test.ts.
      const statements = s3StatementsOf(name).filter((statement) =>
        JSON.stringify(statement.Resource).includes('-exports-'),
      );
      expect(statements.map((statement) => statement.Action)).toEqual(['s3:ListBucket', 's3:DeleteObject']);
      expect(JSON.stringify(statements[0]?.Condition)).toContain('tenants/*');
      expect(JSON.stringify(statements[1]?.Resource)).toContain('/users/*');
    });

    it('lets the export worker write, read and delete only export objects, under their prefixes', () => {
      const statements = s3StatementsOf('export-worker');
      expect(statements).toHaveLength(1);
      expect(statements[0]?.Action).toEqual([
        's3:AbortMultipartUpload',
        's3:DeleteObject',
        's3:GetObject',
        's3:ListMultipartUploadParts',
        's3:PutObject',
      ]);
      expect(JSON.stringify(statements[0]?.Resource)).toContain('/users/*');
      expect(JSON.stringify(statements[0]?.Resource)).toContain('/tenants/*');
      expect(JSON.stringify(statements[0]?.Resource)).toContain(':s3:::plinth-prod-exports-');
    });

    it('lets the scheduler invoke the sweep and nothing else', () => {
      const [schedule] = plinth.events.schedules;
      if (!schedule) throw new Error('no schedule');
      const invoke = statementsOf(template, plinth.events, schedule.role).filter((statement) =>
        actionsOf([statement]).includes('lambda:InvokeFunction'),
      );

      expect(JSON.stringify(invoke)).toContain(logicalId(plinth.events, worker('dunning-sweep').function));
      expect(JSON.stringify(invoke)).not.toContain(
        logicalId(plinth.events, worker('notifications').function),
      );
    });

    it('gives only the erasure workers the Stripe secret key, to GetParameter and nothing else', () => {
      for (const name of ['erasure-run', 'tenant-purge']) {
        const ssm = statementsOf(template, plinth.events, worker(name).role).filter((statement) =>
          actionsOf([statement]).some((action) => action.startsWith('ssm:')),
        );
        expect(actionsOf(ssm)).toEqual(['ssm:GetParameter']);
        expect(JSON.stringify(ssm)).toContain('stripe/secret-key');
        expect(JSON.stringify(ssm)).not.toContain('webhook');
      }
    });

    it("gives no other function of this stack access to the Stripe parameters, and of KMS only the table key's use", () => {
      const erasureRoles = new Set(
        ['erasure-run', 'tenant-purge'].map((name) => logicalId(plinth.events, worker(name).role)),
      );
      const policies = Object.values(resourcesOf(template, 'AWS::IAM::Policy')).filter(
        (policy) =>
          !asList(policy.Properties.Roles).some((role) =>
            erasureRoles.has((role as { Ref?: string }).Ref ?? ''),
          ),
      );
      const statements = policies.flatMap(
        (policy) => (policy.Properties.PolicyDocument as { Statement: never[] }).Statement,
      );
      const actions = actionsOf(statements);

      expect(actions.filter((action) => action.startsWith('ssm:'))).toEqual([]);
      expect(new Set(actions.filter((action) => action.startsWith('kms:')))).toEqual(
        // The last two from CDK's grants on the queues encrypted with the stack's key.
        new Set([
          'kms:Decrypt',
          'kms:DescribeKey',
          'kms:Encrypt',
          'kms:GenerateDataKey',
          'kms:GenerateDataKey*',
          'kms:ReEncrypt*',
        ]),
      );
      const keyStatements = statements.filter((statement) =>
        actionsOf([statement]).some((action) => action.startsWith('kms:')),
      );
      for (const statement of keyStatements) {
        // The table key, exported by the data stack, or this stack's own key (its queues').
        const resource = JSON.stringify((statement as { Resource: unknown }).Resource);
        expect(resource.includes(plinth.data.stackName) || resource === JSON.stringify(stageKeyArn())).toBe(
          true,
        );
      }
    });
  });

  describe('alarms', () => {
    const alarmsOn = (metricName: string) =>
      Object.values(resourcesOf(template, 'AWS::CloudWatch::Alarm')).filter(
        (alarm) => alarm.Properties.MetricName === metricName,
      );

    it('alarms when any dead-letter queue holds a message', () => {
      const deadLetterQueues = [
        plinth.events.publisher.deadLetterQueue,
        plinth.events.productActivity.deadLetterQueue,
        plinth.events.mailFeedbackDeadLetterQueue,
        ...plinth.events.rules.map((rule) => rule.deadLetterQueue),
        ...plinth.events.schedules.map((schedule) => schedule.deadLetterQueue),
      ];
      const watched = alarmsOn('ApproximateNumberOfMessagesVisible').map((alarm) => {
        expect(alarm.Properties).toMatchObject({
          Threshold: 1,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
          TreatMissingData: 'notBreaching',
        });
        return alarm.Properties.Dimensions;
      });

      expect(watched).toEqual(
        deadLetterQueues.map((queue) => [
          { Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalId(plinth.events, queue), 'QueueName'] } },
        ]),
      );
    });

    const alarmWatching = (metricName: string) =>
      (Object.values(resourcesOf(template, 'AWS::CloudWatch::Alarm')) as Resource[]).find((alarm) =>
        (alarm.Properties.Metrics as { MetricStat?: { Metric: { MetricName: string } } }[] | undefined)?.some(
          (query) => query.MetricStat?.Metric.MetricName === metricName,
        ),
      );
    const emfMetricOf = (alarm: Resource | undefined, metricName: string) =>
      ((alarm?.Properties.Metrics ?? []) as { MetricStat?: { Metric: Record<string, unknown> } }[]).find(
        (query) => query.MetricStat?.Metric.MetricName === metricName,
      )?.MetricStat?.Metric;

    it('alarms on publisher errors and on the publish failures it counts in EMF, and on stream lag', () => {
      const alarm = alarmWatching(eventMetricNames.outboxPublishFailures);

      expect(JSON.stringify(alarm)).toContain('"MetricName":"Errors"');
      expect(emfMetricOf(alarm, eventMetricNames.outboxPublishFailures)).toEqual({
        Namespace: 'Plinth/prod',
        MetricName: 'OutboxPublishFailures',
        Dimensions: [{ Name: 'service', Value: 'plinth' }],
      });
      expect(alarmsOn('IteratorAge')).toHaveLength(1);
    });

    it('counts no log lines: no alarm of this stack rests on a metric filter', () => {
      template.resourceCountIs('AWS::Logs::MetricFilter', 0);
    });

    it.each([...new Set(busDefinition.rules.map((rule) => rule.consumer))])(
      'alarms on the messages consumer %s fails, counted in EMF under its own dimension',
      (consumer) => {
        const alarm = (Object.values(resourcesOf(template, 'AWS::CloudWatch::Alarm')) as Resource[]).find(
          (candidate) =>
            JSON.stringify(candidate).includes(eventMetricNames.consumerFailures) &&
            JSON.stringify(candidate).includes(`"Value":"${consumer}"`),
        );

        expect(emfMetricOf(alarm, eventMetricNames.consumerFailures)).toEqual({
          Namespace: 'Plinth/prod',
          MetricName: 'ConsumerFailures',
          Dimensions: [
            { Name: 'consumer', Value: consumer },
            { Name: 'service', Value: 'plinth' },
          ],
        });
      },
    );

    it('alarms on any tenant metrics-reconcile finds drifting, counted in EMF', () => {
      const alarm = (Object.values(resourcesOf(template, 'AWS::CloudWatch::Alarm')) as Resource[]).find(
        (candidate) => candidate.Properties.MetricName === eventMetricNames.mrrDrifts,
      );

      expect(alarm?.Properties).toMatchObject({
        Namespace: 'Plinth/prod',
        Dimensions: [{ Name: 'service', Value: 'plinth' }],
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      });
    });

    it.each([eventMetricNames.auditChainBreaks, eventMetricNames.auditDigestsRevised])(
      'alarms on any %s counted in EMF',
      (metricName) => {
        const alarm = (Object.values(resourcesOf(template, 'AWS::CloudWatch::Alarm')) as Resource[]).find(
          (candidate) => candidate.Properties.MetricName === metricName,
        );
        expect(alarm?.Properties).toMatchObject({
          Namespace: 'Plinth/prod',
          Threshold: 1,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        });
      },
    );

    it('alarms on audit digest runs that failed, counted in EMF', () => {
      expect(
        emfMetricOf(
          alarmWatching(eventMetricNames.auditDigestFailures),
          eventMetricNames.auditDigestFailures,
        ),
      ).toMatchObject({
        Namespace: 'Plinth/prod',
      });
    });

    it('alarms on dunning sweep runs that failed, counted in EMF', () => {
      const alarm = alarmWatching(eventMetricNames.dunningSweepFailures);

      expect(emfMetricOf(alarm, eventMetricNames.dunningSweepFailures)).toMatchObject({
        Namespace: 'Plinth/prod',
      });
    });
  });

  describe('observability and replay', () => {
    it('gives every function the stage’s EMF namespace, active tracing and the Powertools layer of the pinned version', () => {
      const functions = Object.values(resourcesOf(template, 'AWS::Lambda::Function'));
      const parameters = Object.values(template.toJSON().Parameters ?? {}) as { Default?: string }[];

      expect(functions.length).toBeGreaterThan(0);
      for (const fn of functions) {
        expect(fn.Properties).toMatchObject({
          TracingConfig: { Mode: 'Active' },
          Environment: {
            Variables: expect.objectContaining({ POWERTOOLS_METRICS_NAMESPACE: 'Plinth/prod' }),
          },
          Layers: [expect.objectContaining({ Ref: expect.any(String) })],
        });
      }
      expect(parameters.map((parameter) => parameter.Default)).toContain(
        powertoolsLayerParameter(powertoolsTracerVersion),
      );
      expect(powertoolsTracerVersion).toMatch(/^2\.\d+\.\d+$/);
    });

    it('writes the table name where npm run outbox:replay looks for it', () => {
      template.hasResourceProperties('AWS::SSM::Parameter', {
        Name: tableNameParameterFor('prod'),
        Type: 'String',
      });
    });
  });
});

describe('opsEmail', () => {
  it('fails the synth naming the stage when it has no operators address', () => {
    expect(() => buildPlinth({ stage: 'prod', context: { opsEmail: { dev: 'ops@example.com' } } })).toThrow(
      /opsEmail: stage prod needs the operators' email address/,
    );
  });

  it('takes one address for the stage being synthesised from -c opsEmail=…', () => {
    const plinth = buildPlinth({ stage: 'prod', context: { opsEmail: 'oncall@acme.test' } });
    const template = Template.fromStack(plinth.events);
    const notifications = plinth.events.workers.notifications;
    if (!notifications) throw new Error('no notifications worker');
    expect(
      template.toJSON().Resources[logicalId(plinth.events, notifications.function)].Properties.Environment
        .Variables.OPS_EMAIL,
    ).toBe('oncall@acme.test');
  });
});

describe('events stack: mail feedback', () => {
  let plinth: BuiltPlinth;
  let template: Template;

  beforeAll(() => {
    plinth = buildPlinth({ stage: 'prod' });
    template = Template.fromStack(plinth.events);
  });

  const feedbackFunctionId = () => logicalId(plinth.events, plinth.events.mailFeedback.function);

  it('subscribes the mail-feedback consumer to the auth stack’s feedback topic, with a dead-letter queue', () => {
    const subscriptions = Object.values(resourcesOf(template, 'AWS::SNS::Subscription'));
    expect(subscriptions).toHaveLength(1);
    expect(subscriptions[0]?.Properties).toMatchObject({
      Protocol: 'lambda',
      Endpoint: { 'Fn::GetAtt': [feedbackFunctionId(), 'Arn'] },
      RedrivePolicy: {
        deadLetterTargetArn: {
          'Fn::GetAtt': [logicalId(plinth.events, plinth.events.mailFeedbackDeadLetterQueue), 'Arn'],
        },
      },
    });
    expect(JSON.stringify(subscriptions[0]?.Properties.TopicArn)).toContain('MailFeedbackTopic');
  });

  it('retries a failed report twice, then parks it in the dead-letter queue', () => {
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: feedbackFunctionId() },
      MaximumRetryAttempts: 2,
      DestinationConfig: {
        OnFailure: {
          Destination: {
            'Fn::GetAtt': [logicalId(plinth.events, plinth.events.mailFeedbackDeadLetterQueue), 'Arn'],
          },
        },
      },
    });
  });

  it('sends the mailing workers’ mail through the stage’s configuration set', () => {
    const notifications = plinth.events.workers.notifications;
    if (!notifications) throw new Error('no notifications worker');
    const fn = resourcesOf(template, 'AWS::Lambda::Function')[
      logicalId(plinth.events, notifications.function)
    ];
    const variables = (fn?.Properties.Environment as { Variables: Record<string, unknown> } | undefined)
      ?.Variables;
    expect(variables?.MAIL_CONFIGURATION_SET).toBe('plinth-prod-mail');
    const ses = statementsOf(template, plinth.events, notifications.role).find((statement) =>
      actionsOf([statement]).includes('ses:SendEmail'),
    );
    expect(JSON.stringify(ses?.Resource)).toContain(':configuration-set/plinth-prod-mail');
  });
});
