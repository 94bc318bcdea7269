import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { areaAccess } from '../../lib/stacks/api-stack.ts';
import { functionAreas } from '../../shared/http/route.ts';
import { type BuiltPlinth, buildPlinth } from './plinth-app.ts';
import { arnOf, asList, logicalId, type Resource, statementsOf } from './template.ts';

const tenantAreas = functionAreas.filter((area) => areaAccess[area].table !== 'none');

describe.each(['dev', 'prod'] as const)('tenant-data role (%s)', (stage) => {
  let plinth: BuiltPlinth;
  let template: Template;
  let role: Resource;

  beforeAll(() => {
    plinth = buildPlinth({ stage });
    template = Template.fromStack(plinth.api);
    role = template.findResources('AWS::IAM::Role')[
      logicalId(plinth.api, plinth.api.tenantDataRole)
    ] as Resource;
  });

  it('allows DynamoDB item actions on the table only where the partition key is the session tenant’s', () => {
    const statements = statementsOf(template, plinth.api, plinth.api.tenantDataRole);
    const dynamo = statements.filter((s) => asList(s.Action).some((a) => a.startsWith('dynamodb:')));

    expect(dynamo).toHaveLength(1);
    // The table's ARN, from the data stack (no index ARN).
    expect(dynamo[0]?.Resource).toEqual({
      'Fn::GetStackOutput': expect.objectContaining({
        StackName: `plinth-${stage}-data`,
        OutputName: expect.stringContaining('TableCD117FA1Arn'),
      }),
    });
    expect(dynamo[0]?.Condition).toEqual({
      // biome-ignore lint/suspicious/noTemplateCurlyInString: an IAM policy variable, as IAM reads it
      'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['TENANT#${aws:PrincipalTag/tenantId}'] },
    });
  });

  it('grants no Scan, no index and no stream action to a tenant session', () => {
    const statements = statementsOf(template, plinth.api, plinth.api.tenantDataRole);
    const actions = statements.flatMap((s) => asList(s.Action));

    expect(actions).not.toContain('dynamodb:Scan');
    expect(actions.filter((a) => a.includes('*') || a.startsWith('dynamodb:GetRecords'))).toEqual([]);
    expect(JSON.stringify(statements)).not.toContain('/index/');
  });

  it('trusts only the API functions’ roles, and only with a tenantId session tag', () => {
    const trust = (role.Properties.AssumeRolePolicyDocument as { Statement: Record<string, unknown>[] })
      .Statement;

    const principals = trust.flatMap((s) => asList((s.Principal as { AWS: unknown }).AWS));
    const expected = tenantAreas.map((area) => arnOf(plinth.api, plinth.api.functions[area].role));
    expect(principals).toHaveLength(expected.length);
    expect(principals).toEqual(expect.arrayContaining(expected));
    for (const statement of trust) {
      expect(statement.Action).toEqual(['sts:AssumeRole', 'sts:TagSession']);
      expect(statement.Condition).toEqual({
        StringLike: { 'aws:RequestTag/tenantId': '?*' },
        'ForAllValues:StringEquals': { 'aws:TagKeys': ['tenantId'] },
      });
    }
  });

  it.each(tenantAreas)(
    'lets %s assume it with the tenant tag and names it in TENANT_DATA_ROLE_ARN',
    (area) => {
      const fn = plinth.api.functions[area];
      const assume = statementsOf(template, plinth.api, fn.role).filter((s) =>
        asList(s.Action).includes('sts:AssumeRole'),
      );

      expect(assume).toEqual([
        {
          Effect: 'Allow',
          Action: ['sts:AssumeRole', 'sts:TagSession'],
          Resource: arnOf(plinth.api, plinth.api.tenantDataRole),
          Condition: {
            StringLike: { 'aws:RequestTag/tenantId': '?*' },
            'ForAllValues:StringEquals': { 'aws:TagKeys': ['tenantId'] },
          },
        },
      ]);
      const variables = (
        template.findResources('AWS::Lambda::Function')[logicalId(plinth.api, fn.function)] as Resource
      ).Properties.Environment as { Variables: Record<string, unknown> };
      expect(variables.Variables.TENANT_DATA_ROLE_ARN).toEqual(arnOf(plinth.api, plinth.api.tenantDataRole));
    },
  );

  it('uses the table key only where the table has one (prod)', () => {
    const kms = statementsOf(template, plinth.api, plinth.api.tenantDataRole).filter((s) =>
      asList(s.Action).some((a) => a.startsWith('kms:')),
    );

    expect(kms).toHaveLength(stage === 'prod' ? 1 : 0);
  });
});
