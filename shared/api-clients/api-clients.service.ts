import type { Page } from '../db/page.ts';
import { NotFoundError } from '../http/errors.ts';
import type { Clock, IdGenerator } from '../ids.ts';
import { authorize, type TenantContext } from '../tenancy/tenant-context.ts';
import type { ApiClientRepositoryFactory } from './api-clients.repository.ts';
import type { ApiClient, CreateApiClientInput, IssuedApiClient } from './api-clients.schema.ts';
import { type IssuedApiKey, issueApiKey } from './api-key.ts';

export interface ApiClientServiceDeps {
  readonly clients: ApiClientRepositoryFactory;
  readonly clock: Clock;
  readonly newId: IdGenerator;
  /** @default issueApiKey (crypto random) */
  readonly issueKey?: () => IssuedApiKey;
}

/**
 * A tenant's API clients (integrations): tenant admins (`api-clients:manage`) create, list, rotate
 * and revoke them; each change is audited. Keys are shown once, stored as hashes.
 */
export function createApiClientService({
  clients,
  clock,
  newId,
  issueKey = issueApiKey,
}: ApiClientServiceDeps) {
  const actor = (ctx: TenantContext) => ({ userId: ctx.caller.userId, email: ctx.member.email });

  async function find(ctx: TenantContext, clientId: string) {
    const client = await clients.forTenant(ctx).get(clientId);
    if (!client) throw new NotFoundError('API client not found.');
    return client;
  }

  return {
    async create(ctx: TenantContext, input: CreateApiClientInput): Promise<IssuedApiClient> {
      authorize(ctx, 'api-clients:manage');
      const key = issueKey();
      const client: ApiClient = {
        clientId: newId(),
        tenantId: ctx.tenantId,
        name: input.name,
        scopes: input.scopes,
        keyPrefix: key.prefix,
        status: 'active',
        createdBy: ctx.caller.userId,
        createdAt: clock().toISOString(),
      };
      await clients.forTenant(ctx).create(client, key, {
        actor: actor(ctx),
        request: ctx.request,
        action: 'apiclient.created',
        target: { type: 'api-client', id: client.clientId },
        before: null,
        after: client,
      });
      return { ...client, key: key.key };
    },

    async list(
      ctx: TenantContext,
      page: { limit: number; cursor?: string | undefined },
    ): Promise<Page<ApiClient>> {
      authorize(ctx, 'api-clients:manage');
      return clients.forTenant(ctx).list(page);
    },

    /** A new key, shown once; the old one stops working at once (no overlap: see README). */
    async rotate(ctx: TenantContext, clientId: string): Promise<IssuedApiClient> {
      authorize(ctx, 'api-clients:manage');
      const { keyId, ...current } = await find(ctx, clientId);
      if (current.status !== 'active') throw new NotFoundError('API client not found.');
      const key = issueKey();
      const rotatedAt = clock().toISOString();
      const rotated: ApiClient = { ...current, keyPrefix: key.prefix, rotatedAt };
      await clients.forTenant(ctx).rotate(current, keyId, key, rotatedAt, {
        actor: actor(ctx),
        request: ctx.request,
        action: 'apiclient.key-rotated',
        target: { type: 'api-client', id: clientId },
        before: { keyPrefix: current.keyPrefix },
        after: { keyPrefix: key.prefix },
      });
      return { ...rotated, key: key.key };
    },

    async revoke(ctx: TenantContext, clientId: string): Promise<void> {
      authorize(ctx, 'api-clients:manage');
      const { keyId, ...current } = await find(ctx, clientId);
      if (current.status !== 'active') throw new NotFoundError('API client not found.');
      await clients.forTenant(ctx).revoke(current, keyId, clock().toISOString(), {
        actor: actor(ctx),
        request: ctx.request,
        action: 'apiclient.revoked',
        target: { type: 'api-client', id: clientId },
        before: { status: 'active', keyPrefix: current.keyPrefix },
        after: { status: 'revoked' },
      });
    },
  };
}
