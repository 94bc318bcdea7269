import { type App, Validations } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { stageNames } from '../../lib/stage.ts';
import { type BuiltPlinth, buildPlinth } from './plinth-app.ts';

/**
 * cdk-nag 3 is a policy-validation plugin, not an Aspect: findings come back in a report (and fail
 * `cdk synth`) instead of being written as annotations, so the report is what these tests read.
 * The app is built as bin/plinth.ts builds it: plugin registered, CloudFormation validation on.
 */
describe.each(stageNames)('synthesis with cdk-nag AwsSolutions (%s)', (stage) => {
  let plinth: BuiltPlinth;
  let synthError: unknown;

  beforeAll(() => {
    plinth = buildPlinth({ stage, validateTemplates: true });
    Validations.of(plinth.app).addPlugins(new AwsSolutionsChecks(plinth.app));
    try {
      plinth.app.synth();
    } catch (error) {
      synthError = error;
    }
  });

  const findingsOf = (app: App) =>
    new AwsSolutionsChecks()
      .validateScope(app)
      .violations.flatMap((violation) =>
        violation.violatingResources.map(
          (resource) => `${violation.severity} ${violation.ruleName} at ${resource.constructPath}`,
        ),
      );

  it('leaves no unacknowledged finding, error or warning', () => {
    expect(findingsOf(plinth.app)).toEqual([]);
  });

  it('synthesizes without validation failures', () => {
    expect(synthError).toBeUndefined();
  });

  it('leaves no error or warning annotation on any stack', () => {
    for (const stack of [
      plinth.data,
      plinth.auth,
      plinth.events,
      plinth.api,
      plinth.alerts,
      plinth.dashboard,
      plinth.console,
    ]) {
      expect(Annotations.fromStack(stack).findError('*', Match.anyValue())).toEqual([]);
      expect(Annotations.fromStack(stack).findWarning('*', Match.anyValue())).toEqual([]);
    }
  });
});
