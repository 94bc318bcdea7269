import { readRetention, ttlAfterDays } from '../config/retention.ts';
import type { Db } from '../db/client.ts';
import { keys } from '../db/keys.ts';
import type { TransactStep } from '../db/transact.ts';
import type { RequestMeta } from '../http/api-handler.ts';
import type { Clock, IdGenerator } from '../ids.ts';
import type { AuditEntry } from './audit.schema.ts';

/** When an audit entry written at `now` expires by TTL: the stage's `AUDIT_RETENTION_DAYS` (about seven years by default). */
export function auditEntryTtl(now: Date): number {
  return ttlAfterDays(now, readRetention().AUDIT_RETENTION_DAYS);
}

export interface AuditEvent {
  readonly tenantId: string;
  readonly actor: {
    readonly userId: string;
    readonly email?: string | undefined;
    /** `support`: an operator acting through the admin API (shown as such in the tenant's log). */
    readonly kind?: 'support';
  };
  /**
   * Set when the actor is not a member acting for themselves (an operator through the admin API):
   * stored on the item, so the product-activity consumer does not count it as the person's activity.
   * The writer sets `impersonation` itself for a request made under impersonation, and `api_client`
   * for one made with an API key (`request.apiClient`, then also the actor).
   */
  readonly actorKind?: 'operator' | 'impersonation' | 'api_client';
  /**
   * The request; under impersonation (`request.impersonatedBy`) the entry records the operator and
   * session beside the actor (the impersonated user), whichever use case writes it.
   */
  readonly request: RequestMeta;
  /** `<noun>.<past-tense verb>`, e.g. `project.created`, `member.role-changed`. */
  readonly action: string;
  readonly target: { readonly type: string; readonly id: string };
  readonly before: Record<string, unknown> | null;
  readonly after: Record<string, unknown> | null;
  /** Why an operator did it (operators give a reason for every change). */
  readonly reason?: string;
}

/**
 * Builds the audit item as a transaction step, so a change and its audit entry are written together
 * or not at all.
 */
export function auditStep(
  db: Db,
  event: AuditEvent,
  deps: { clock: Clock; newId: IdGenerator },
): TransactStep {
  const now = deps.clock();
  const entryId = deps.newId();
  const at = now.toISOString();
  const { impersonatedBy, apiClient } = event.request;
  const actorKind = impersonatedBy ? 'impersonation' : apiClient ? 'api_client' : event.actorKind;
  // A change an API client's key made names the client as the actor, whichever use case writes it.
  const actor: AuditEntry['actor'] = apiClient
    ? { userId: apiClient.clientId, kind: 'api_client', name: apiClient.name }
    : {
        userId: event.actor.userId,
        ...(event.actor.email ? { email: event.actor.email } : {}),
        ...(event.actor.kind ? { kind: event.actor.kind } : {}),
      };
  const entry: AuditEntry = {
    entryId,
    tenantId: event.tenantId,
    at,
    actor,
    action: event.action,
    target: event.target,
    before: event.before,
    after: event.after,
    requestId: event.request.requestId,
    sourceIp: event.request.sourceIp,
    ...(event.reason === undefined ? {} : { reason: event.reason }),
    ...(impersonatedBy
      ? { impersonatedBy: { operatorId: impersonatedBy.operatorId, sessionId: impersonatedBy.sessionId } }
      : {}),
  };
  return {
    item: {
      Put: {
        TableName: db.tableName,
        Item: {
          ...keys.auditEntry(event.tenantId, at, entryId, actor.userId),
          type: 'audit',
          ...(actorKind ? { actorKind } : {}),
          ttl: auditEntryTtl(now),
          ...entry,
        },
      },
    },
  };
}
