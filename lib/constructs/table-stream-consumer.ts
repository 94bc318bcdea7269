import { Duration, type RemovalPolicy, Validations } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { FilterCriteria, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { StageConfig } from '../stage.ts';
import { AppFunction } from './app-function.ts';
import { queueEncryption } from './stage-key.ts';

export interface TableStreamConsumerProps {
  readonly stage: StageConfig;
  /** The table whose stream feeds the consumer. */
  readonly table: ITableV2;
  readonly indexNames: readonly string[];
  /** Absolute path of the consumer's `functions/<name>/handler.ts`. */
  readonly entry: string;
  readonly description: string;
  readonly environment: Readonly<Record<string, string>>;
  /** The event source mapping's filter (an EventBridge-style pattern on the stream record). */
  readonly filter: Record<string, unknown>;
  readonly settings: { readonly batchSize: number; readonly retryAttempts: number };
  /** @default stage.removalPolicy */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * A second (third, …) consumer of the table's stream, beside the outbox publisher: its own function,
 * its own filtered event source mapping reading from the trim horizon, batch item failures
 * reported, a failing batch bisected, and the positions of batches it gave up on in a queue.
 */
export class TableStreamConsumer extends Construct {
  readonly fn: AppFunction;
  readonly deadLetterQueue: Queue;

  constructor(scope: Construct, id: string, props: TableStreamConsumerProps) {
    super(scope, id);
    this.fn = new AppFunction(this, 'Function', {
      entry: props.entry,
      stage: props.stage,
      description: props.description,
      environment: props.environment,
      timeout: Duration.seconds(30),
      tableAccess: { table: props.table, indexNames: props.indexNames, mode: 'readWrite' },
    });
    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      ...queueEncryption(this),
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: props.removalPolicy ?? props.stage.removalPolicy,
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself the on-failure destination of a stream consumer: Lambda reports the stream batches it gave up on here.',
    });
    this.fn.function.addEventSource(
      new DynamoEventSource(props.table, {
        startingPosition: StartingPosition.TRIM_HORIZON,
        batchSize: props.settings.batchSize,
        retryAttempts: props.settings.retryAttempts,
        bisectBatchOnError: true,
        reportBatchItemFailures: true,
        onFailure: new SqsDlq(this.deadLetterQueue),
        filters: [FilterCriteria.filter(props.filter)],
      }),
    );
  }
}
