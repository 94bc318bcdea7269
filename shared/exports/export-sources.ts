import type { QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { keys, tenantPartition } from '../db/keys.ts';

/**
 * What an export reads, as a plan of steps: each step is one paged Query (never a Scan) whose items
 * go to one file of the archive (a tenant's partition goes to one file per kind). Steps are plain
 * data, so the plan is stored with the job's cursor and a resumed worker continues the same plan.
 */
export type ExportStep =
  /** A user's own partition: profile, NPS last answer, announcement dismissals, activity markers. */
  | { readonly source: 'user-partition' }
  /** A user's memberships and roles (gsi1). */
  | { readonly source: 'memberships' }
  /** Invitations addressed to the user's email (gsi1), from every tenant. */
  | { readonly source: 'invitations-received' }
  | { readonly source: 'invitations-sent'; readonly tenantId: string }
  | { readonly source: 'audit-as-actor'; readonly tenantId: string }
  | { readonly source: 'audit-as-target'; readonly tenantId: string }
  | { readonly source: 'support-tickets'; readonly tenantId: string }
  | { readonly source: 'support-messages'; readonly tenantId: string }
  | { readonly source: 'product-events'; readonly tenantId: string }
  | { readonly source: 'emails'; readonly tenantId: string }
  /** One month's NPS answers, filtered on the user. */
  | { readonly source: 'nps-answers'; readonly month: string }
  /** Every item of a tenant's partition, in sort-key order (so each kind arrives as one run). */
  | { readonly source: 'tenant-partition'; readonly tenantId: string };

/** Whose data: the user (id and the email Cognito holds) or the tenant. */
export type ExportSubject =
  | { readonly scope: 'user'; readonly userId: string; readonly email: string }
  | { readonly scope: 'tenant'; readonly tenantId: string };

/** At most this many months of NPS answers are read for a user (one Query per month partition). */
export const MAX_NPS_MONTHS = 60;

/** The months `YYYY-MM` from `from`'s to `to`'s, oldest first, at most {@link MAX_NPS_MONTHS} (the latest). */
export function monthsBetween(from: Date, to: Date): string[] {
  const months: string[] = [];
  const cursor = new Date(Date.UTC(to.getUTCFullYear(), to.getUTCMonth(), 1));
  const first = Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), 1);
  while (cursor.getTime() >= first && months.length < MAX_NPS_MONTHS) {
    months.unshift(cursor.toISOString().slice(0, 7));
    cursor.setUTCMonth(cursor.getUTCMonth() - 1);
  }
  return months;
}

/**
 * A user's plan: their own records, then per tenant they belong to now the records about them
 * there, then their NPS answers of the months since they first joined a tenant.
 */
export function userExportPlan(tenantIds: readonly string[], months: readonly string[]): ExportStep[] {
  return [
    { source: 'user-partition' },
    { source: 'memberships' },
    { source: 'invitations-received' },
    ...tenantIds.flatMap((tenantId): ExportStep[] => [
      { source: 'invitations-sent', tenantId },
      { source: 'audit-as-actor', tenantId },
      { source: 'audit-as-target', tenantId },
      { source: 'support-tickets', tenantId },
      { source: 'support-messages', tenantId },
      { source: 'product-events', tenantId },
      { source: 'emails', tenantId },
    ]),
    ...months.map((month): ExportStep => ({ source: 'nps-answers', month })),
  ];
}

export function tenantExportPlan(tenantId: string): ExportStep[] {
  return [{ source: 'tenant-partition', tenantId }];
}

type QueryShape = Omit<QueryCommandInput, 'TableName' | 'ExclusiveStartKey' | 'Limit'>;

const byPartition = (pk: string): QueryShape => ({
  KeyConditionExpression: 'pk = :pk',
  ExpressionAttributeValues: { ':pk': pk },
});
const byPrefix = ({ pk, skPrefix }: { pk: string; skPrefix: string }): QueryShape => ({
  KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
  ExpressionAttributeValues: { ':pk': pk, ':prefix': skPrefix },
});
const withFilter = (
  shape: QueryShape,
  filter: string,
  names: Record<string, string>,
  values: Record<string, unknown>,
): QueryShape => ({
  ...shape,
  FilterExpression: filter,
  ExpressionAttributeNames: { ...shape.ExpressionAttributeNames, ...names },
  ExpressionAttributeValues: { ...shape.ExpressionAttributeValues, ...values },
});

