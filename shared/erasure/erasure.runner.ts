import { GetCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { personalHashOf } from '../audit/audit-chain.ts';
import { entryOfItem } from '../audit/audit-digest.ts';
import type { SubscriptionStatus } from '../billing/billing.schema.ts';
import { counterStep } from '../billing/limits.ts';
import { isLiveStatus } from '../billing/subscription-status.ts';
import type { Db } from '../db/client.ts';
import { keys } from '../db/keys.ts';
import { queryItems } from '../db/query-items.ts';
import type { TransactStep } from '../db/transact.ts';
import { transactWrite } from '../db/transact.ts';
import { ConflictError } from '../http/errors.ts';
import type { Clock } from '../ids.ts';
import { LAST_OWNER_MESSAGE, memberLeftStep } from '../members/members.records.ts';
import type { Member } from '../members/members.schema.ts';
import { isLastStepUsingEmail, remainingSteps } from './erasure.plan.ts';
import type {
  ExportArchiveEraser,
  StripeCustomerEraser,
  TenantSsoEraser,
  UserPoolEraser,
  WarehouseRedactor,
} from './erasure.ports.ts';
import type { ErasureStep } from './erasure.schema.ts';
import {
  cursorOf,
  type ErasureStore,
  type StoredReport,
  type TenantWork,
  type UserWork,
} from './erasure.store.ts';
import { type PersonalValues, pseudonymOf, replacePersonal } from './pseudonym.ts';
import { eraseTenantSso } from './tenant-sso.step.ts';
import {
  DEFAULT_WAREHOUSE_BUDGET_MS,
  DEFAULT_WAREHOUSE_SETTLE_SECONDS,
  runWarehouseStep,
  type WarehouseStepResult,
} from './warehouse-step.ts';

/**
 * Runs erasures as recorded steps (README "Erasure"). Each step is idempotent: what it already did
 * is no longer found by its query (deleted, or already pseudonymised), and it writes in batches, each
 * one transaction with its counts on the report, so a crash mid-step loses nothing and a re-run
 * neither repeats nor double-counts. A finished step is recorded on the report and skipped by a
 * re-run; a finished erasure is a no-op.
 */

export interface ErasureRunnerDeps {
  readonly db: Db;
  readonly store: ErasureStore;
  readonly clock: Clock;
  /** The stage's pseudonym key (shared/erasure/erasure.env.ts). */
  readonly pseudonymKey: string;
  readonly userPool: UserPoolEraser;
  readonly stripe: StripeCustomerEraser;
  /** Absent where no exports bucket exists (EXPORTS_BUCKET_NAME unset): the step says so. */
  readonly exports?: ExportArchiveEraser | undefined;
  /** A purged tenant's SSO provider and client secret; absent, the `sso-provider` step says so. */
  readonly sso?: TenantSsoEraser | undefined;
  /** The product warehouse (WAREHOUSE_BUCKET_NAME); absent: the `warehouse` step is skipped, saying so. */
  readonly warehouse?: WarehouseRedactor | undefined;
  /**
   * How long after the table's copies are deleted the `warehouse` step waits for late Firehose
   * deliveries (shared/erasure/warehouse-step.ts). @default Firehose's buffer + 15 minutes
   */
  readonly warehouseSettleMs?: number;
  /** How long one run spends on the `warehouse` step before it yields. @default 5 minutes */
  readonly warehouseBudgetMs?: number;
  /** Called after each finished step (tests inject a crash here). */
  readonly afterStep?: (erasureId: string, step: ErasureStep) => void | Promise<void>;
  /** How long a run holds an erasure before another may resume it. @default 10 minutes */
  readonly leaseMs?: number;
}

/** Writes per transaction (plus the report's counts): well inside DynamoDB's 100. */
const BATCH = 25;

/** `deferred`: a step said "not yet" (or yielded); the erasure waits, claimed by no run, until then. */
export type RunOutcome = 'completed' | 'blocked' | 'deferred' | 'not-claimed';

/** A step that cannot proceed: the erasure stops as `blocked` with this reason. */
class StepRefusedError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'StepRefusedError';
  }
}

