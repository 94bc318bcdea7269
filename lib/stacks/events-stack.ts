import { CfnOutput, Duration, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import type { IUserPool } from 'aws-cdk-lib/aws-cognito';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { EventBus } from 'aws-cdk-lib/aws-events';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { LambdaSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { StringParameter } from 'aws-cdk-lib/aws-ssm';
import type { Construct } from 'constructs';
import { productStreamFilter, productStreamSettings } from '../../shared/analytics/product/product-stream.ts';
import { warehouseDelivery } from '../../shared/analytics/product/warehouse.ts';
import { tableDefinition } from '../../shared/db/table.ts';
import { DEFAULT_WAREHOUSE_SETTLE_SECONDS } from '../../shared/erasure/warehouse-step.ts';
import { busDefinition, busNameFor } from '../../shared/events/bus.ts';
import { tableNameParameterFor } from '../../shared/events/replay.ts';
import { EXPORT_WORKER_TIMEOUT_SECONDS } from '../../shared/exports/export-events.ts';
import {
  eventMetricNames,
  mailMetricNames,
  productMetricNames,
} from '../../shared/observability/metric-names.ts';
import { appMetric, countAlarm, deadLetterQueueAlarm, failureAlarm } from '../constructs/alarms.ts';
import {
  AppFunction,
  defaultFunctionEntry,
  type TableAccess,
  type UserPoolAccess,
} from '../constructs/app-function.ts';
import {
  auditDigestBucketName,
  grantPutAuditDigests,
  grantReadAuditDigests,
} from '../constructs/audit-digest-bucket.ts';
import { BusRule } from '../constructs/bus-rule.ts';
import { erasureKeyEnvironment } from '../constructs/erasure-key.ts';
import { exportsBucketName, grantEraseExports, grantWriteExports } from '../constructs/exports-bucket.ts';
import { OutboxPublisher } from '../constructs/outbox-publisher.ts';
import { ProductWarehouse } from '../constructs/product-warehouse.ts';
import { ScheduledFunction } from '../constructs/scheduled-function.ts';
import { grantDeleteSsoSecrets, ssoSecretPrefixFor } from '../constructs/sso-secrets.ts';
import { createStageKey, queueEncryption } from '../constructs/stage-key.ts';
import { TableStreamConsumer } from '../constructs/table-stream-consumer.ts';
import type { StageConfig } from '../stage.ts';

/**
 * What a tenant purge does to the tenant's SSO in the user pool (shared/erasure/sso-eraser.ts): delete
 * its provider, then set the SSO app client's provider list to the providers the pool still has.
 */
const purgeSsoActions = [
  'cognito-idp:DeleteIdentityProvider',
  'cognito-idp:ListIdentityProviders',
  'cognito-idp:DescribeUserPoolClient',
  'cognito-idp:UpdateUserPoolClient',
] as const;

/** What a worker (a rule's consumer or a schedule's target) may touch, and how long it may run. */
interface WorkerSettings {
  readonly table: TableAccess['mode'] | 'none';
  readonly sendsEmail: boolean;
  readonly timeoutSeconds: number;
  /** Cognito actions on the stage's user pool. @default none */
  readonly userPoolActions?: UserPoolAccess['actions'];
  /** Puts events on the bus itself (not through the outbox). @default false */
  readonly putsEvents?: boolean;
  /** Writes (puts) or reads (lists, gets) the audit digests in the Object Lock bucket. @default none */
  readonly auditDigests?: 'put' | 'read';
  /**
   * Runs erasures (shared/erasure/): reads the Stripe secret key (deletes customers), gets the grace
   * period, deletes the erased user's or tenant's archives in the exports bucket and a purged
   * tenant's SSO client secret (the stage's SSO prefix, `SSO_SECRET_PREFIX`). @default false
   */
  readonly erases?: boolean;
  /** Writes export archives to the exports bucket. @default false */
  readonly writesExports?: boolean;
  /** @default 256 */
  readonly memorySize?: number;
}

/**
 * One entry per consumer and schedule target named in `busDefinition`; synth fails for a name
 * without one. `notifications` reads the tenant's owners and admins, mails them, and writes a
 * marker per event so a redelivered event is not mailed twice; the `dunning-sweep` queries the
 * DUNNING index and restricts tenants in transactions.
 */
export const workerSettings: Readonly<Record<string, WorkerSettings>> = {
  notifications: { table: 'readWrite', sendsEmail: true, timeoutSeconds: 30 },
  'dunning-sweep': { table: 'readWrite', sendsEmail: false, timeoutSeconds: 60 },
  /** Reads a tenant's MRR state and writes it with the movement, the event's mark and the dirty day. */
  'analytics-movements': { table: 'readWrite', sendsEmail: false, timeoutSeconds: 30 },
  /** Queries dirty days, snapshots and one day's movements at a time; writes snapshots. */
  'metrics-rollup': { table: 'readWrite', sendsEmail: false, timeoutSeconds: 300 },
  /** Queries the MRR_SUBSCRIBED index, batch-reads billing items; writes drifts and the day's summary. */
  'metrics-reconcile': { table: 'readWrite', sendsEmail: false, timeoutSeconds: 300 },
  /** Queries the live announcements, puts page 0 of due mail runs on the bus, marks them started. */
  'announcement-mail-sweep': { table: 'readWrite', sendsEmail: false, timeoutSeconds: 60, putsEvents: true },
  /**
   * Lists one page of the pool's users (ListUsers), reads each one's memberships and plans, mails the
   * addressed ones with a per-user mark, and puts the next page on the bus.
   */
  'announcement-mail': {
    table: 'readWrite',
    sendsEmail: true,
    timeoutSeconds: 120,
    userPoolActions: ['cognito-idp:ListUsers'],
    putsEvents: true,
  },
  /** Queries the due tenant-days, reads each day's entries, puts its digest in S3 and records it. */
  'audit-digest': { table: 'readWrite', sendsEmail: false, timeoutSeconds: 300, auditDigests: 'put' },
  /** Queries recent days' tenants and their entries; reads the digests. Writes nothing. */
  'audit-verify': { table: 'read', sendsEmail: false, timeoutSeconds: 300, auditDigests: 'read' },
  /**
   * Claims pending erasures and runs their steps: Cognito deletes (a user; a purged tenant's SSO
   * provider), table deletes and rewrites, Stripe, S3, the tenant's SSO secret.
   */
  'erasure-run': {
    table: 'readWrite',
    sendsEmail: false,
    timeoutSeconds: 600,
    userPoolActions: ['cognito-idp:AdminDeleteUser', ...purgeSsoActions],
    erases: true,
  },
  /** Queries the TENANT_PURGE_DUE index, requests each purge, then runs them as erasure-run does. */
  'tenant-purge': {
    table: 'readWrite',
    sendsEmail: false,
    timeoutSeconds: 600,
    userPoolActions: ['cognito-idp:AdminDeleteUser', 'cognito-idp:AdminGetUser', ...purgeSsoActions],
    erases: true,
  },
  /**
   * Pages through a user's or tenant's items (Query), streams the archive to S3 in chunks, queues the
   * rest of a large export on the bus, and mails the requester when it is ready. The longest timeout
   * Lambda allows (EXPORT_WORKER_TIMEOUT_SECONDS): a chunk stops a minute before it.
   */
  'export-worker': {
    table: 'readWrite',
    sendsEmail: true,
    timeoutSeconds: EXPORT_WORKER_TIMEOUT_SECONDS,
    putsEvents: true,
    writesExports: true,
    memorySize: 1024,
  },
};

/** Every function name `busDefinition` wires: rule consumers and schedule targets, once each. */
export function workerNames(): string[] {
  return [
    ...new Set([
      ...busDefinition.rules.map((rule) => rule.consumer),
      ...busDefinition.schedules.map((schedule) => schedule.target),
    ]),
  ];
}

export interface EventsStackProps extends StackProps {
  readonly stage: StageConfig;
  /** The table whose stream carries the outbox, and which the workers read and write. */
  readonly table: ITableV2;
  /** Its id is in every worker's environment (shared/config/env.ts reads it). */
  readonly userPool: IUserPool;
  readonly appUrl: string;
  /** The SES-verified sender of notification emails. */
  readonly mailFrom: string;
  /** The SES configuration set mail goes through (`MAIL_CONFIGURATION_SET` of the mailing workers). */
  readonly mailConfigurationSetName: string;
  /** Where SES reports bounces and complaints: the `mail-feedback` consumer subscribes to it. */
  readonly mailFeedbackTopic: ITopic;
  /** Days of full access after a failed payment (`BILLING_GRACE_DAYS`). */
  readonly billingGraceDays: number;
  /** The operators' address (`OPS_EMAIL`): the notifications consumer mails disputes there. */
  readonly opsEmail: string;
  /**
   * Days a server-side product event stays in the table (`PRODUCT_EVENT_TTL_DAYS` of product-activity).
   * @default stage.retention.productEventDays
   */
  readonly productEventTtlDays?: number;
  /**
   * The SSM parameter holding the Stripe secret key (`STRIPE_SECRET_KEY_PARAMETER` of the erasure
   * workers, which delete a purged tenant's customer). @default - the workers get no Stripe key
   * and fail at cold start, naming it
   */
  readonly stripeSecretKeyParameter?: string;
  /**
   * The erasure pseudonym key (the data stack's secret): the erasure functions get its value as
   * `ERASURE_PSEUDONYM_KEY`, resolved by CloudFormation at deploy time. @default - none: pseudonyms
   * are keyed by the table name (shared/erasure/erasure.env.ts), as locally
   */
  readonly erasurePseudonymKey?: ISecret;
  /** @default stage.tenantPurgeGraceDays */
  readonly tenantPurgeGraceDays?: number;
  /**
   * The SSO app client (`SSO_CLIENT_ID` of the erasure workers): after a purge deletes its tenant's
   * identity provider, the client's provider list is set to the pool's. @default - the list is left
   * to the next SSO change
   */
  readonly ssoClientId?: string;
  /** @default defaultFunctionEntry (functions/<name>/handler.ts) */
  readonly functionEntry?: (name: string) => string;
}

/**
 * The asynchronous half: the custom bus; the outbox publisher (table stream → bus); one queue and
 * consumer per entry of `busDefinition.rules`; one EventBridge Scheduler schedule per entry of
 * `busDefinition.schedules`; and alarms on every dead-letter queue and on publishing failures.
 */
export class EventsStack extends Stack {
  readonly eventBus: EventBus;
  readonly publisher: OutboxPublisher;
  /**
   * Audit items on the table's stream → server-side product events, and raw product events → the
   * warehouse (shared/analytics/product/product-stream.ts).
   */
  readonly productActivity: TableStreamConsumer;
  /** Raw product events for Athena: Firehose → S3, Glue table (lib/constructs/product-warehouse.ts). */
  readonly warehouse: ProductWarehouse;
  readonly rules: readonly BusRule[];
  readonly schedules: readonly ScheduledFunction[];
  /** Consumers and schedule targets by name. */
  readonly workers: Readonly<Record<string, AppFunction>>;
  /** SES bounces and complaints (SNS) → the suppression list (functions/mail-feedback). */
  readonly mailFeedback: AppFunction;
  /** Reports the feedback consumer failed after Lambda's retries (or SNS could not deliver). */
  readonly mailFeedbackDeadLetterQueue: Queue;
  readonly alarms: readonly Alarm[];
  /** `/plinth/<stage>/table-name`: where `npm run outbox:replay` reads the table's name. */
  readonly tableNameParameter: StringParameter;
  private readonly stageName: string;

  constructor(scope: Construct, id: string, props: EventsStackProps) {
    super(scope, id, props);
    const { stage } = props;
    // Encrypts this stack's queues, buckets and log groups in prod (lib/constructs/stage-key.ts).
    createStageKey(this, stage);
    this.stageName = stage.name;
    const functionEntry = props.functionEntry ?? defaultFunctionEntry;

    this.eventBus = new EventBus(this, 'Bus', { eventBusName: busNameFor(stage.name) });

    this.publisher = new OutboxPublisher(this, 'OutboxPublisher', {
      stage,
      table: props.table,
      eventBus: this.eventBus,
      entry: functionEntry('outbox-publisher'),
    });

    const environment = {
      TABLE_NAME: props.table.tableName,
      USER_POOL_ID: props.userPool.userPoolId,
      EVENT_BUS_NAME: this.eventBus.eventBusName,
      APP_URL: props.appUrl,
      MAIL_FROM: props.mailFrom,
      BILLING_GRACE_DAYS: String(props.billingGraceDays),
    };
    const indexNames = tableDefinition.globalSecondaryIndexes.map((index) => index.indexName);
    const workers: Record<string, AppFunction> = {};
    for (const name of workerNames()) {
      const settings = workerSettings[name];
      if (!settings) {
        throw new Error(
          `busDefinition names the function "${name}", but lib/stacks/events-stack.ts has no workerSettings entry for it.`,
        );
      }
      workers[name] = new AppFunction(this, `${pascalCase(name)}Worker`, {
        entry: functionEntry(name),
        stage,
        description: `Plinth ${stage.name}: ${name}`,
        // Only the workers that mail need the operators' address and the configuration set.
        environment: {
          ...environment,
          ...(settings.sendsEmail
            ? { OPS_EMAIL: props.opsEmail, MAIL_CONFIGURATION_SET: props.mailConfigurationSetName }
            : {}),
          ...(settings.auditDigests ? { AUDIT_DIGEST_BUCKET: auditDigestBucketName(stage) } : {}),
          ...(settings.erases
            ? {
                TENANT_PURGE_GRACE_DAYS: String(props.tenantPurgeGraceDays ?? stage.tenantPurgeGraceDays),
                ...(props.stripeSecretKeyParameter
                  ? { STRIPE_SECRET_KEY_PARAMETER: props.stripeSecretKeyParameter }
                  : {}),
                EXPORTS_BUCKET_NAME: exportsBucketName(stage),
                SSO_SECRET_PREFIX: ssoSecretPrefixFor(stage.name),
                ...(props.ssoClientId ? { SSO_CLIENT_ID: props.ssoClientId } : {}),
                ...erasureKeyEnvironment(props.erasurePseudonymKey),
              }
            : {}),
          ...(settings.writesExports ? { EXPORTS_BUCKET_NAME: exportsBucketName(stage) } : {}),
        },
        ...(settings.erases && props.stripeSecretKeyParameter
          ? { readParameters: [props.stripeSecretKeyParameter] }
          : {}),
        timeout: Duration.seconds(settings.timeoutSeconds),
        ...(settings.memorySize ? { memorySize: settings.memorySize } : {}),
        ...(settings.table === 'none'
          ? {}
          : { tableAccess: { table: props.table, indexNames, mode: settings.table } }),
        ...(settings.sendsEmail
          ? { sendEmailFrom: props.mailFrom, sendEmailConfigurationSet: props.mailConfigurationSetName }
          : {}),
        ...(settings.userPoolActions
          ? { userPoolAccess: { userPool: props.userPool, actions: [...settings.userPoolActions] } }
          : {}),
      });
      if (settings.putsEvents) this.eventBus.grantPutEventsTo(workers[name].role);
      // The bucket is the data stack's (lib/constructs/audit-digest-bucket.ts), named before synthesis.
      if (settings.auditDigests === 'put') grantPutAuditDigests(workers[name].role, stage);
      if (settings.auditDigests === 'read') grantReadAuditDigests(workers[name].role, stage);
      // Only the archives: `tenants/<id>/` of a purged tenant, `users/<id>/` of an erased user.
      if (settings.erases) grantEraseExports(workers[name].role, stage);
      // A purged tenant's OIDC client secret (its provider goes through userPoolActions).
      if (settings.erases) grantDeleteSsoSecrets(workers[name].role, stage.name);
      if (settings.writesExports) grantWriteExports(workers[name].role, stage);
    }
    this.workers = workers;

    this.warehouse = new ProductWarehouse(this, 'ProductWarehouse', { stage });
    // The erasure workers remove an erased user's or tenant's lines from its objects.
    for (const [name, settings] of Object.entries(workerSettings)) {
      const worker = workers[name];
      if (!settings.erases || !worker) continue;
      this.warehouse.grantRedaction(worker.role);
      worker.function.addEnvironment('WAREHOUSE_BUCKET_NAME', this.warehouse.bucket.bucketName);
      worker.function.addEnvironment('WAREHOUSE_SETTLE_SECONDS', String(DEFAULT_WAREHOUSE_SETTLE_SECONDS));
    }

    this.mailFeedbackDeadLetterQueue = new Queue(this, 'MailFeedbackDeadLetterQueue', {
      ...queueEncryption(this),
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: stage.removalPolicy,
    });
    Validations.of(this.mailFeedbackDeadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself the dead-letter queue of the mail-feedback consumer: SNS deliveries it could not make and invocations that failed every retry land here.',
    });
    this.mailFeedback = new AppFunction(this, 'MailFeedbackWorker', {
      entry: functionEntry('mail-feedback'),
      stage,
      description: `Plinth ${stage.name}: SES bounces and complaints → suppression list`,
      environment: { TABLE_NAME: props.table.tableName },
      timeout: Duration.seconds(30),
      tableAccess: { table: props.table, indexNames, mode: 'readWrite' },
    });
    // SNS invokes asynchronously: Lambda retries a failed report twice, then parks it here.
    this.mailFeedback.function.configureAsyncInvoke({
      retryAttempts: 2,
      onFailure: new SqsDestination(this.mailFeedbackDeadLetterQueue),
    });
    props.mailFeedbackTopic.addSubscription(
      new LambdaSubscription(this.mailFeedback.function, {
        deadLetterQueue: this.mailFeedbackDeadLetterQueue,
      }),
    );

    this.productActivity = new TableStreamConsumer(this, 'ProductActivity', {
      stage,
      table: props.table,
      indexNames,
      entry: functionEntry('product-activity'),
      description: `Plinth ${stage.name}: audit stream → product events; raw events → warehouse`,
      environment: {
        TABLE_NAME: props.table.tableName,
        PRODUCT_EVENT_TTL_DAYS: String(props.productEventTtlDays ?? stage.retention.productEventDays),
        // A delivery stream's Ref is its name.
        PRODUCT_WAREHOUSE_STREAM: this.warehouse.deliveryStream.ref,
      },
      filter: productStreamFilter,
      settings: productStreamSettings,
    });
    this.warehouse.grantPutRecords(this.productActivity.fn.function);

    this.rules = busDefinition.rules.map((definition) => {
      const consumer = workers[definition.consumer];
      const settings = workerSettings[definition.consumer];
      if (!consumer || !settings) throw new Error(`No consumer function ${definition.consumer}`);
      return new BusRule(this, `${pascalCase(definition.name)}Rule`, {
        eventBus: this.eventBus,
        definition,
        consumer: consumer.function,
        consumerTimeout: Duration.seconds(settings.timeoutSeconds),
        maxReceiveCount: busDefinition.maxReceiveCount,
        removalPolicy: stage.removalPolicy,
      });
    });

    this.schedules = busDefinition.schedules.map((definition) => {
      const target = workers[definition.target];
      if (!target) throw new Error(`No schedule target function ${definition.target}`);
      return new ScheduledFunction(this, `${pascalCase(definition.name)}Schedule`, {
        stage,
        definition,
        target: target.function,
      });
    });

    this.alarms = [
      ...this.alarmsOnPublishing(),
      failureAlarm(
        this,
        'ProductActivityErrorsAlarm',
        'The product-activity consumer failed on audit records (they are retried).',
        { errors: this.productActivity.fn.function.metricErrors({ statistic: 'Sum' }) },
      ),
      deadLetterQueueAlarm(
        this,
        'ProductActivityDeadLettersAlarm',
        this.productActivity.deadLetterQueue,
        'Stream batches the product-activity consumer gave up on: those audited actions are missing from the product analytics, or those raw events from the warehouse.',
      ),
      failureAlarm(
        this,
        'WarehouseDeliveryFailuresAlarm',
        'Firehose refused raw product events (the stream retries the batch; after 10 retries it goes to the product-activity dead-letter queue).',
        { failed: appMetric(stage.name, productMetricNames.warehouseDeliveryFailures) },
      ),
      new Alarm(this, 'WarehouseFreshnessAlarm', {
        alarmDescription:
          'Records wait in Firehose an hour longer than its 15-minute buffer: S3 delivery is failing (see the delivery log group). Firehose retries S3 for 24 hours, then drops the data.',
        metric: new Metric({
          namespace: 'AWS/Firehose',
          metricName: 'DeliveryToS3.DataFreshness',
          dimensionsMap: { DeliveryStreamName: this.warehouse.deliveryStream.ref },
          statistic: 'Maximum',
          period: Duration.minutes(5),
        }),
        threshold: warehouseDelivery.bufferingIntervalSeconds + Duration.hours(1).toSeconds(),
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
      ...this.alarmsOnWorkers(),
      failureAlarm(
        this,
        'MailFeedbackFailuresAlarm',
        'The mail-feedback consumer failed on SES bounce or complaint reports (Lambda retries them): until it succeeds, bouncing addresses are still mailed.',
        {
          errors: this.mailFeedback.function.metricErrors({ statistic: 'Sum' }),
          failedReports: appMetric(stage.name, mailMetricNames.feedbackFailures),
        },
      ),
      deadLetterQueueAlarm(
        this,
        'MailFeedbackDeadLettersAlarm',
        this.mailFeedbackDeadLetterQueue,
        'SES bounce or complaint reports the mail-feedback consumer gave up on: those addresses are not suppressed. Each message holds the SNS notification; fix the cause and apply them again.',
      ),
      ...this.rules.map((rule, index) =>
        deadLetterQueueAlarm(
          this,
          `${pascalCase(busDefinition.rules[index]?.name ?? String(index))}DeadLettersAlarm`,
          rule.deadLetterQueue,
          `Rule ${busDefinition.rules[index]?.name}: events its consumer failed ${busDefinition.maxReceiveCount} times, or EventBridge could not deliver`,
        ),
      ),
      ...this.schedules.map((schedule, index) =>
        deadLetterQueueAlarm(
          this,
          `${pascalCase(busDefinition.schedules[index]?.name ?? String(index))}DeadLettersAlarm`,
          schedule.deadLetterQueue,
          `Schedule ${busDefinition.schedules[index]?.name}: runs that failed every retry`,
        ),
      ),
    ];

    new CfnOutput(this, 'EventBusName', { value: this.eventBus.eventBusName });
    // `npm run outbox:replay -- --stage <stage>` finds the table CloudFormation named here.
    this.tableNameParameter = new StringParameter(this, 'TableNameParameter', {
      parameterName: tableNameParameterFor(stage.name),
      stringValue: props.table.tableName,
      description: `Plinth ${stage.name}: the table whose unpublished outbox items npm run outbox:replay republishes`,
    });
  }

  /**
   * Consumers report failed messages instead of throwing, so their Errors metric misses them: they
   * count them in EMF (`ConsumerFailures`), and so does the dunning sweep a failed run
   * (`DunningSweepFailures`). Alarms on those metrics (dead-letter queues are alarmed separately).
   */
  private alarmsOnWorkers(): Alarm[] {
    const stageName = this.stageName;
    const consumers = [...new Set(busDefinition.rules.map((rule) => rule.consumer))];
    return [
      ...consumers.map((name) =>
        failureAlarm(
          this,
          `${pascalCase(name)}ConsumerFailuresAlarm`,
          `Consumer ${name} failed messages or crashed (they are retried, then dead-lettered).`,
          {
            failedMessages: appMetric(stageName, eventMetricNames.consumerFailures, { consumer: name }),
            errors: this.workerFunction(name).metricErrors({ statistic: 'Sum' }),
          },
        ),
      ),
      failureAlarm(
        this,
        'DunningSweepFailuresAlarm',
        'The dunning sweep failed a run (the scheduler retries it; tenants past their grace period stay unrestricted meanwhile).',
        {
          failedRuns: appMetric(stageName, eventMetricNames.dunningSweepFailures),
          errors: this.workerFunction('dunning-sweep').metricErrors({ statistic: 'Sum' }),
        },
      ),
      countAlarm(
        this,
        'MrrReconciliationDriftAlarm',
        'metrics-reconcile found tenants whose MRR from the movements disagrees with their billing state: GET /admin/metrics/reconciliation?date= lists them (a lost subscription event, or a billing item changed by hand).',
        appMetric(stageName, eventMetricNames.mrrDrifts),
      ),
      failureAlarm(
        this,
        'MetricsReconcileFailuresAlarm',
        'metrics-reconcile failed a run (the scheduler retries it).',
        { errors: this.workerFunction('metrics-reconcile').metricErrors({ statistic: 'Sum' }) },
      ),
      countAlarm(
        this,
        'AuditChainBreakAlarm',
        "The audit verifier found a tenant's audit log that no longer matches its digest in the Object Lock bucket: an entry was changed, removed or added in the table. Its log line names the tenant and the first broken link; GET /v1/tenants/{id}/audit-log/verify shows it too.",
        appMetric(stageName, eventMetricNames.auditChainBreaks),
      ),
      countAlarm(
        this,
        'AuditDigestRevisedAlarm',
        "The audit digest job digested a tenant's day again with a different head: entries of that day arrived after its digest (a writer's clock far behind, or a stream held up for over an hour, or a write to the table outside the application). Its log line names the tenant and day.",
        appMetric(stageName, eventMetricNames.auditDigestsRevised),
      ),
      failureAlarm(
        this,
        'AuditDigestFailuresAlarm',
        'The audit digest job failed a run (the scheduler retries it; the next hourly run takes whatever is still due).',
        {
          failedRuns: appMetric(stageName, eventMetricNames.auditDigestFailures),
          errors: this.workerFunction('audit-digest').metricErrors({ statistic: 'Sum' }),
        },
      ),
      failureAlarm(
        this,
        'AuditVerifyFailuresAlarm',
        'The scheduled audit verifier failed a run (the scheduler retries it): chains went unchecked today.',
        { errors: this.workerFunction('audit-verify').metricErrors({ statistic: 'Sum' }) },
      ),
    ];
  }

  private workerFunction(name: string) {
    const fn = this.workers[name];
    if (!fn) throw new Error(`No worker function ${name}`);
    return fn.function;
  }

  /**
   * The publisher returns normally when it reports failed records, so its Errors metric misses
   * them: it counts them in EMF (`OutboxPublishFailures`: refused entries, failed calls, marks not
   * cleared), and the stream's age tells when retries hold everything up.
   */
  private alarmsOnPublishing(): Alarm[] {
    const { fn, deadLetterQueue } = this.publisher;
    return [
      failureAlarm(
        this,
        'OutboxPublisherErrorsAlarm',
        'The outbox publisher failed or could not put events on the bus (they are retried).',
        {
          errors: fn.function.metricErrors({ statistic: 'Sum' }),
          failedPuts: appMetric(this.stageName, eventMetricNames.outboxPublishFailures),
        },
      ),
      new Alarm(this, 'OutboxPublisherLagAlarm', {
        alarmDescription:
          'Outbox events wait more than five minutes in the stream: the publisher is retrying or throttled.',
        metric: fn.function.metric('IteratorAge', { statistic: 'Maximum', period: Duration.minutes(5) }),
        threshold: Duration.minutes(5).toMilliseconds(),
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
      deadLetterQueueAlarm(
        this,
        'OutboxDeadLettersAlarm',
        deadLetterQueue,
        'Outbox stream batches the publisher gave up on: each message names the shard and sequence numbers only; their outbox items stay in the table marked unpublished. Fix the cause, then run npm run outbox:replay -- --stage <stage>',
      ),
    ];
  }
}

function pascalCase(value: string): string {
  return value.replace(/(^|[-_])(\w)/g, (_match, _separator, letter: string) => letter.toUpperCase());
}
