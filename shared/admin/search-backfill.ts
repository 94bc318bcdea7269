import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { QueryCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Db } from '../db/client.ts';
import { keys, searchTerm } from '../db/keys.ts';

export interface BackfillResult {
  /** Tenants, slug claims and owners' memberships given their search entry. */
  readonly searchEntries: number;
  /** Profiles written or completed from memberships. */
  readonly profiles: number;
  /** Platform audit entries given their operator and tenant index entries. */
  readonly auditEntries: number;
}

type Item = Record<string, unknown>;

/**
 * A one-off migration for data written before the operators' search existed: gives tenants, slug
 * claims and owners' memberships their gsi2 search entry, writes each member's profile (email and
 * search entry; an existing suspension or sign-in stays), and indexes the platform audit entries
 * by operator and tenant. It Scans the table once, filtered to those item types (a migration, never
 * a request path), and Queries the platform audit partition. Every write is an UpdateItem on
 * condition that the item still exists (no deleted item comes back), setting what the live writes
 * set, so running it twice, or while the API runs, is safe.
 */
export async function backfillSearchIndex(db: Db): Promise<BackfillResult> {
  let searchEntries = 0;
  let profiles = 0;
  let auditEntries = 0;

  /** Sets `values` on condition that the item exists and still holds `unchanged` (what was read). */
  const setIfExists = async (
    key: { pk: string; sk: string },
    values: Record<string, string>,
    unchanged: Record<string, string> = {},
  ) => {
    const names = Object.keys(values);
    const held = Object.keys(unchanged);
    try {
      await db.client.send(
        new UpdateCommand({
          TableName: db.tableName,
          Key: key,
          UpdateExpression: `SET ${names.map((_, i) => `#a${i} = :v${i}`).join(', ')}`,
          ConditionExpression: ['attribute_exists(pk)', ...held.map((_, i) => `#c${i} = :c${i}`)].join(
            ' AND ',
          ),
          ExpressionAttributeNames: {
            ...Object.fromEntries(names.map((n, i) => [`#a${i}`, n])),
            ...Object.fromEntries(held.map((n, i) => [`#c${i}`, n])),
          },
          ExpressionAttributeValues: {
            ...Object.fromEntries(names.map((n, i) => [`:v${i}`, values[n]])),
            ...Object.fromEntries(held.map((n, i) => [`:c${i}`, unchanged[n]])),
          },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  };

  const writeProfile = async (member: Item) => {
    const email = String(member.email);
    const entry = keys.userSearchEntry(searchTerm(email), String(member.userId));
    await db.client.send(
      new UpdateCommand({
        TableName: db.tableName,
        Key: keys.userProfile(String(member.userId)),
        UpdateExpression:
          'SET #type = :type, userId = :userId, email = :email, gsi2pk = :g2pk, gsi2sk = :g2sk, createdAt = if_not_exists(createdAt, :joinedAt)',
        ExpressionAttributeNames: { '#type': 'type' },
        ExpressionAttributeValues: {
          ':type': 'user-profile',
          ':userId': member.userId,
          ':email': email,
          ':g2pk': entry.gsi2pk,
          ':g2sk': entry.gsi2sk,
          ':joinedAt': member.joinedAt,
        },
      }),
    );
  };

  let startKey: Item | undefined;
  do {
    const page = await db.client.send(
      new ScanCommand({
        TableName: db.tableName,
        FilterExpression: '#type IN (:tenant, :slug, :member)',
        ExpressionAttributeNames: { '#type': 'type' },
        ExpressionAttributeValues: { ':tenant': 'tenant', ':slug': 'tenant-slug', ':member': 'member' },
        ExclusiveStartKey: startKey,
      }),
    );
    for (const item of page.Items ?? []) {
      const key = { pk: String(item.pk), sk: String(item.sk) };
      const tenantId = String(item.tenantId);
      if (item.type === 'tenant') {
        const name = String(item.name);
        // A rename meanwhile wrote its own entry: keep it.
        if (await setIfExists(key, keys.tenantSearchEntry(searchTerm(name), tenantId), { name }))
          searchEntries++;
      } else if (item.type === 'tenant-slug') {
        const slug = key.pk.slice('SLUG#'.length);
        if (await setIfExists(key, keys.tenantSearchEntry(searchTerm(slug), tenantId))) searchEntries++;
      } else {
        if (item.role === 'owner') {
          const entry = keys.tenantSearchEntry(searchTerm(String(item.email)), tenantId);
          // A demotion meanwhile removed the entry: only an owner still gets it.
          if (await setIfExists(key, entry, { role: 'owner' })) searchEntries++;
        }
        await writeProfile(item);
        profiles++;
      }
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey);

  startKey = undefined;
  do {
    const page: { Items?: Item[]; LastEvaluatedKey?: Item } = await db.client.send(
      new QueryCommand({
        TableName: db.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': keys.platformAuditEntry('', '').pk },
        ExclusiveStartKey: startKey,
      }),
    );
    for (const item of page.Items ?? []) {
      const at = String(item.at);
      const entryId = String(item.entryId);
      const values: Record<string, string> = {
        ...keys.platformAuditByOperator(String(item.operatorId), at, entryId),
        ...(typeof item.tenantId === 'string' ? keys.platformAuditByTenant(item.tenantId, at, entryId) : {}),
      };
      if (await setIfExists({ pk: String(item.pk), sk: String(item.sk) }, values)) auditEntries++;
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey);

  return { searchEntries, profiles, auditEntries };
}
