import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Db } from '../db/client.ts';
import { keys } from '../db/keys.ts';

/** Roles that receive billing email. */
const BILLING_ROLES = ['owner', 'admin'] as const;

/**
 * The active owners and admins of a tenant, by email (billing mail and support's replies go to
 * them). One query over its memberships.
 */
export async function billingContacts(db: Db, tenantId: string): Promise<string[]> {
  const prefix = keys.membersPrefix(tenantId);
  const emails: string[] = [];
  let exclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await db.client.send(
      new QueryCommand({
        TableName: db.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        FilterExpression: '#role IN (:owner, :admin) AND #status = :active',
        ExpressionAttributeNames: { '#role': 'role', '#status': 'status' },
        ExpressionAttributeValues: {
          ':pk': prefix.pk,
          ':prefix': prefix.skPrefix,
          ':owner': BILLING_ROLES[0],
          ':admin': BILLING_ROLES[1],
          ':active': 'active',
        },
        ProjectionExpression: 'email',
        ExclusiveStartKey: exclusiveStartKey,
      }),
    );
    for (const item of page.Items ?? []) if (typeof item.email === 'string') emails.push(item.email);
    exclusiveStartKey = page.LastEvaluatedKey;
  } while (exclusiveStartKey);
  return [...new Set(emails)].sort();
}
