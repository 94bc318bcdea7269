import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Db } from '../db/client.ts';
import { type CursorBinding, decodeCursor, encodeCursor } from '../db/cursor.ts';
import { keys, searchTerm } from '../db/keys.ts';
import type { Page } from '../db/page.ts';
import { ID_PATTERN } from '../ids.ts';
import type { TenantMatch, TenantSearchQuery, UserMatch, UserSearchQuery } from './accounts.schema.ts';
import { batchRead, keyOf } from './batch-read.ts';

const SEARCH_INDEX = 'gsi2';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** One page of the search index entries whose term starts with `prefix` (gsi2, term order). */
async function querySearch(
  db: Db,
  index: { gsi2pk: string; gsi2skPrefix: string },
  scope: string,
  page: { limit: number; cursor?: string | undefined },
): Promise<{ items: Record<string, unknown>[]; nextCursor?: string | undefined }> {
  const binding: CursorBinding = { partition: index.gsi2pk, scope };
  const result = await db.client.send(
    new QueryCommand({
      TableName: db.tableName,
      IndexName: SEARCH_INDEX,
      KeyConditionExpression: 'gsi2pk = :pk AND begins_with(gsi2sk, :prefix)',
      ExpressionAttributeValues: { ':pk': index.gsi2pk, ':prefix': index.gsi2skPrefix },
      Limit: page.limit,
      ExclusiveStartKey: decodeCursor(page.cursor, binding, 'gsi2pk', {
        from: index.gsi2skPrefix,
        to: `${index.gsi2skPrefix}\u{10ffff}`,
      }),
    }),
  );
  return { items: result.Items ?? [], nextCursor: encodeCursor(result.LastEvaluatedKey, binding) };
}

const matchedOnByType: Record<string, TenantMatch['matchedOn']> = {
  tenant: 'name',
  'tenant-slug': 'slug',
  member: 'ownerEmail',
};

/**
 * The operators' search: Query on the search index (gsi2), never a Scan. Terms are stored
 * lower-cased, so `q` is lower-cased the same way and matched as a prefix.
 */
export function createSearchRepository(db: Db) {
  return {
    /**
     * Tenants whose name, slug or an owner's email starts with `q` (one index partition holds all
     * three, each entry on its own item: the tenant, its slug claim, the owner's membership), plus
     * the tenant whose id is `q` on the first page. A tenant that matches on several keys is listed
     * once per key (`matchedOn` says which). `plan` and `status` filter after reading: the tenants
     * and billing items of the page are read in one BatchGet, so a page may be short.
     */
    async searchTenants(query: TenantSearchQuery): Promise<Page<TenantMatch>> {
      const term = searchTerm(query.q);
      const index = keys.tenantSearch(term);
      const scope = JSON.stringify(['tenant-search', term, query.plan ?? null, query.status ?? null]);
      const page = await querySearch(db, index, scope, query);
      const hits: { tenantId: string; matchedOn: TenantMatch['matchedOn']; ownerEmail?: string }[] = [];
      if (query.cursor === undefined && ID_PATTERN.test(query.q.trim())) {
        hits.push({ tenantId: query.q.trim(), matchedOn: 'id' });
      }
      for (const item of page.items) {
        const matchedOn = matchedOnByType[String(item.type)];
        if (!matchedOn || typeof item.tenantId !== 'string') continue;
        hits.push({
          tenantId: item.tenantId,
          matchedOn,
          ...(matchedOn === 'ownerEmail' ? { ownerEmail: String(item.email) } : {}),
        });
      }
      const found = await batchRead(
        db,
        hits.flatMap((h) => [keys.tenant(h.tenantId), keys.billing(h.tenantId)]),
      );
      const items = hits.flatMap((hit): TenantMatch[] => {
        const tenant = found.get(keyOf(keys.tenant(hit.tenantId)));
        if (!tenant) return [];
        const billing = found.get(keyOf(keys.billing(hit.tenantId)));
        const match: TenantMatch = {
          tenantId: hit.tenantId,
          name: String(tenant.name),
          slug: String(tenant.slug),
          status: tenant.status as TenantMatch['status'],
          plan: (billing?.plan as TenantMatch['plan'] | undefined) ?? 'free',
          createdAt: String(tenant.createdAt),
          matchedOn: hit.matchedOn,
          ...(hit.ownerEmail ? { ownerEmail: hit.ownerEmail } : {}),
        };
        if (query.plan && match.plan !== query.plan) return [];
        if (query.status && match.status !== query.status) return [];
        return [match];
      });
      return { items, nextCursor: page.nextCursor };
    },

    /**
     * Users whose email starts with `q` (their profiles' search entries), plus the user whose id is
     * `q` on the first page. Only users with a profile are found: one is written with every
     * membership (and suspension or sign-in), so a user who never joined a tenant and never called a
     * tenant route is found by id in the user detail route only.
     */
    async searchUsers(query: UserSearchQuery): Promise<Page<UserMatch>> {
      const term = searchTerm(query.q);
      const page = await querySearch(db, keys.userSearch(term), JSON.stringify(['user-search', term]), query);
      const items: UserMatch[] = page.items.map((item) => matchOf(item, 'email'));
      if (query.cursor === undefined && UUID.test(query.q.trim())) {
        const byId = await db.client.send(
          new GetCommand({ TableName: db.tableName, Key: keys.userProfile(query.q.trim().toLowerCase()) }),
        );
        if (byId.Item) items.unshift(matchOf(byId.Item, 'id'));
      }
      return { items, nextCursor: page.nextCursor };
    },
  };
}

function matchOf(item: Record<string, unknown>, matchedOn: UserMatch['matchedOn']): UserMatch {
  return {
    userId: String(item.userId),
    email: typeof item.email === 'string' ? item.email : null,
    status: item.status === 'suspended' ? 'suspended' : 'active',
    lastSignInAt: typeof item.lastSignInAt === 'string' ? item.lastSignInAt : null,
    matchedOn,
  };
}

export type SearchRepository = ReturnType<typeof createSearchRepository>;
