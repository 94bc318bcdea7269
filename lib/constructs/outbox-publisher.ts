import { Duration, Validations } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { FilterCriteria, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { outboxStreamFilter, publisherStreamSettings } from '../../shared/events/publisher.ts';
import type { StageConfig } from '../stage.ts';
import { AppFunction } from './app-function.ts';
import { queueEncryption } from './stage-key.ts';

export interface OutboxPublisherProps {
  readonly stage: StageConfig;
  /** The table whose stream carries the outbox items. */
  readonly table: ITableV2;
  readonly eventBus: IEventBus;
  /** Absolute path of functions/outbox-publisher/handler.ts. */
  readonly entry: string;
}

/**
 * The outbox publisher: the table's stream, filtered to outbox INSERTs, feeds a function that puts
 * each event on the bus and clears the item's unpublished mark. It reports the records it could not publish (`ReportBatchItemFailures`), so
 * Lambda retries from the first of them; a batch that fails as a whole is split to isolate a bad
 * record; after `publisherStreamSettings.retryAttempts` the batch's position (shard and sequence
 * numbers, not the records) goes to an SQS queue, and the outbox items are still in the table, marked
 * unpublished, for `npm run outbox:replay`.
 */
export class OutboxPublisher extends Construct {
  readonly fn: AppFunction;
  /** Where Lambda reports stream batches it gave up on. */
  readonly deadLetterQueue: Queue;

  constructor(scope: Construct, id: string, props: OutboxPublisherProps) {
    super(scope, id);

    this.fn = new AppFunction(this, 'Function', {
      entry: props.entry,
      stage: props.stage,
      description: `Plinth ${props.stage.name}: outbox stream → EventBridge`,
      environment: { EVENT_BUS_NAME: props.eventBus.eventBusName, TABLE_NAME: props.table.tableName },
      timeout: Duration.seconds(30),
    });
    props.eventBus.grantPutEventsTo(this.fn.role);
    // Clearing an outbox item's unpublished mark is one conditional UpdateItem; nothing else.
    this.fn.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['dynamodb:UpdateItem'], resources: [props.table.tableArn] }),
    );

    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      ...queueEncryption(this),
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: props.stage.removalPolicy,
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself the on-failure destination of the outbox stream: Lambda reports the stream batches it gave up on here.',
    });

    this.fn.function.addEventSource(
      new DynamoEventSource(props.table, {
        // The whole retained stream on first deploy, so no outbox item written before is skipped.
        startingPosition: StartingPosition.TRIM_HORIZON,
        batchSize: publisherStreamSettings.batchSize,
        retryAttempts: publisherStreamSettings.retryAttempts,
        bisectBatchOnError: true,
        reportBatchItemFailures: true,
        onFailure: new SqsDlq(this.deadLetterQueue),
        filters: [FilterCriteria.filter(outboxStreamFilter)],
      }),
    );
  }
}
