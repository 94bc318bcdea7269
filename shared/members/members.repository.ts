import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { type AuditEvent, auditStep } from '../audit/audit.writer.ts';
import type { Db } from '../db/client.ts';
import { keys } from '../db/keys.ts';
import { type Page, queryPrefixPage } from '../db/page.ts';
import { type TransactStep, transactWrite } from '../db/transact.ts';
import { ConflictError } from '../http/errors.ts';
import type { Clock, IdGenerator } from '../ids.ts';
import { withoutKeys } from '../tenancy/records.ts';
import type { TenantContext } from '../tenancy/tenant-context.ts';
import { memberLeftStep, ownerAddedStep, ownerRemovedStep, ownerSearchEntry } from './members.records.ts';
import type { Member } from './members.schema.ts';

type Audit = Omit<AuditEvent, 'tenantId'>;

/** Members of one tenant; only reachable through a verified {@link TenantContext}. */
export interface MemberRepository {
  list(options: { limit: number; cursor?: string | undefined }): Promise<Page<Member>>;
  get(userId: string): Promise<Member | undefined>;
  /**
   * Writes `after`'s role, on condition the member still has `before`'s role, and keeps the tenant's
   * owner count in step; 409 when it would leave no owner or the member changed meanwhile.
   */
  changeRole(before: Member, after: Member, audit: Audit): Promise<void>;
  /**
   * Deletes the membership and its email guard and frees the seat on the tenant's counters; 409
   * when it would leave no owner.
   */
  remove(member: Member, audit: Audit): Promise<void>;
}

const changedMeanwhile = () =>
  new ConflictError('The member was changed or removed meanwhile; reload and retry.');

const tenantInactive = () => new ConflictError('The tenant is no longer active.');

export function createMemberRepository(db: Db, deps: { clock: Clock; newId: IdGenerator }) {
  return {
    forTenant(ctx: TenantContext): MemberRepository {
      const { tenantId } = ctx;
      const audit = (event: Audit) => auditStep(db, { ...event, tenantId }, deps);

      /** The member item, unchanged since it was read with `role`. */
      const memberAsRead = (member: Member) => ({
        ConditionExpression: 'attribute_exists(pk) AND #role = :expectedRole',
        ExpressionAttributeNames: { '#role': 'role' },
        ExpressionAttributeValues: { ':expectedRole': member.role },
      });

      return {
        async list(page) {
          const { items, nextCursor } = await queryPrefixPage(
            db,
            keys.membersPrefix(tenantId),
            'members',
            page,
          );
          return { items: items.map((i) => withoutKeys(i) as Member), nextCursor };
        },

        async get(userId) {
          const { gsi1pk: _g, gsi1sk: _s, ...key } = keys.member(tenantId, userId);
          const result = await db.client.send(
            new GetCommand({ TableName: db.tableName, Key: key, ConsistentRead: true }),
          );
          return result.Item ? (withoutKeys(result.Item) as Member) : undefined;
        },

        async changeRole(before, after, event) {
          const { gsi1pk: _g, gsi1sk: _s, ...key } = keys.member(tenantId, before.userId);
          const condition = memberAsRead(before);
          const steps: TransactStep[] = [
            {
              item: {
                Update: {
                  TableName: db.tableName,
                  Key: key,
                  // An owner's membership carries the search entry that finds the tenant by its owner's email.
                  UpdateExpression:
                    after.role === 'owner'
                      ? 'SET #role = :role, updatedAt = :updatedAt, gsi2pk = :g2pk, gsi2sk = :g2sk'
                      : 'SET #role = :role, updatedAt = :updatedAt REMOVE gsi2pk, gsi2sk',
                  ConditionExpression: condition.ConditionExpression,
                  ExpressionAttributeNames: condition.ExpressionAttributeNames,
                  ExpressionAttributeValues: {
                    ...condition.ExpressionAttributeValues,
                    ':role': after.role,
                    ':updatedAt': after.updatedAt,
                    ...(after.role === 'owner'
                      ? {
                          ':g2pk': ownerSearchEntry(before).gsi2pk,
                          ':g2sk': ownerSearchEntry(before).gsi2sk,
                        }
                      : {}),
                  },
                },
              },
              onConditionFailed: changedMeanwhile,
            },
          ];
          if (before.role === 'owner' && after.role !== 'owner') steps.push(ownerRemovedStep(db, tenantId));
          if (before.role !== 'owner' && after.role === 'owner') {
            steps.push(ownerAddedStep(db, tenantId, tenantInactive));
          }
          await transactWrite(db, [...steps, audit(event)]);
        },

        async remove(member, event) {
          const { gsi1pk: _g, gsi1sk: _s, ...key } = keys.member(tenantId, member.userId);
          const steps: TransactStep[] = [
            {
              item: { Delete: { TableName: db.tableName, Key: key, ...memberAsRead(member) } },
              onConditionFailed: changedMeanwhile,
            },
            {
              item: { Delete: { TableName: db.tableName, Key: keys.memberEmail(tenantId, member.email) } },
            },
          ];
          steps.push(memberLeftStep(db, tenantId, member.role));
          // The tenant still names them (audit log, tickets): an erasure must find it after they left.
          steps.push({
            item: {
              Put: {
                TableName: db.tableName,
                Item: {
                  ...keys.formerTenant(member.userId, tenantId),
                  type: 'former-tenant',
                  userId: member.userId,
                  tenantId,
                },
              },
            },
          });
          await transactWrite(db, [...steps, audit(event)]);
        },
      };
    },
  };
}

export type MemberRepositoryFactory = ReturnType<typeof createMemberRepository>;
