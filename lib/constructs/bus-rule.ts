import { Duration, type RemovalPolicy, Validations } from 'aws-cdk-lib';
import { type IEventBus, Rule } from 'aws-cdk-lib/aws-events';
import { SqsQueue } from 'aws-cdk-lib/aws-events-targets';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { RuleDefinition } from '../../shared/events/bus.ts';
import { queueEncryption } from './stage-key.ts';

export interface BusRuleProps {
  readonly eventBus: IEventBus;
  /** The rule as declared in `busDefinition.rules`. */
  readonly definition: RuleDefinition;
  /** The function named by `definition.consumer`; it drains the rule's queue. */
  readonly consumer: IFunction;
  /** Receives of a message before it moves to the dead-letter queue (`busDefinition.maxReceiveCount`). */
  readonly maxReceiveCount: number;
  /**
   * The consumer's timeout: the queue hides a received message for six times as long, as AWS
   * advises for SQS event sources, so a retry never overlaps a run still in progress.
   */
  readonly consumerTimeout: Duration;
  /** @default RemovalPolicy.DESTROY (CDK's queue default) */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * An EventBridge rule built from its shared definition, delivering to an SQS queue that its
 * consumer drains (batches of up to ten, reporting batch item failures), the same shape the local
 * runner drives. Nothing is dropped: a message the consumer fails `maxReceiveCount` times moves to
 * the rule's dead-letter queue, and so does an event EventBridge could not deliver to the queue
 * (its target dead-letter queue). Both land in the one queue with the event as the body, so a
 * redrive from it feeds the consumer the same events it would have had.
 */
export class BusRule extends Construct {
  readonly rule: Rule;
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;

  constructor(scope: Construct, id: string, props: BusRuleProps) {
    super(scope, id);
    const { definition } = props;
    const { source, 'detail-type': detailType } = definition.eventPattern;

    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      ...queueEncryption(this),
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: props.removalPolicy,
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: `This queue is itself the dead-letter queue of rule ${definition.name}: its queue's redrive policy and the rule's target send failed events here.`,
    });

    this.queue = new Queue(this, 'Queue', {
      ...queueEncryption(this),
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(props.consumerTimeout.toSeconds() * 6),
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: props.maxReceiveCount },
      removalPolicy: props.removalPolicy,
    });

    this.rule = new Rule(this, 'Rule', {
      eventBus: props.eventBus,
      description: definition.description,
      eventPattern: {
        ...(source ? { source: [...source] } : {}),
        ...(detailType ? { detailType: [...detailType] } : {}),
      },
    });
    this.rule.addTarget(new SqsQueue(this.queue, { deadLetterQueue: this.deadLetterQueue }));

    props.consumer.addEventSource(
      new SqsEventSource(this.queue, { batchSize: 10, reportBatchItemFailures: true }),
    );
  }
}
