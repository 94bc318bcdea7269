import { type AuditEvent, auditStep } from '../audit/audit.writer.ts';
import type { Db } from '../db/client.ts';
import { keys } from '../db/keys.ts';
import { type Page, queryPrefixPage } from '../db/page.ts';
import { transactWrite } from '../db/transact.ts';
import { ConflictError } from '../http/errors.ts';
import type { Clock, IdGenerator } from '../ids.ts';
import { withoutKeys } from '../tenancy/records.ts';
import type { TenantContext } from '../tenancy/tenant-context.ts';
import { freeBillingState, type Invoice } from './billing.schema.ts';

type Audit = Omit<AuditEvent, 'tenantId'>;

/**
 * The billing items of one tenant, as the API side reads and writes them. The mirrored billing
 * state itself is read with the membership (TenantContext.billing) and changed only by webhooks;
 * the one exception is the Stripe customer id, which the API records when it creates the customer.
 */
export interface BillingRepository {
  /** Mirrored invoices (written by the webhook), newest first. */
  listInvoices(page: { limit: number; cursor?: string | undefined }): Promise<Page<Invoice>>;
  /**
   * Records the tenant's new Stripe customer in one transaction: the customer → tenant mapping
   * (absent, or already this tenant's) and the billing item's `customerId` (the item is created
   * in its free state when absent; a different customer id already there is never overwritten).
   */
  recordCustomer(customerId: string, audit: Audit): Promise<void>;
  /** Writes an audit entry for a billing change that Stripe has accepted. */
  audit(event: Audit): Promise<void>;
}

export function createBillingRepository(db: Db, deps: { clock: Clock; newId: IdGenerator }) {
  return {
    forTenant(ctx: TenantContext): BillingRepository {
      const { tenantId } = ctx;
      const auditOf = (event: Audit) => auditStep(db, { ...event, tenantId }, deps);

      return {
        async listInvoices(page) {
          const { items, nextCursor } = await queryPrefixPage(
            db,
            keys.invoicesPrefix(tenantId),
            'invoices',
            page,
            {
              newestFirst: true,
            },
          );
          return { items: items.map((item) => withoutKeys(item) as unknown as Invoice), nextCursor };
        },

        async recordCustomer(customerId, event) {
          const now = deps.clock().toISOString();
          // Every attribute of the free state, set only where the item does not have it yet.
          const { customerId: _none, ...initial } = freeBillingState(tenantId, now);
          const fields = Object.entries({ type: 'billing', ...initial });
          await transactWrite(db, [
            {
              item: {
                Put: {
                  TableName: db.tableName,
                  Item: {
                    ...keys.stripeCustomer(customerId),
                    type: 'stripe-customer',
                    customerId,
                    tenantId,
                    createdAt: now,
                  },
                  ConditionExpression: 'attribute_not_exists(pk) OR tenantId = :tenantId',
                  ExpressionAttributeValues: { ':tenantId': tenantId },
                },
              },
              onConditionFailed: () =>
                new ConflictError('This Stripe customer is already linked to another tenant.'),
            },
            {
              item: {
                Update: {
                  TableName: db.tableName,
                  Key: keys.billing(tenantId),
                  // Bumps `version`, the webhook's optimistic lock on this item, so a webhook write
                  // based on a read from before this one fails and is retried.
                  UpdateExpression: `SET customerId = :customerId, #version = if_not_exists(#version, :zero) + :one, ${fields
                    .map((_, i) => `#f${i} = if_not_exists(#f${i}, :f${i})`)
                    .join(', ')}`,
                  ConditionExpression:
                    'attribute_not_exists(customerId) OR attribute_type(customerId, :null) OR customerId = :customerId',
                  ExpressionAttributeNames: {
                    '#version': 'version',
                    ...Object.fromEntries(fields.map(([name], i) => [`#f${i}`, name])),
                  },
                  ExpressionAttributeValues: {
                    ':customerId': customerId,
                    ':null': 'NULL',
                    ':zero': 0,
                    ':one': 1,
                    ...Object.fromEntries(fields.map(([, value], i) => [`:f${i}`, value])),
                  },
                },
              },
              onConditionFailed: () =>
                new ConflictError('The tenant got another Stripe customer meanwhile; retry.'),
            },
            auditOf(event),
          ]);
        },

        async audit(event) {
          await transactWrite(db, [auditOf(event)]);
        },
      };
    },
  };
}

export type BillingRepositoryFactory = ReturnType<typeof createBillingRepository>;
