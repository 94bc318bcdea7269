import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import {
  ArnPrincipal,
  CompositePrincipal,
  type IRole,
  PolicyStatement,
  Role,
  SessionTagsPrincipal,
} from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

/** The session tag that names the tenant; the role's policy reads it as `aws:PrincipalTag/tenantId`. */
export const TENANT_TAG = 'tenantId';

/**
 * The condition on assuming the role: exactly one session tag, `tenantId`, with a value. Without it
 * a caller could assume the role untagged (no tenant) or add tags of its own choosing.
 */
export const tenantTagConditions = {
  StringLike: { [`aws:RequestTag/${TENANT_TAG}`]: '?*' },
  'ForAllValues:StringEquals': { 'aws:TagKeys': [TENANT_TAG] },
};

/**
 * The partition keys a tenant session may touch: its own tenant's partition, nothing else
 * (shared/db/keys.ts `TENANT#<tenantId>`; shared/db/tenant-scope.ts checks the same rule in-process).
 */
export const tenantLeadingKeys = `TENANT#\${aws:PrincipalTag/${TENANT_TAG}}`;

/** The item actions a tenant session may use: no Scan (no leading key to check), no streams. */
const tenantItemActions = [
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:Query',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:ConditionCheckItem',
];

export interface TenantDataRoleProps {
  readonly table: ITableV2;
  /** The roles of the functions that serve tenant-scoped requests; each may assume this role. */
  readonly assumedBy: readonly IRole[];
}

/**
 * The role tenant-scoped requests assume with STS (shared/db/tenant-credentials.ts), tagged with
 * their tenant: it allows DynamoDB item actions on the table only for items whose partition key is
 * `TENANT#<the session's tenantId tag>` (`dynamodb:LeadingKeys`), so a request for tenant A that
 * built a key of tenant B is denied by IAM. Its trust lets only the given function roles assume it,
 * and only with the `tenantId` session tag; each of those roles gets `sts:AssumeRole` and
 * `sts:TagSession` on this role alone, under the same conditions.
 */
export class TenantDataRole extends Construct {
  readonly role: Role;

  constructor(scope: Construct, id: string, props: TenantDataRoleProps) {
    super(scope, id);
    if (props.assumedBy.length === 0)
      throw new Error('TenantDataRole needs at least one role that assumes it.');
    this.role = new Role(this, 'Role', {
      description: 'Tenant-scoped requests: DynamoDB on the partition of the session tag tenantId only',
      assumedBy: new CompositePrincipal(
        ...props.assumedBy.map(
          (role) =>
            new SessionTagsPrincipal(new ArnPrincipal(role.roleArn).withConditions(tenantTagConditions)),
        ),
      ),
    });
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: tenantItemActions,
        resources: [props.table.tableArn],
        conditions: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [tenantLeadingKeys] } },
      }),
    );
    // A table under a customer managed key (prod) needs the key's use as well.
    props.table.encryptionKey?.grant(
      this.role,
      'kms:Decrypt',
      'kms:DescribeKey',
      'kms:Encrypt',
      'kms:GenerateDataKey',
    );
    for (const role of props.assumedBy) {
      role.addToPrincipalPolicy(
        new PolicyStatement({
          actions: ['sts:AssumeRole', 'sts:TagSession'],
          resources: [this.role.roleArn],
          conditions: tenantTagConditions,
        }),
      );
    }
  }
}
