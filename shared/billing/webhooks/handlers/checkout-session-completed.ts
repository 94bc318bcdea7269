import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { keys } from '../../../db/keys.ts';
import type { TransactStep } from '../../../db/transact.ts';
import { ID_PATTERN } from '../../../ids.ts';
import { parseObject } from '../event-parsing.ts';
import { apply, type EventHandler, skip } from '../handler-outcome.ts';
import { checkoutSessionSchema } from '../stripe-objects.ts';
import type { WebhookDeps } from '../webhook.deps.ts';
import { ConcurrentChangeError } from '../webhook.errors.ts';

/** Maps the customer to the tenant, unless it is mapped already (to this tenant: a no-op). */
function customerMappingStep(deps: WebhookDeps, customerId: string, tenantId: string): TransactStep {
  return {
    item: {
      Update: {
        TableName: deps.db.tableName,
        Key: keys.stripeCustomer(customerId),
        UpdateExpression:
          'SET #type = if_not_exists(#type, :type), tenantId = :tenantId, customerId = :customerId',
        ConditionExpression: 'attribute_not_exists(pk) OR tenantId = :tenantId',
        ExpressionAttributeNames: { '#type': 'type' },
        ExpressionAttributeValues: {
          ':type': 'stripe-customer',
          ':tenantId': tenantId,
          ':customerId': customerId,
        },
      },
    },
    onConditionFailed: () => new ConcurrentChangeError(`The mapping of customer ${customerId}`),
  };
}

/**
 * `checkout.session.completed`: the customer paid for a subscription in Checkout. Makes sure the
 * Stripe customer maps to the tenant that started the checkout (`client_reference_id`, or
 * `metadata.tenantId`); the billing API wrote the mapping when it created the customer, so this
 * repairs a mapping lost to a crash. A customer already mapped to another tenant is left alone and
 * logged. The subscription's own events carry its state.
 */
export const handleCheckoutSessionCompleted: EventHandler = async (event, deps) => {
  const session = parseObject(checkoutSessionSchema(), event);
  if (session.mode !== 'subscription') return apply(null, [], `checkout ${session.id} is not a subscription`);
  const tenantId = [session.client_reference_id, session.metadata.tenantId].find(
    (id): id is string => typeof id === 'string' && ID_PATTERN.test(id),
  );
  if (!tenantId || !session.customer) {
    return skip(`checkout ${session.id} names no Plinth tenant or no customer`);
  }
  const { Item } = await deps.db.client.send(
    new GetCommand({
      TableName: deps.db.tableName,
      Key: keys.stripeCustomer(session.customer),
      ConsistentRead: true,
    }),
  );
  if (typeof Item?.tenantId === 'string' && Item.tenantId !== tenantId) {
    deps.log.error('checkout completed for a customer of another tenant; mapping left unchanged', {
      checkoutSessionId: session.id,
      customerId: session.customer,
      tenantId,
      mappedTenantId: Item.tenantId,
    });
    return apply(tenantId, [], `customer ${session.customer} belongs to another tenant`);
  }
  return apply(
    tenantId,
    [customerMappingStep(deps, session.customer, tenantId)],
    `checkout ${session.id} completed: customer ${session.customer}`,
  );
};
