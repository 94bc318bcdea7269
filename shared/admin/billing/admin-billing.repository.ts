import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { Invoice } from '../../billing/billing.schema.ts';
import { readBillingRecord } from '../../billing/webhooks/billing-record.ts';
import type { BillingRecord } from '../../billing/webhooks/transitions.ts';
import type { Db } from '../../db/client.ts';
import { keys } from '../../db/keys.ts';
import { queryPrefixPage } from '../../db/page.ts';
import { transactWrite } from '../../db/transact.ts';
import type { Clock, IdGenerator } from '../../ids.ts';
import { withoutKeys } from '../../tenancy/records.ts';
import { type PlatformAuditEvent, platformAuditSteps } from '../platform-audit.ts';
import type { Credit } from './admin-billing.schema.ts';

/**
 * What the operators' billing routes read and write of a tenant. Operators are not members, so
 * these take a tenant id (like shared/admin/admin.repository.ts): only use cases that checked the
 * operator's `billing:adjust` permission may call them. Reads are strongly consistent.
 */
export interface AdminBillingRepository {
  /** Whether the tenant exists (deleted tenants too: their payment history is kept). */
  tenantExists(tenantId: string): Promise<boolean>;
  /** The mirrored billing state (the free-plan state when the tenant never subscribed). */
  billing(tenantId: string): Promise<BillingRecord>;
  /** The newest invoices, newest first. */
  invoices(tenantId: string, limit: number): Promise<Invoice[]>;
  /** The newest credits, newest first. */
  credits(tenantId: string, limit: number): Promise<Credit[]>;
  /**
   * Records a credit Stripe made, with its audit entries, in one transaction. A credit already
   * recorded (a retried request that Stripe answered with the same transaction) is left as it is
   * and no second audit entry is written: returns false then.
   */
  recordCredit(tenantId: string, credit: Credit, audit: PlatformAuditEvent): Promise<boolean>;
  /** Writes an operator's change made at Stripe to the platform log and the tenant's. */
  audit(event: PlatformAuditEvent): Promise<void>;
}

/** The credit was recorded by an earlier attempt of the same request. */
class CreditAlreadyRecordedError extends Error {
  constructor(creditId: string) {
    super(`Credit ${creditId} is already recorded.`);
    this.name = 'CreditAlreadyRecordedError';
  }
}

/** The newest items of a tenant list: the same query as the tenant's own list routes (one page). */
async function queryNewest(db: Db, prefix: { pk: string; skPrefix: string }, scope: string, limit: number) {
  const { items } = await queryPrefixPage(
    db,
    prefix,
    scope,
    { limit },
    { newestFirst: true, consistentRead: true },
  );
  return items.map((item) => withoutKeys(item));
}

export function createAdminBillingRepository(
  db: Db,
  deps: { clock: Clock; newId: IdGenerator },
): AdminBillingRepository {
  return {
    async tenantExists(tenantId) {
      const { Item } = await db.client.send(
        new GetCommand({
          TableName: db.tableName,
          Key: keys.tenant(tenantId),
          ConsistentRead: true,
          ProjectionExpression: 'pk',
        }),
      );
      return Item !== undefined;
    },

    billing(tenantId) {
      return readBillingRecord(db, tenantId, deps.clock().toISOString());
    },

    async invoices(tenantId, limit) {
      const items = await queryNewest(db, keys.invoicesPrefix(tenantId), 'invoices', limit);
      return items.map((item) => item as unknown as Invoice);
    },

    async credits(tenantId, limit) {
      const items = await queryNewest(db, keys.billingCreditsPrefix(tenantId), 'credits', limit);
      return items.map(({ type: _type, tenantId: _tenant, ...credit }) => credit as unknown as Credit);
    },

    async recordCredit(tenantId, credit, audit) {
      try {
        await transactWrite(db, [
          {
            item: {
              Put: {
                TableName: db.tableName,
                Item: {
                  ...keys.billingCredit(tenantId, credit.createdAt, credit.creditId),
                  type: 'billing-credit',
                  tenantId,
                  ...credit,
                },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
            onConditionFailed: () => new CreditAlreadyRecordedError(credit.creditId),
          },
          ...platformAuditSteps(db, audit, deps),
        ]);
        return true;
      } catch (error) {
        if (error instanceof CreditAlreadyRecordedError) return false;
        throw error;
      }
    },

    async audit(event) {
      await transactWrite(db, platformAuditSteps(db, event, deps));
    },
  };
}
