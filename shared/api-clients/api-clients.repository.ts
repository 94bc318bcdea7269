import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { type AuditEvent, auditStep } from '../audit/audit.writer.ts';
import type { Db } from '../db/client.ts';
import { keys } from '../db/keys.ts';
import { type Page, queryPrefixPage } from '../db/page.ts';
import { transactWrite } from '../db/transact.ts';
import { ConflictError, NotFoundError } from '../http/errors.ts';
import type { Clock, IdGenerator } from '../ids.ts';
import { withoutKeys } from '../tenancy/records.ts';
import type { TenantContext } from '../tenancy/tenant-context.ts';
import type { ApiClient } from './api-clients.schema.ts';
import type { IssuedApiKey } from './api-key.ts';

type Audit = Omit<AuditEvent, 'tenantId'>;

const gone = () => new NotFoundError('API client not found.');
const changed = () =>
  new ConflictError('The API client changed meanwhile (rotated or revoked); read it again.');

/** A tenant's API clients and their key items; only reachable through a verified {@link TenantContext}. */
export interface ApiClientRepository {
  list(page: { limit: number; cursor?: string | undefined }): Promise<Page<ApiClient>>;
  get(clientId: string): Promise<(ApiClient & { readonly keyId: string }) | undefined>;
  /** Puts the client, its key item and the audit entry in one transaction. */
  create(client: ApiClient, key: IssuedApiKey, audit: Audit): Promise<void>;
  /**
   * Replaces the client's key: the old key item is deleted and the new one put, on condition that the
   * client is active and still has `oldKeyId` (409 otherwise), with the audit entry.
   */
  rotate(
    client: ApiClient,
    oldKeyId: string,
    key: IssuedApiKey,
    rotatedAt: string,
    audit: Audit,
  ): Promise<void>;
  /** Marks the client revoked and deletes its key item, on condition that it is active, with the audit entry. */
  revoke(client: ApiClient, keyId: string, revokedAt: string, audit: Audit): Promise<void>;
}

function toClient(item: Record<string, unknown>): ApiClient & { keyId: string } {
  const { hash: _hash, ...rest } = withoutKeys(item) as Record<string, unknown>;
  return rest as ApiClient & { keyId: string };
}

export function createApiClientRepository(db: Db, deps: { clock: Clock; newId: IdGenerator }) {
  return {
    forTenant(ctx: TenantContext): ApiClientRepository {
      const { tenantId } = ctx;
      const audit = (event: Audit) => auditStep(db, { ...event, tenantId }, deps);
      /** The key item: what the authorizer needs to vouch for a key, and nothing else. */
      const keyItem = (client: ApiClient, key: IssuedApiKey) => ({
        ...keys.apiKey(key.keyId),
        type: 'api-key',
        keyId: key.keyId,
        tenantId,
        clientId: client.clientId,
        name: client.name,
        scopes: client.scopes,
        createdBy: client.createdBy,
        hash: key.hash,
      });

      return {
        async list(page) {
          const { items, nextCursor } = await queryPrefixPage(
            db,
            keys.apiClientsPrefix(tenantId),
            'api-clients',
            page,
            { consistentRead: true },
          );
          return { items: items.map(toClient), nextCursor };
        },

        async get(clientId) {
          const result = await db.client.send(
            new GetCommand({
              TableName: db.tableName,
              Key: keys.apiClient(tenantId, clientId),
              ConsistentRead: true,
            }),
          );
          return result.Item ? toClient(result.Item) : undefined;
        },

        async create(client, key, event) {
          await transactWrite(db, [
            {
              item: {
                Put: {
                  TableName: db.tableName,
                  Item: {
                    ...keys.apiClient(tenantId, client.clientId),
                    type: 'api-client',
                    ...client,
                    keyId: key.keyId,
                  },
                  ConditionExpression: 'attribute_not_exists(pk)',
                },
              },
              onConditionFailed: () => new ConflictError('An API client with this id exists; retry.'),
            },
            {
              item: {
                Put: {
                  TableName: db.tableName,
                  Item: keyItem(client, key),
                  ConditionExpression: 'attribute_not_exists(pk)',
                },
              },
              onConditionFailed: () => new ConflictError('The key id is taken; retry.'),
            },
            audit(event),
          ]);
        },

        async rotate(client, oldKeyId, key, rotatedAt, event) {
          await transactWrite(db, [
            {
              item: {
                Update: {
                  TableName: db.tableName,
                  Key: keys.apiClient(tenantId, client.clientId),
                  UpdateExpression: 'SET keyId = :new, keyPrefix = :prefix, rotatedAt = :at',
                  ConditionExpression: '#status = :active AND keyId = :old',
                  ExpressionAttributeNames: { '#status': 'status' },
                  ExpressionAttributeValues: {
                    ':new': key.keyId,
                    ':prefix': key.prefix,
                    ':at': rotatedAt,
                    ':active': 'active',
                    ':old': oldKeyId,
                  },
                },
              },
              onConditionFailed: changed,
            },
            {
              item: {
                Delete: {
                  TableName: db.tableName,
                  Key: keys.apiKey(oldKeyId),
                  ConditionExpression: 'attribute_exists(pk)',
                },
              },
              onConditionFailed: changed,
            },
            {
              item: {
                Put: {
                  TableName: db.tableName,
                  Item: keyItem(client, key),
                  ConditionExpression: 'attribute_not_exists(pk)',
                },
              },
              onConditionFailed: () => new ConflictError('The key id is taken; retry.'),
            },
            audit(event),
          ]);
        },

        async revoke(client, keyId, revokedAt, event) {
          await transactWrite(db, [
            {
              item: {
                Update: {
                  TableName: db.tableName,
                  Key: keys.apiClient(tenantId, client.clientId),
                  UpdateExpression: 'SET #status = :revoked, revokedAt = :at',
                  ConditionExpression: '#status = :active',
                  ExpressionAttributeNames: { '#status': 'status' },
                  ExpressionAttributeValues: { ':revoked': 'revoked', ':active': 'active', ':at': revokedAt },
                },
              },
              onConditionFailed: gone,
            },
            {
              item: { Delete: { TableName: db.tableName, Key: keys.apiKey(keyId) } },
            },
            audit(event),
          ]);
        },
      };
    },
  };
}

export type ApiClientRepositoryFactory = ReturnType<typeof createApiClientRepository>;
