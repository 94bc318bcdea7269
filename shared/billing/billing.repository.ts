import { type AuditEvent, auditStep } from '../audit/audit.writer.ts';
import type { Db } from '../db/client.ts';
import { keys } from '../db/keys.ts';
import { type Page, queryPrefixPage } from '../db/page.ts';
import { type TransactStep, transactWrite } from '../db/transact.ts';
import { ConflictError } from '../http/errors.ts';
import type { Clock, IdGenerator } from '../ids.ts';
import { withoutKeys } from '../tenancy/records.ts';
import type { TenantContext } from '../tenancy/tenant-context.ts';
import type { Invoice } from './billing.schema.ts';
import { freeBillingState } from './free-billing-state.ts';
import { ENDS_WITHOUT_CHARGE_WHEN_CANCELED, LIVE_STATUSES } from './subscription-status.ts';

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
  /**
   * Records the Checkout Session just handed out as the tenant's one open checkout, with its audit
   * entry, on condition that the billing item still records `previousSessionId` (null: none) or
   * already records this session (a replayed request). Two checkouts racing from the same state get
   * one winner; the loser's condition fails (409) and its session is never handed out.
   */
  recordCheckout(
    session: { readonly sessionId: string; readonly expiresAt: string },
    previousSessionId: string | null,
    audit: Audit,
  ): Promise<void>;
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

        async recordCheckout(session, previousSessionId, event) {
          await transactWrite(db, [
            {
              item: {
                Update: {
                  TableName: db.tableName,
                  Key: keys.billing(tenantId),
                  // Bumps `version` like every write of this item, so a webhook write based on an
                  // older read fails and is redone from fresh state (keeping this session).
                  UpdateExpression:
                    'SET #sessionId = :sessionId, #expiresAt = :expiresAt, updatedAt = :now, #version = if_not_exists(#version, :zero) + :one',
                  // The item exists: the customer is recorded before the first checkout.
                  ConditionExpression: `attribute_exists(pk) AND (#sessionId = :sessionId OR ${
                    previousSessionId === null
                      ? 'attribute_not_exists(#sessionId) OR attribute_type(#sessionId, :null)'
                      : '#sessionId = :previous'
                  })`,
                  ExpressionAttributeNames: {
                    '#sessionId': 'checkoutSessionId',
                    '#expiresAt': 'checkoutExpiresAt',
                    '#version': 'version',
                  },
                  ExpressionAttributeValues: {
                    ':sessionId': session.sessionId,
                    ':expiresAt': session.expiresAt,
                    ':now': deps.clock().toISOString(),
                    ':zero': 0,
                    ':one': 1,
                    ...(previousSessionId === null
                      ? { ':null': 'NULL' }
                      : { ':previous': previousSessionId }),
                  },
                },
              },
              onConditionFailed: () =>
                new ConflictError(
                  'Another checkout for this tenant was started at the same moment; continue with that one or start again.',
                ),
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

/**
 * The condition a tenant's deletion holds its billing item to, checked in the deletion's
 * transaction so a webhook that makes a subscription live meanwhile fails the deletion instead of
 * racing it: no subscription that can still charge the tenant (live, and not set to end without
 * another charge; see `subscriptionBlockingDeletion`), and no Checkout Session still open (it
 * could still start a subscription). An absent item is a tenant that never subscribed.
 */
export function noChargingSubscriptionStep(
  db: Db,
  tenantId: string,
  now: string,
  onFailed: () => Error,
): TransactStep {
  const live = [...LIVE_STATUSES];
  const endsFree = [...ENDS_WITHOUT_CHARGE_WHEN_CANCELED];
  const values: Record<string, unknown> = { ':true': true, ':now': now };
  live.forEach((status, i) => {
    values[`:live${i}`] = status;
  });
  endsFree.forEach((status, i) => {
    values[`:ends${i}`] = status;
  });
  const liveList = live.map((_, i) => `:live${i}`).join(', ');
  const endsList = endsFree.map((_, i) => `:ends${i}`).join(', ');
  return {
    item: {
      ConditionCheck: {
        TableName: db.tableName,
        Key: keys.billing(tenantId),
        ConditionExpression:
          `(attribute_not_exists(pk) OR NOT (#status IN (${liveList})) OR ` +
          `(#cancelAtPeriodEnd = :true AND #status IN (${endsList}))) AND ` +
          '(attribute_not_exists(#checkoutExpiresAt) OR attribute_type(#checkoutExpiresAt, :nullType) OR #checkoutExpiresAt <= :now)',
        ExpressionAttributeNames: {
          '#status': 'status',
          '#cancelAtPeriodEnd': 'cancelAtPeriodEnd',
          '#checkoutExpiresAt': 'checkoutExpiresAt',
        },
        ExpressionAttributeValues: { ...values, ':nullType': 'NULL' },
      },
    },
    onConditionFailed: onFailed,
  };
}
