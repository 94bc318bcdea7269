import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { EventBus } from 'aws-cdk-lib/aws-events';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import type { CfnQueue } from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { BusRule } from '../../lib/constructs/bus-rule.ts';
import { busDefinition, busNameFor, type RuleDefinition } from '../../shared/events/bus.ts';
import { buildPlinth } from './plinth-app.ts';

describe('events stack', () => {
  let template: Template;

  beforeAll(() => {
    template = Template.fromStack(buildPlinth({ stage: 'prod' }).events);
  });

  it('creates the custom bus named for the stage', () => {
    template.resourceCountIs('AWS::Events::EventBus', 1);
    template.hasResourceProperties('AWS::Events::EventBus', { Name: busNameFor('prod') });
  });

  it('creates one rule per declared rule definition, on the custom bus', () => {
    template.resourceCountIs('AWS::Events::Rule', busDefinition.rules.length);
    for (const definition of busDefinition.rules) {
      template.hasResourceProperties('AWS::Events::Rule', {
        Description: definition.description,
        EventBusName: Match.anyValue(),
      });
    }
  });
});

describe('BusRule', () => {
  const definition: RuleDefinition = {
    name: 'tenant-created-to-audit',
    description: 'Tenant creations, for the audit consumer',
    eventPattern: { source: ['plinth'], 'detail-type': ['tenant.created.v1'] },
  };

  function stackWithRule(targets: number) {
    const app = new App({ builtinCloudFormationValidation: false });
    const stack = new Stack(app, 'BusRuleTest');
    const eventBus = new EventBus(stack, 'Bus', { eventBusName: 'plinth-test' });
    const consumers = Array.from(
      { length: targets },
      (_, index) =>
        new LambdaFunction(stack, `Consumer${index}`, {
          runtime: Runtime.NODEJS_24_X,
          handler: 'index.handler',
          code: Code.fromInline('export const handler = async () => {};'),
        }),
    );
    const rule = new BusRule(stack, 'Rule', { eventBus, definition, targets: consumers });
    return { app, stack, rule };
  }

  it('matches the event pattern of its definition', () => {
    const { stack } = stackWithRule(0);

    Template.fromStack(stack).hasResourceProperties('AWS::Events::Rule', {
      Description: definition.description,
      EventPattern: { source: ['plinth'], 'detail-type': ['tenant.created.v1'] },
    });
  });

  it('creates no dead-letter queue while it has no targets', () => {
    const { stack, rule } = stackWithRule(0);

    expect(rule.deadLetterQueue).toBeUndefined();
    Template.fromStack(stack).resourceCountIs('AWS::SQS::Queue', 0);
  });

  it('sends undeliverable events of every target to one encrypted dead-letter queue', () => {
    const { stack, rule } = stackWithRule(2);
    const template = Template.fromStack(stack);
    const queue = rule.deadLetterQueue?.node.defaultChild as CfnQueue;
    const queueArn = { 'Fn::GetAtt': [stack.getLogicalId(queue), 'Arn'] };

    template.resourceCountIs('AWS::SQS::Queue', 1);
    template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true });
    template.hasResourceProperties('AWS::Events::Rule', {
      Targets: [
        Match.objectLike({ DeadLetterConfig: { Arn: queueArn } }),
        Match.objectLike({ DeadLetterConfig: { Arn: queueArn } }),
      ],
    });
  });

  it('passes cdk-nag AwsSolutions with its dead-letter queue', () => {
    const { app, stack } = stackWithRule(1);
    Template.fromStack(stack);

    const report = new AwsSolutionsChecks().validateScope(app);
    const findings = report.violations.flatMap((violation) =>
      violation.violatingResources
        .filter((resource) => resource.constructPath?.startsWith('BusRuleTest/Rule/'))
        .map((resource) => `${violation.ruleName} at ${resource.constructPath}`),
    );

    expect(findings).toEqual([]);
  });
});
