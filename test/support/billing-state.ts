import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { type BillingState, freeBillingState } from '#shared/billing/billing.schema.ts';
import type { DocumentClient } from '#shared/db/client.ts';
import { keys } from '#shared/db/keys.ts';

/**
 * Mirrors a subscription in the tenant's billing item, as the billing webhooks would leave it
 * (e.g. a Team plan, so that features the free plan lacks can be used in a test).
 */
export async function mirrorSubscription(
  stack: { readonly db: DocumentClient; readonly tableName: string },
  tenantId: string,
  state: Partial<BillingState> = {},
): Promise<void> {
  const now = new Date().toISOString();
  await stack.db.send(
    new PutCommand({
      TableName: stack.tableName,
      Item: {
        ...keys.billing(tenantId),
        type: 'billing',
        ...freeBillingState(tenantId, now),
        plan: 'team',
        interval: 'month',
        status: 'active',
        customerId: `cus_${tenantId.slice(-10)}`,
        subscriptionId: `sub_${tenantId.slice(-10)}`,
        ...state,
      },
    }),
  );
}
