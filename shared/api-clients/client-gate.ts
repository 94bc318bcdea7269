import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { auditStep } from '../audit/audit.writer.ts';
import type { ApiClientIdentity } from '../auth/caller.ts';
import type { Db } from '../db/client.ts';
import { keys } from '../db/keys.ts';
import type { RequestMeta } from '../http/api-handler.ts';
import { ForbiddenError, UnauthorizedError } from '../http/errors.ts';
import { type Clock, newId } from '../ids.ts';

/** `lastUsedAt` is written at most this often per client, so a busy integration costs no write per call. */
export const LAST_USED_RESOLUTION_MS = 60_000;

/**
 * Checks, where the tenant is resolved, that the API client behind the request still exists with
 * the key presented: a revoked client or a rotated-away key is refused at once (401), whatever
 * API Gateway's authorizer cache still holds. `item` is the client's item, read in the resolve's
 * BatchGet.
 */
export function assertClientCurrent(
  client: ApiClientIdentity,
  item: Record<string, unknown> | undefined,
): void {
  if (item?.status !== 'active' || item.keyId !== client.keyId) {
    throw new UnauthorizedError('This API key was revoked or rotated; use the current key.');
  }
}

/** A client whose creator no longer belongs to the tenant may do nothing there. */
export function creatorGone(): ForbiddenError {
  return new ForbiddenError(
    "This API client's creator is no longer an active member of the tenant, so the client has no permissions; create a new client.",
  );
}

/**
 * Records when the client was last used: one conditional UpdateItem when the stored time is a
 * minute old or more (a failed condition means another request already did).
 */
export async function recordClientUse(
  db: Db,
  client: ApiClientIdentity,
  item: Record<string, unknown>,
  clock: Clock,
): Promise<void> {
  const now = clock();
  const last = typeof item.lastUsedAt === 'string' ? Date.parse(item.lastUsedAt) : Number.NaN;
  if (now.getTime() - last < LAST_USED_RESOLUTION_MS) return;
  const threshold = new Date(now.getTime() - LAST_USED_RESOLUTION_MS).toISOString();
  try {
    await db.client.send(
      new UpdateCommand({
        TableName: db.tableName,
        Key: keys.apiClient(client.tenantId, client.clientId),
        UpdateExpression: 'SET lastUsedAt = :now',
        ConditionExpression:
          'attribute_exists(pk) AND (attribute_not_exists(lastUsedAt) OR lastUsedAt < :threshold)',
        ExpressionAttributeValues: { ':now': now.toISOString(), ':threshold': threshold },
      }),
    );
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
  }
}

/**
 * Audits a read an API client makes (`apiclient.read`, the route as target, the client as actor):
 * its changes are audited by the use cases that make them, in their transactions, so together every
 * call of a key is in the tenant's audit log. Written where the tenant is resolved, before the
 * route's own checks, so a refused read is recorded too.
 */
export async function auditClientRead(
  db: Db,
  tenantId: string,
  client: ApiClientIdentity,
  request: RequestMeta,
  clock: Clock,
): Promise<void> {
  if (!request.route?.startsWith('GET ')) return;
  const step = auditStep(
    db,
    {
      tenantId,
      actor: { userId: client.clientId },
      action: 'apiclient.read',
      target: { type: 'route', id: request.route },
      before: null,
      after: null,
      request,
    },
    { clock, newId },
  );
  await db.client.send(new PutCommand(step.item.Put as ConstructorParameters<typeof PutCommand>[0]));
}
