import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { Db } from '../../db/client.ts';
import { keys } from '../../db/keys.ts';
import { ID_PATTERN } from '../../ids.ts';
import type { WebhookDeps } from './webhook.deps.ts';

/** The tenant a Stripe customer belongs to, from the mapping written at checkout. */
export async function tenantOfCustomer(db: Db, customerId: string): Promise<string | undefined> {
  const { Item } = await db.client.send(
    new GetCommand({ TableName: db.tableName, Key: keys.stripeCustomer(customerId), ConsistentRead: true }),
  );
  return typeof Item?.tenantId === 'string' ? Item.tenantId : undefined;
}

/**
 * The tenant an object belongs to: the customer mapping first (our own record, written when the
 * customer was created), then a `tenantId` in the metadata Plinth puts on the objects it creates
 * (covers a subscription event that overtakes the mapping), if that tenant exists. Undefined for a
 * customer Plinth does not know (made in the dashboard, another product on the same account).
 */
export async function resolveTenant(
  deps: Pick<WebhookDeps, 'db' | 'log'>,
  source: {
    readonly customerId: string | null | undefined;
    readonly metadata: readonly Readonly<Record<string, string>>[];
  },
): Promise<string | undefined> {
  const fromMetadata = source.metadata
    .map((m) => m.tenantId)
    .find((id): id is string => typeof id === 'string' && ID_PATTERN.test(id));
  const mapped = source.customerId ? await tenantOfCustomer(deps.db, source.customerId) : undefined;
  if (mapped && fromMetadata && mapped !== fromMetadata) {
    deps.log.warn('customer mapping and metadata name different tenants; using the mapping', {
      customerId: source.customerId,
      mapped,
      fromMetadata,
    });
  }
  if (mapped) return mapped;
  if (!fromMetadata) return undefined;
  // Metadata is ours but unverified here: only a tenant that exists gets billing state.
  const { Item } = await deps.db.client.send(
    new GetCommand({ TableName: deps.db.tableName, Key: keys.tenant(fromMetadata), ConsistentRead: true }),
  );
  return Item ? fromMetadata : undefined;
}
