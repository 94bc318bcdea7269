import type { CfnElement, Stack } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import type { IRole } from 'aws-cdk-lib/aws-iam';

/** Reading helpers for the infra tests: IAM statements by role, logical ids, resources by type. */

export interface Statement {
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource: unknown;
  Condition?: unknown;
}

export interface Resource {
  Type: string;
  Properties: Record<string, unknown>;
  DeletionPolicy?: string;
}

export const logicalId = (stack: Stack, construct: { node: { defaultChild?: unknown } }) =>
  stack.getLogicalId(construct.node.defaultChild as CfnElement);

export const asList = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

/** `{ 'Fn::GetAtt': [<logical id>, 'Arn'] }` of a construct in `stack`. */
export const arnOf = (stack: Stack, construct: { node: { defaultChild?: unknown } }) => ({
  'Fn::GetAtt': [logicalId(stack, construct), 'Arn'],
});

/** Every statement of the policies attached to `role`. */
export function statementsOf(template: Template, stack: Stack, role: IRole): Statement[] {
  const roleRef = JSON.stringify({ Ref: logicalId(stack, role) });
  const policies = Object.values(template.findResources('AWS::IAM::Policy')) as Resource[];
  return policies
    .filter((policy) => (policy.Properties.Roles as unknown[]).some((r) => JSON.stringify(r) === roleRef))
    .flatMap((policy) => (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
}

export const actionsOf = (statements: Statement[]) =>
  statements.flatMap((statement) => asList(statement.Action));

/** The resources of one type, by logical id. */
export function resourcesOf(template: Template, type: string): Record<string, Resource> {
  return template.findResources(type) as Record<string, Resource>;
}