/** The Query of a step (the worker adds the table, the page size and the cursor). */
export function queryOf(step: ExportStep, subject: ExportSubject): QueryShape {
  if (step.source === 'tenant-partition') return byPartition(tenantPartition(step.tenantId));
  if (subject.scope !== 'user') throw new Error(`Step ${step.source} belongs to a user export`);
  const { userId, email } = subject;
  switch (step.source) {
    case 'user-partition':
      return byPartition(keys.userPartition(userId).pk);
    case 'memberships': {
      const index = keys.membershipsOfUser(userId);
      return {
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :pk AND begins_with(gsi1sk, :prefix)',
        ExpressionAttributeValues: { ':pk': index.gsi1pk, ':prefix': index.gsi1skPrefix },
      };
    }
    case 'invitations-received': {
      const index = keys.invitationsForEmail(email);
      return {
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :pk AND begins_with(gsi1sk, :prefix)',
        ExpressionAttributeValues: { ':pk': index.gsi1pk, ':prefix': index.gsi1skPrefix },
      };
    }
    case 'invitations-sent':
      return withFilter(
        byPrefix(keys.invitationsPrefix(step.tenantId)),
        'invitedBy = :user',
        {},
        { ':user': userId },
      );
    case 'audit-as-actor':
      return {
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :pk',
        ExpressionAttributeValues: { ':pk': keys.auditByActor(step.tenantId, userId).gsi1pk },
      };
    case 'audit-as-target': {
      const range = keys.auditRange(step.tenantId);
      // Entries they also acted in are in audit-as-actor already.
      return {
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
        FilterExpression: '#target.#id = :user AND #actor.#userId <> :user',
        ExpressionAttributeNames: {
          '#target': 'target',
          '#id': 'id',
          '#actor': 'actor',
          '#userId': 'userId',
        },
        ExpressionAttributeValues: {
          ':pk': range.pk,
          ':from': range.skFrom,
          ':to': range.skTo,
          ':user': userId,
        },
      };
    }
    case 'support-tickets':
      return withFilter(
        byPrefix(keys.supportTicketsPrefix(step.tenantId)),
        'requesterUserId = :user',
        {},
        { ':user': userId },
      );
    case 'support-messages':
      return withFilter(
        byPrefix(keys.supportMessagesOfTenant(step.tenantId)),
        '#author.#userId = :user',
        { '#author': 'author', '#userId': 'userId' },
        { ':user': userId },
      );
    case 'product-events':
      return byPrefix(keys.productEventsOfUser(step.tenantId, userId));
    case 'emails':
      return withFilter(
        byPrefix(keys.communicationsPrefix(step.tenantId)),
        '#kind = :email AND contains(#to, :address)',
        { '#kind': 'kind', '#to': 'to' },
        { ':email': 'email', ':address': email.toLowerCase() },
      );
    case 'nps-answers':
      return withFilter(
        byPartition(keys.npsAnswersOfMonth(step.month).pk),
        'userId = :user',
        {},
        { ':user': userId },
      );
  }
}

/** A tenant item's kind: its sort key up to the first `#` (`AUDIT#…` → `AUDIT`, `BILLING` → `BILLING`). */
export function kindOfSortKey(sk: string): string {
  const hash = sk.indexOf('#');
  return hash === -1 ? sk : sk.slice(0, hash);
}

/** Kinds of a tenant's partition that are not the tenant's data but the export machinery's own. */
export const SKIPPED_TENANT_KINDS: ReadonlySet<string> = new Set(['EXPORT']);

/**
 * The archive file (without `.json`) an item of a step goes to. A tenant's kinds become
 * lower-case file names (`AUDIT` → `audit`, `SUPPORT_MSG` → `support-msg`).
 */
export function fileOf(step: ExportStep, item: Record<string, unknown>): string {
  switch (step.source) {
    case 'tenant-partition':
      return kindOfSortKey(String(item.sk)).toLowerCase().replace(/_/g, '-');
    case 'user-partition':
      return 'profile';
    case 'memberships':
    case 'invitations-received':
      return step.source;
    case 'nps-answers':
      return 'nps-answers';
    default:
      return `tenants/${step.tenantId}/${step.source}`;
  }
}