/** What a step reports as it finishes (or, the warehouse's, that it must wait). */
export type StepResult =
  | { readonly status: 'done' | 'skipped'; readonly note?: string }
  | WarehouseStepResult;

/** What a step may know of the run: when earlier steps finished, and the report's cursors. */
interface RunState {
  readonly report: StoredReport;
  /** When each finished step finished (ISO), this run's included. */
  readonly finishedAt: Map<string, string>;
}

const prefixQuery = (pk: string, skPrefix?: string): Omit<QueryCommandInput, 'TableName'> => ({
  KeyConditionExpression: skPrefix === undefined ? 'pk = :pk' : 'pk = :pk AND begins_with(sk, :prefix)',
  ExpressionAttributeValues: { ':pk': pk, ...(skPrefix === undefined ? {} : { ':prefix': skPrefix }) },
  ConsistentRead: true,
});

/** The months (`YYYY-MM`) from `since` through `now`, inclusive. */
export function monthsBetween(since: string, now: Date): string[] {
  const months: string[] = [];
  const cursor = new Date(`${since.slice(0, 7)}-01T00:00:00.000Z`);
  const last = now.toISOString().slice(0, 7);
  for (let month = cursor.toISOString().slice(0, 7); month <= last; ) {
    months.push(month);
    cursor.setUTCMonth(cursor.getUTCMonth() + 1);
    month = cursor.toISOString().slice(0, 7);
  }
  return months;
}

const stripKeys = (item: Record<string, unknown>) => {
  const { pk: _pk, sk: _sk, gsi1pk: _a, gsi1sk: _b, gsi2pk: _c, gsi2sk: _d, ...rest } = item;
  return rest;
};

/** The kind a tenant item is counted as in a report: its sort key's first segment. */
const kindOfSortKey = (sk: string) => (sk.split('#')[0] ?? sk).toLowerCase().replaceAll('_', '-');

