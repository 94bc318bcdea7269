import { Duration, type RemovalPolicy, Validations } from 'aws-cdk-lib';
import { type IEventBus, Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { RuleDefinition } from '../../shared/events/bus.ts';

export interface BusRuleProps {
  readonly eventBus: IEventBus;
  /** The rule as declared in `busDefinition.rules`. */
  readonly definition: RuleDefinition;
  /**
   * The consumers the rule delivers to. When there is at least one, events that cannot be
   * delivered after EventBridge's retries go to a dead-letter queue instead of being dropped.
   * @default - no targets yet
   */
  readonly targets?: readonly IFunction[];
  /** @default RemovalPolicy.DESTROY (CDK's queue default) */
  readonly removalPolicy?: RemovalPolicy;
}

/** An EventBridge rule built from its shared definition, with a dead-letter queue for its targets. */
export class BusRule extends Construct {
  readonly rule: Rule;
  /** Present when the rule has targets. */
  readonly deadLetterQueue: Queue | undefined;

  constructor(scope: Construct, id: string, props: BusRuleProps) {
    super(scope, id);
    const { definition } = props;
    const { source, 'detail-type': detailType } = definition.eventPattern;

    this.rule = new Rule(this, 'Rule', {
      eventBus: props.eventBus,
      description: definition.description,
      eventPattern: {
        ...(source ? { source: [...source] } : {}),
        ...(detailType ? { detailType: [...detailType] } : {}),
      },
    });

    const targets = props.targets ?? [];
    if (targets.length === 0) {
      this.deadLetterQueue = undefined;
      return;
    }

    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: props.removalPolicy,
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself a dead-letter queue: the EventBridge rule targets send undeliverable events here.',
    });
    for (const target of targets) {
      this.rule.addTarget(new LambdaFunction(target, { deadLetterQueue: this.deadLetterQueue }));
    }
  }
}
