import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import { EventBus } from 'aws-cdk-lib/aws-events';
import type { Construct } from 'constructs';
import { busDefinition, busNameFor } from '../../shared/events/bus.ts';
import { BusRule } from '../constructs/bus-rule.ts';
import type { StageConfig } from '../stage.ts';

export interface EventsStackProps extends StackProps {
  readonly stage: StageConfig;
}

/** The custom EventBridge bus and one rule per entry of `busDefinition.rules`. */
export class EventsStack extends Stack {
  readonly eventBus: EventBus;
  readonly rules: readonly BusRule[];

  constructor(scope: Construct, id: string, props: EventsStackProps) {
    super(scope, id, props);
    const { stage } = props;

    this.eventBus = new EventBus(this, 'Bus', { eventBusName: busNameFor(stage.name) });

    // Consumers (analytics, notifications, audit) will pass their functions as targets here.
    this.rules = busDefinition.rules.map(
      (definition) =>
        new BusRule(this, definition.name, {
          eventBus: this.eventBus,
          definition,
          removalPolicy: stage.removalPolicy,
        }),
    );

    new CfnOutput(this, 'EventBusName', { value: this.eventBus.eventBusName });
  }
}