export function createErasureRunner(deps: ErasureRunnerDeps) {
  const { db, store } = deps;
  const leaseMs = deps.leaseMs ?? 10 * 60_000;

  /** Writes changes in batches, each in one transaction with its counts on the report. */
  function batcher(erasureId: string, step: ErasureStep) {
    let pending: { write: TransactStep; kind: string }[] = [];
    const flush = async () => {
      if (pending.length === 0) return;
      const counts: Record<string, number> = {};
      for (const change of pending) counts[change.kind] = (counts[change.kind] ?? 0) + 1;
      const batch = pending;
      pending = [];
      await transactWrite(db, [...batch.map((c) => c.write), store.progressStep(erasureId, step, counts)]);
    };
    return {
      async add(write: TransactStep, kind: string) {
        pending.push({ write, kind });
        if (pending.length >= BATCH) await flush();
      },
      flush,
      /** One change that must be written on its own (a transaction of several items). */
      async single(writes: readonly TransactStep[], kind: string) {
        await flush();
        await transactWrite(db, [...writes, store.progressStep(erasureId, step, { [kind]: 1 })]);
      },
    };
  }

  const deleteStep = (key: { pk: unknown; sk: unknown }): TransactStep => ({
    item: { Delete: { TableName: db.tableName, Key: { pk: key.pk, sk: key.sk } } },
  });
  /** Replaces an item that must still exist (so an item expired meanwhile is not re-created). */
  const replaceStep = (item: Record<string, unknown>): TransactStep => ({
    item: { Put: { TableName: db.tableName, Item: item, ConditionExpression: 'attribute_exists(pk)' } },
  });

  /**
   * Rewrites the attributes of `item` that hold the person (not its keys) with one conditional
   * UpdateItem: each changed attribute only if it still holds what was read, so a concurrent change
   * (a counter on the tenant item) is never overwritten; undefined when nothing holds the person.
   */
  const rewriteStep = (item: Record<string, unknown>, personal: PersonalValues): TransactStep | undefined => {
    const body = stripKeys(item);
    const replaced = replacePersonal(body, personal);
    if (replaced === body) return undefined;
    const changed = Object.keys(body).filter((name) => replaced[name] !== body[name]);
    const names = Object.fromEntries(changed.map((name, index) => [`#a${index}`, name]));
    const values: Record<string, unknown> = {};
    changed.forEach((name, index) => {
      values[`:new${index}`] = replaced[name];
      values[`:old${index}`] = body[name];
    });
    return {
      item: {
        Update: {
          TableName: db.tableName,
          Key: { pk: item.pk, sk: item.sk },
          UpdateExpression: `SET ${changed.map((_, index) => `#a${index} = :new${index}`).join(', ')}`,
          ConditionExpression: changed.map((_, index) => `#a${index} = :old${index}`).join(' AND '),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        },
      },
    };
  };

  async function getItem(key: { pk: string; sk: string }) {
    const { Item } = await db.client.send(
      new GetCommand({ TableName: db.tableName, Key: key, ConsistentRead: true }),
    );
    return Item;
  }

  // --- a user's erasure ------------------------------------------------------------------------

  /** The `warehouse` step of either kind (its work: shared/erasure/warehouse-step.ts). */
  const warehouseStep = (
    erasureId: string,
    state: RunState,
    match: { field: 'user_id' | 'tenant_id'; value: string },
    copiesDeletedBy: ErasureStep,
    since?: Date,
  ) =>
    runWarehouseStep({
      redactor: deps.warehouse,
      match,
      erasureId,
      copiesDeletedAt: state.finishedAt.get(copiesDeletedBy),
      settleMs: deps.warehouseSettleMs ?? DEFAULT_WAREHOUSE_SETTLE_SECONDS * 1000,
      budgetMs: deps.warehouseBudgetMs ?? DEFAULT_WAREHOUSE_BUDGET_MS,
      clock: deps.clock,
      cursor: cursorOf(state.report, 'warehouse'),
      since,
      record: (counts, cursor) =>
        transactWrite(db, [store.progressStep(erasureId, 'warehouse', counts, cursor)]),
    });

  function userSteps(erasureId: string, work: UserWork, state: RunState) {
    const pseudonym = pseudonymOf(deps.pseudonymKey, 'user', work.userId);
    const personal = { userId: work.userId, email: work.email, pseudonym };
    const now = () => deps.clock();

    return {
      async 'cognito-user'(): Promise<StepResult> {
        const deleted = await deps.userPool.deleteUser(work.userId);
        await transactWrite(db, [store.progressStep(erasureId, 'cognito-user', { 'cognito-user': 1 })]);
        return deleted
          ? { status: 'done' }
          : { status: 'done', note: 'the user pool no longer had the user' };
      },

      async memberships(): Promise<StepResult> {
        const writes = batcher(erasureId, 'memberships');
        const memberships = keys.membershipsOfUser(work.userId);
        for await (const item of queryItems(db, {
          IndexName: 'gsi1',
          KeyConditionExpression: 'gsi1pk = :pk AND begins_with(gsi1sk, :prefix)',
          ExpressionAttributeValues: { ':pk': memberships.gsi1pk, ':prefix': memberships.gsi1skPrefix },
        })) {
          const member = item as unknown as Member;
          const tenant = await getItem(keys.tenant(member.tenantId));
          const { gsi1pk: _g, gsi1sk: _s, ...memberKey } = keys.member(member.tenantId, member.userId);
          const live = tenant !== undefined && tenant.status !== 'deleted';
          await writes.single(
            [
              {
                item: {
                  Delete: {
                    TableName: db.tableName,
                    Key: memberKey,
                    ConditionExpression: 'attribute_exists(pk)',
                  },
                },
                onConditionFailed: () => new ConflictError('The membership changed meanwhile; retried.'),
              },
              {
                item: {
                  Delete: { TableName: db.tableName, Key: keys.memberEmail(member.tenantId, member.email) },
                },
              },
              // A deleted tenant's counters no longer matter (it is purged later); a live one's stay right.
              ...(live ? [memberLeftStep(db, member.tenantId, member.role)] : []),
            ],
            'membership',
          );
        }
        return { status: 'done' };
      },

      async invitations(): Promise<StepResult> {
        if (!work.email) return { status: 'skipped', note: 'no email known for the user' };
        const writes = batcher(erasureId, 'invitations');
        const index = keys.invitationsForEmail(work.email);
        for await (const item of queryItems(db, {
          IndexName: 'gsi1',
          KeyConditionExpression: 'gsi1pk = :pk AND begins_with(gsi1sk, :prefix)',
          ExpressionAttributeValues: { ':pk': index.gsi1pk, ':prefix': index.gsi1skPrefix },
        })) {
          const tenantId = String(item.tenantId);
          const invitationId = String(item.invitationId);
          const key = { pk: item.pk, sk: item.sk };
          const guard = await getItem(keys.pendingInvitation(tenantId, work.email));
          if (item.status === 'pending' && guard?.invitationId === invitationId) {
            // Still holds its seat: revoked by deleting it with its guard, the seat freed.
            await writes.single(
              [
                {
                  item: {
                    Delete: {
                      TableName: db.tableName,
                      Key: key,
                      ConditionExpression: '#status = :pending',
                      ExpressionAttributeNames: { '#status': 'status' },
                      ExpressionAttributeValues: { ':pending': 'pending' },
                    },
                  },
                },
                {
                  item: {
                    Delete: {
                      TableName: db.tableName,
                      Key: keys.pendingInvitation(tenantId, work.email),
                      ConditionExpression: 'invitationId = :id',
                      ExpressionAttributeValues: { ':id': invitationId },
                    },
                  },
                },
                counterStep(db, tenantId, { pendingInvitations: -1 }),
              ],
              'invitation-revoked',
            );
          } else {
            await writes.add(deleteStep(key), 'invitation-deleted');
          }
        }
        // The address's suppression entry (bounces, complaints) is keyed by the email too.
        const suppression = keys.emailSuppression(work.email);
        if (await getItem(suppression)) await writes.add(deleteStep(suppression), 'email-suppression');
        await writes.flush();
        return { status: 'done' };
      },

      async 'product-events'(): Promise<StepResult> {
        const writes = batcher(erasureId, 'product-events');
        for (const tenantId of work.tenantIds) {
          const events = keys.productEventsOfUser(tenantId, work.userId);
          for await (const item of queryItems(db, prefixQuery(events.pk, events.skPrefix))) {
            await writes.add(deleteStep(item as { pk: string; sk: string }), 'product-event');
          }
          const first = keys.productFirstActivity(tenantId, work.userId);
          for await (const item of queryItems(db, prefixQuery(first.pk, first.sk))) {
            await writes.add(deleteStep(item as { pk: string; sk: string }), 'activity-marker');
          }
        }
        await writes.flush();
        return { status: 'done' };
      },

      async 'nps-answers'(): Promise<StepResult> {
        const writes = batcher(erasureId, 'nps-answers');
        for (const month of monthsBetween(work.since, now())) {
          for await (const item of queryItems(db, {
            ...prefixQuery(keys.npsAnswersOfMonth(month).pk),
            FilterExpression: 'userId = :user',
            ExpressionAttributeValues: { ':pk': keys.npsAnswersOfMonth(month).pk, ':user': work.userId },
          })) {
            const { userId: _u, comment: _c, ...kept } = item;
            await writes.add(replaceStep({ ...kept, comment: null, erased: true }), 'nps-answer');
          }
        }
        await writes.flush();
        return { status: 'done' };
      },

      async 'audit-log'(): Promise<StepResult> {
        const writes = batcher(erasureId, 'audit-log');
        for (const tenantId of work.tenantIds) {
          const range = keys.auditRange(tenantId);
          for await (const item of queryItems(db, {
            KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
            ExpressionAttributeValues: { ':pk': range.pk, ':from': range.skFrom, ':to': range.skTo },
            ConsistentRead: true,
          })) {
            const entry = entryOfItem(item);
            const fields = {
              actor: entry.actor,
              target: entry.target,
              before: entry.before,
              after: entry.after,
              reason: entry.reason,
            };
            const replaced = replacePersonal(fields, personal);
            const actorIsUser = entry.actor.userId === work.userId;
            if (replaced === fields && !actorIsUser) continue;
            await writes.add(
              replaceStep({
                ...item,
                ...replaced,
                ...(entry.reason === undefined ? {} : { reason: replaced.reason }),
                // The IP of a request the user made is theirs; another actor's stays.
                ...(actorIsUser ? { sourceIp: pseudonym } : {}),
                // The chain hashes this instead of the replaced fields: it still verifies.
                personalHash: personalHashOf(entry),
                ...(actorIsUser ? { gsi1pk: keys.auditByActor(tenantId, pseudonym).gsi1pk } : {}),
              }),
              'audit-entry',
            );
          }
        }
        // Operators' entries about the user (suspensions, resets): the platform log, read with a filter.
        for await (const item of queryItems(db, {
          ...prefixQuery(keys.platformAuditPartition({}).value),
          FilterExpression: 'userId = :user OR target.id = :user',
          ExpressionAttributeValues: { ':pk': keys.platformAuditPartition({}).value, ':user': work.userId },
        })) {
          const rewrite = rewriteStep(item, personal);
          if (rewrite) await writes.add(rewrite, 'platform-audit-entry');
        }
        await writes.flush();
        return { status: 'done' };
      },

      async 'tenant-records'(): Promise<StepResult> {
        const writes = batcher(erasureId, 'tenant-records');
        const email = work.email;
        for (const tenantId of work.tenantIds) {
          for await (const item of queryItems(db, prefixQuery(keys.tenantItems(tenantId).pk))) {
            const sk = String(item.sk);
            // The audit log has its own step (the chain); what earlier steps deleted is gone.
            if (sk.startsWith('AUDIT#')) continue;
            if (sk.includes(work.userId) || (email !== undefined && sk.toLowerCase().includes(email))) {
              await writes.add(
                deleteStep(item as { pk: string; sk: string }),
                `deleted:${kindOfSortKey(sk)}`,
              );
              continue;
            }
            const rewrite = rewriteStep(item, personal);
            if (rewrite) await writes.add(rewrite, `pseudonymised:${kindOfSortKey(sk)}`);
          }
        }
        await writes.flush();
        return { status: 'done' };
      },

      async 'user-exports'(): Promise<StepResult> {
        if (!deps.exports) return { status: 'skipped', note: 'no exports bucket is configured here' };
        const deleted = await deps.exports.deletePrefix(`users/${work.userId}/`);
        if (deleted > 0) {
          await transactWrite(db, [
            store.progressStep(erasureId, 'user-exports', { 'export-object': deleted }),
          ]);
        }
        return { status: 'done' };
      },

      async 'user-items'(): Promise<StepResult> {
        const writes = batcher(erasureId, 'user-items');
        const partition = keys.userItems(work.userId).pk;
        for await (const item of queryItems(db, prefixQuery(partition))) {
          await writes.add(deleteStep(item as { pk: string; sk: string }), kindOfSortKey(String(item.sk)));
        }
        await writes.flush();
        return { status: 'done' };
      },

      // The person's lines in every tenant: their user id (a Cognito sub) is theirs alone. Every
      // object is read: `since` may postdate tenants they left, so it is no bound here.
      warehouse: () =>
        warehouseStep(erasureId, state, { field: 'user_id', value: work.userId }, 'product-events'),
    } satisfies Record<string, () => Promise<StepResult>>;
  }

  // --- a tenant's purge ------------------------------------------------------------------------

  function tenantSteps(erasureId: string, work: TenantWork, state: RunState) {
    const { tenantId } = work;
    const pseudonym = pseudonymOf(deps.pseudonymKey, 'tenant', tenantId);
    const tenantPk = keys.tenant(tenantId).pk;

    return {
      async 'stripe-customer'(): Promise<StepResult> {
        const billing = await getItem(keys.billing(tenantId));
        const status = billing?.status as SubscriptionStatus | undefined;
        const duplicates = Array.isArray(billing?.duplicateSubscriptions)
          ? billing.duplicateSubscriptions.length
          : 0;
        if ((status && isLiveStatus(status)) || duplicates > 0) {
          throw new StepRefusedError(
            `The tenant still has a live Stripe subscription (${duplicates > 0 ? 'duplicate' : status}): cancel it before the purge.`,
          );
        }
        const customerId = billing?.customerId;
        if (typeof customerId !== 'string')
          return { status: 'skipped', note: 'the tenant had no Stripe customer' };
        const deleted = await deps.stripe.deleteCustomer(customerId);
        await transactWrite(db, [store.progressStep(erasureId, 'stripe-customer', { 'stripe-customer': 1 })]);
        return deleted ? { status: 'done' } : { status: 'done', note: 'Stripe no longer had the customer' };
      },

      async exports(): Promise<StepResult> {
        if (!deps.exports) return { status: 'skipped', note: 'no exports bucket is configured here' };
        const deleted = await deps.exports.deletePrefix(`tenants/${tenantId}/`);
        if (deleted > 0) {
          await transactWrite(db, [store.progressStep(erasureId, 'exports', { 'export-object': deleted })]);
        }
        return { status: 'done' };
      },

      'sso-provider': () => eraseTenantSso(deps, erasureId, tenantId),

      async analytics(): Promise<StepResult> {
        const writes = batcher(erasureId, 'analytics');
        for (const month of monthsBetween(work.since, deps.clock())) {
          for (const [pk, kind] of [
            [keys.mrrMovementsOfMonth(month).pk, 'mrr-movement'],
            [keys.npsAnswersOfMonth(month).pk, 'nps-answer'],
          ] as const) {
            for await (const item of queryItems(db, {
              ...prefixQuery(pk),
              FilterExpression: 'tenantId = :tenant',
              ExpressionAttributeValues: { ':pk': pk, ':tenant': tenantId },
            })) {
              const { userId: _u, comment: _c, ...kept } = item;
              const anonymous =
                kind === 'nps-answer' ? { ...kept, comment: null, erased: true } : { ...item };
              await writes.add(replaceStep({ ...anonymous, tenantId: pseudonym }), kind);
            }
          }
        }
        await writes.flush();
        return { status: 'done' };
      },

      async locators(): Promise<StepResult> {
        const writes = batcher(erasureId, 'locators');
        const owned = async (key: { pk: string; sk: string }, kind: string) => {
          const item = await getItem(key);
          if (item && item.tenantId === tenantId) await writes.add(deleteStep(key), kind);
        };
        await owned(keys.tenantSlug(work.slug), 'slug-guard');
        const billing = await getItem(keys.billing(tenantId));
        if (typeof billing?.customerId === 'string')
          await owned(keys.stripeCustomer(billing.customerId), 'customer-locator');
        for await (const item of queryItems(db, prefixQuery(tenantPk, 'SUPPORT_TICKET#'))) {
          await owned(keys.supportTicketLocator(String(item.ticketId)), 'ticket-locator');
        }
        // An API client's key item (what the authorizer looks keys up by) and the SSO domain claims
        // (what home-realm discovery and the PreSignUp trigger read) live outside the partition.
        for await (const item of queryItems(db, prefixQuery(tenantPk, 'APICLIENT#'))) {
          if (typeof item.keyId === 'string') await owned(keys.apiKey(item.keyId), 'api-key');
        }
        const sso = await getItem(keys.ssoConfig(tenantId));
        for (const domain of Object.keys((sso?.domains as Record<string, unknown> | undefined) ?? {})) {
          await owned(keys.ssoDomainClaim(domain), 'sso-domain-claim');
        }
        await writes.flush();
        return { status: 'done' };
      },

      async 'tenant-items'(): Promise<StepResult> {
        const writes = batcher(erasureId, 'tenant-items');
        for await (const item of queryItems(db, prefixQuery(tenantPk))) {
          if (item.sk === 'TENANT') continue;
          await writes.add(deleteStep(item as { pk: string; sk: string }), kindOfSortKey(String(item.sk)));
        }
        if (await getItem(keys.tenant(tenantId)))
          await writes.add(deleteStep(keys.tenant(tenantId)), 'tenant');
        await writes.flush();
        return { status: 'done' };
      },

      // No event of the tenant predates its creation: older objects are skipped unread. A `since`
      // that is no earlier than the request is the service's fallback (no createdAt): no bound.
      warehouse: () =>
        warehouseStep(
          erasureId,
          state,
          { field: 'tenant_id', value: tenantId },
          'tenant-items',
          work.since < state.report.requestedAt ? new Date(work.since) : undefined,
        ),
    } satisfies Record<string, () => Promise<StepResult>>;
  }

  /** Runs (or resumes) one erasure to its end; a no-op for a finished or busy one. */
  async function run(erasureId: string): Promise<RunOutcome> {
    const claimed = await store.claim(erasureId, deps.clock(), leaseMs);
    if (!claimed) return 'not-claimed';
    return runClaimed(claimed);
  }

  async function runClaimed(report: StoredReport): Promise<RunOutcome> {
    const { erasureId } = report;
    const work = await store.getWork(erasureId);
    if (!work) throw new Error(`Erasure ${erasureId} has no work item.`);
    const state: RunState = {
      report,
      finishedAt: new Map(Object.entries(report.steps).map(([step, record]) => [step, record.at])),
    };
    const steps: Record<string, () => Promise<StepResult>> =
      work.kind === 'user' ? userSteps(erasureId, work, state) : tenantSteps(erasureId, work, state);
    try {
      for (const step of remainingSteps(report.kind, report.steps)) {
        const runStep = steps[step];
        if (!runStep) throw new Error(`No implementation of erasure step ${step}.`);
        const result = await runStep();
        if (result.status === 'deferred') {
          await store.defer(erasureId, result.until);
          return 'deferred';
        }
        const at = deps.clock().toISOString();
        await store.finishStep(
          erasureId,
          step,
          { ...result, at },
          // The email goes in the write that finishes the last step that reads it.
          { dropEmail: work.kind === 'user' && isLastStepUsingEmail(step) },
        );
        state.finishedAt.set(step, at);
        await deps.afterStep?.(erasureId, step);
      }
    } catch (error) {
      // A refusal (live subscription) or the last owner's rule stops the erasure; anything else is retried.
      const lastOwner = error instanceof ConflictError && error.message === LAST_OWNER_MESSAGE;
      if (error instanceof StepRefusedError || lastOwner) {
        const step = remainingSteps(report.kind, (await store.get(erasureId))?.steps ?? {})[0];
        if (step)
          await store.finishStep(erasureId, step, {
            status: 'refused',
            at: deps.clock().toISOString(),
            note: error.message,
          });
        await store.block(erasureId, error.message);
        return 'blocked';
      }
      const name = error instanceof Error ? error.name : 'Error';
      await store.fail(erasureId, name).catch(() => undefined);
      throw error;
    }
    await store.complete(erasureId, deps.clock());
    return 'completed';
  }

  return {
    run,
    /** Runs every pending erasure (oldest first, up to `limit`); each failure is reported, not fatal. */
    async runPending(
      limit = 10,
    ): Promise<{ completed: number; blocked: number; deferred: number; failed: number }> {
      const result = { completed: 0, blocked: 0, deferred: 0, failed: 0 };
      for (const erasureId of await store.pendingIds(limit)) {
        try {
          const outcome = await run(erasureId);
          if (outcome === 'completed') result.completed += 1;
          if (outcome === 'blocked') result.blocked += 1;
          if (outcome === 'deferred') result.deferred += 1;
        } catch {
          result.failed += 1;
        }
      }
      return result;
    },
  };
}

export type ErasureRunner = ReturnType<typeof createErasureRunner>;
