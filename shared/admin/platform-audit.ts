import { auditEntryTtl, auditStep } from '../audit/audit.writer.ts';
import type { Db } from '../db/client.ts';
import { keys } from '../db/keys.ts';
import type { TransactStep } from '../db/transact.ts';
import type { RequestMeta } from '../http/api-handler.ts';
import type { Clock, IdGenerator } from '../ids.ts';

/** One change an operator made, as the platform audit log records it. */
export interface PlatformAuditEvent {
  readonly operatorId: string;
  /** `<noun>.<past-tense verb>`, e.g. `user.suspended`, `billing.credit-created`. */
  readonly action: string;
  /**
   * What was acted on. With `tenantId`, the entry also appears in that tenant's own audit log as a
   * support action; `userId` names the person acted on, if any.
   */
  readonly target: {
    readonly type: string;
    readonly id: string;
    readonly tenantId?: string | undefined;
    readonly userId?: string | undefined;
  };
  readonly before: Record<string, unknown> | null;
  readonly after: Record<string, unknown> | null;
  /** Why: required of every operator change except data entry such as acquisition spend. */
  readonly reason: string | null;
  readonly request: RequestMeta;
}

/**
 * The platform audit entry of an operator's change, plus its copy in the affected tenant's audit log,
 * as transaction steps: written with the change or not at all.
 */
export function platformAuditSteps(
  db: Db,
  event: PlatformAuditEvent,
  deps: { clock: Clock; newId: IdGenerator },
): TransactStep[] {
  const now = deps.clock();
  const at = now.toISOString();
  const entryId = deps.newId();
  const { tenantId, userId, ...target } = event.target;
  const steps: TransactStep[] = [
    {
      item: {
        Put: {
          TableName: db.tableName,
          Item: {
            ...keys.platformAuditEntry(at, entryId),
            // GET /admin/audit-log reads an operator's entries on gsi1, a tenant's on gsi2.
            ...keys.platformAuditByOperator(event.operatorId, at, entryId),
            ...(tenantId ? keys.platformAuditByTenant(tenantId, at, entryId) : {}),
            type: 'platform-audit',
            entryId,
            at,
            operatorId: event.operatorId,
            action: event.action,
            target: event.target,
            ...(tenantId ? { tenantId } : {}),
            ...(userId ? { userId } : {}),
            before: event.before,
            after: event.after,
            reason: event.reason,
            requestId: event.request.requestId,
            sourceIp: event.request.sourceIp,
            ttl: auditEntryTtl(now),
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
    },
  ];
  if (tenantId) {
    steps.push(
      auditStep(
        db,
        {
          tenantId,
          actor: { userId: event.operatorId, kind: 'support' },
          actorKind: 'operator',
          request: event.request,
          action: event.action,
          target,
          before: event.before,
          after: event.after,
          ...(event.reason === null ? {} : { reason: event.reason }),
        },
        { clock: () => now, newId: () => entryId },
      ),
    );
  }
  return steps;
}
