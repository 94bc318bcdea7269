import { BatchGetCommand } from '@aws-sdk/lib-dynamodb';
import type { Db } from '../db/client.ts';
import { keys } from '../db/keys.ts';
import { transactWrite } from '../db/transact.ts';
import type { Clock, IdGenerator } from '../ids.ts';
import { type PlatformAuditEvent, platformAuditSteps } from './platform-audit.ts';

/**
 * What the operators' API reads and writes of a tenant. Operators are not members, so these take
 * a tenant id rather than a TenantContext: only use cases that have checked `caller.platformAdmin`
 * may call them.
 */
export interface AdminRepository {
  /**
   * Whether the tenant exists (deleted tenants too: their data and payment history are kept) and
   * whether the charge is one of its payments (the charge locator the invoice mirror writes).
   * One strongly consistent read.
   */
  findTenantCharge(tenantId: string, chargeId: string): Promise<{ tenant: boolean; charge: boolean }>;
  /** Writes an operator's action to the platform audit log (and the target tenant's, as support). */
  audit(event: PlatformAuditEvent): Promise<void>;
}

export function createAdminRepository(db: Db, deps: { clock: Clock; newId: IdGenerator }): AdminRepository {
  return {
    async findTenantCharge(tenantId, chargeId) {
      const tenantKey = keys.tenant(tenantId);
      const chargeKey = keys.chargeLocator(tenantId, chargeId);
      const result = await db.client.send(
        new BatchGetCommand({
          RequestItems: {
            [db.tableName]: {
              Keys: [tenantKey, chargeKey],
              ConsistentRead: true,
              ProjectionExpression: 'pk, sk',
            },
          },
        }),
      );
      if (Object.keys(result.UnprocessedKeys ?? {}).length > 0) {
        throw new Error('DynamoDB left keys unprocessed; the request can be retried.');
      }
      const items = result.Responses?.[db.tableName] ?? [];
      return {
        tenant: items.some((i) => i.sk === tenantKey.sk),
        charge: items.some((i) => i.sk === chargeKey.sk),
      };
    },

    async audit(event) {
      await transactWrite(db, platformAuditSteps(db, event, deps));
    },
  };
}
