import { BatchGetCommand, GetCommand } from '@aws-sdk/lib-dynamodb';
import { type AuditEvent, auditStep } from '../audit/audit.writer.ts';
import type { BillingState } from '../billing/billing.schema.ts';
import { counterStep, type Limit } from '../billing/limits.ts';
import type { Db } from '../db/client.ts';
import { keys } from '../db/keys.ts';
import { type TransactStep, transactWrite } from '../db/transact.ts';
import { ConflictError, NotFoundError } from '../http/errors.ts';
import type { Clock, IdGenerator } from '../ids.ts';
import { joinSteps } from '../members/members.records.ts';
import type { Member } from '../members/members.schema.ts';
import { type TenantRecord, withoutKeys } from '../tenancy/records.ts';
import type { DomainClaimRecord, SsoConfigRecord, StoredDomain } from './sso.records.ts';

/** The most domains one tenant may claim (a DELETE of its SSO releases them in one transaction). */
export const MAX_DOMAINS_PER_TENANT = 20;

/** The settings a PUT writes; the claimed domains are left as they are. */
export type SsoSettings = Omit<SsoConfigRecord, 'domains' | 'createdAt'>;

const configNotFound = () => new NotFoundError('This tenant has no SSO configured.');

/** What a just-in-time join reads about the tenant. */
export interface JoinTarget {
  readonly tenant: TenantRecord;
  readonly config: SsoConfigRecord;
  readonly billing: Pick<BillingState, 'plan' | 'status'> | undefined;
  readonly isMember: boolean;
}

export function createSsoRepository(db: Db, deps: { clock: Clock; newId: IdGenerator }) {
  const audit = (event: AuditEvent): TransactStep => auditStep(db, event, deps);

  return {
    async get(tenantId: string): Promise<SsoConfigRecord | undefined> {
      const { Item } = await db.client.send(
        new GetCommand({ TableName: db.tableName, Key: keys.ssoConfig(tenantId), ConsistentRead: true }),
      );
      return Item ? (withoutKeys(Item) as unknown as SsoConfigRecord) : undefined;
    },

    async findClaim(domain: string): Promise<DomainClaimRecord | undefined> {
      const { Item } = await db.client.send(
        new GetCommand({ TableName: db.tableName, Key: keys.ssoDomainClaim(domain), ConsistentRead: true }),
      );
      return Item ? (withoutKeys(Item) as unknown as DomainClaimRecord) : undefined;
    },

    /**
     * Writes the settings with their audit entry, keeping the claimed domains (an Update, so a
     * domain claimed meanwhile stays); fields of the other protocol are removed.
     */
    async save(settings: SsoSettings, createdAt: string, event: AuditEvent): Promise<void> {
      const values: Record<string, unknown> = {
        ':type': 'sso-config',
        ':empty': {},
        ':createdAt': createdAt,
      };
      const names: Record<string, string> = { '#type': 'type' };
      const sets = [
        '#type = :type',
        'domains = if_not_exists(domains, :empty)',
        'createdAt = if_not_exists(createdAt, :createdAt)',
      ];
      const removes: string[] = [];
      const fields: (keyof SsoSettings)[] = [
        'tenantId',
        'protocol',
        'providerName',
        'metadataUrl',
        'issuer',
        'clientId',
        'secretArn',
        'defaultRole',
        'requireSso',
        'updatedAt',
      ];
      for (const field of fields) {
        names[`#${field}`] = field;
        const value = settings[field];
        if (value === undefined) removes.push(`#${field}`);
        else {
          values[`:${field}`] = value;
          sets.push(`#${field} = :${field}`);
        }
      }
      await transactWrite(db, [
        {
          item: {
            Update: {
              TableName: db.tableName,
              Key: keys.ssoConfig(settings.tenantId),
              UpdateExpression: `SET ${sets.join(', ')}${removes.length > 0 ? ` REMOVE ${removes.join(', ')}` : ''}`,
              ExpressionAttributeNames: names,
              ExpressionAttributeValues: values,
            },
          },
        },
        audit(event),
      ]);
    },

    /** Deletes the config and releases every domain it claimed, with the audit entry, in one transaction. */
    async remove(config: SsoConfigRecord, event: AuditEvent): Promise<void> {
      await transactWrite(db, [
        {
          item: {
            Delete: {
              TableName: db.tableName,
              Key: keys.ssoConfig(config.tenantId),
              ConditionExpression: 'attribute_exists(pk)',
            },
          },
          onConditionFailed: configNotFound,
        },
        ...Object.keys(config.domains).map(
          (domain): TransactStep => ({
            item: {
              Delete: {
                TableName: db.tableName,
                Key: keys.ssoDomainClaim(domain),
                ConditionExpression: 'attribute_not_exists(pk) OR tenantId = :tenantId',
                ExpressionAttributeValues: { ':tenantId': config.tenantId },
              },
            },
          }),
        ),
        audit(event),
      ]);
    },

    /**
     * Claims `domain` for the tenant: the global claim (only if no tenant holds it) and the config's
     * entry in one transaction. 409 when another tenant holds it or the tenant has its most domains;
     * 404 when the tenant has no SSO config.
     */
    async claim(claim: DomainClaimRecord, entry: StoredDomain, event: AuditEvent): Promise<void> {
      await transactWrite(db, [
        {
          item: {
            Put: {
              TableName: db.tableName,
              Item: { ...keys.ssoDomainClaim(claim.domain), type: 'sso-domain-claim', ...claim },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
          onConditionFailed: () =>
            new ConflictError(`${claim.domain} is already claimed for single sign-on by another tenant.`),
        },
        {
          item: {
            Update: {
              TableName: db.tableName,
              Key: keys.ssoConfig(claim.tenantId),
              UpdateExpression: 'SET domains.#domain = :entry',
              ConditionExpression: 'attribute_exists(pk) AND size(domains) < :max',
              ExpressionAttributeNames: { '#domain': claim.domain },
              ExpressionAttributeValues: { ':entry': entry, ':max': MAX_DOMAINS_PER_TENANT },
            },
          },
          onConditionFailed: () =>
            new ConflictError(
              `A tenant can claim at most ${MAX_DOMAINS_PER_TENANT} domains for single sign-on (or its SSO was removed meanwhile).`,
            ),
        },
        audit(event),
      ]);
    },

    /** Marks the tenant's claim of `domain` verified, in the claim and the config, with the audit entry. */
    async verify(
      tenantId: string,
      domain: string,
      verified: Required<Pick<StoredDomain, 'verifiedAt' | 'verification'>>,
      event: AuditEvent,
    ): Promise<void> {
      await transactWrite(db, [
        {
          item: {
            Update: {
              TableName: db.tableName,
              Key: keys.ssoDomainClaim(domain),
              UpdateExpression: 'SET #status = :verified, verifiedAt = :at',
              ConditionExpression: 'tenantId = :tenantId',
              ExpressionAttributeNames: { '#status': 'status' },
              ExpressionAttributeValues: {
                ':verified': 'verified',
                ':at': verified.verifiedAt,
                ':tenantId': tenantId,
              },
            },
          },
          onConditionFailed: () => new NotFoundError(`This tenant has not claimed ${domain}.`),
        },
        {
          item: {
            Update: {
              TableName: db.tableName,
              Key: keys.ssoConfig(tenantId),
              UpdateExpression:
                'SET domains.#domain.#status = :verified, domains.#domain.verifiedAt = :at, domains.#domain.verification = :how',
              ConditionExpression: 'attribute_exists(domains.#domain)',
              ExpressionAttributeNames: { '#domain': domain, '#status': 'status' },
              ExpressionAttributeValues: {
                ':verified': 'verified',
                ':at': verified.verifiedAt,
                ':how': verified.verification,
              },
            },
          },
          onConditionFailed: () => new NotFoundError(`This tenant has not claimed ${domain}.`),
        },
        audit(event),
      ]);
    },

    /** The tenant, its SSO config and billing, and whether the user is already a member (one BatchGet). */
    async joinTarget(tenantId: string, userId: string): Promise<JoinTarget | undefined> {
      const { gsi1pk: _g, gsi1sk: _s, ...memberKey } = keys.member(tenantId, userId);
      const wanted = [keys.tenant(tenantId), keys.ssoConfig(tenantId), keys.billing(tenantId), memberKey];
      const result = await db.client.send(
        new BatchGetCommand({ RequestItems: { [db.tableName]: { Keys: wanted, ConsistentRead: true } } }),
      );
      if (Object.keys(result.UnprocessedKeys ?? {}).length > 0) {
        throw new Error('DynamoDB left keys unprocessed while reading a tenant for SSO; retry.');
      }
      const items = result.Responses?.[db.tableName] ?? [];
      const find = (key: { sk: string }) => items.find((i) => i.sk === key.sk);
      const tenant = find(keys.tenant(tenantId));
      const config = find(keys.ssoConfig(tenantId));
      if (!tenant || !config) return undefined;
      const billing = find(keys.billing(tenantId));
      return {
        tenant: withoutKeys(tenant) as unknown as TenantRecord,
        config: withoutKeys(config) as unknown as SsoConfigRecord,
        billing: billing ? (withoutKeys(billing) as unknown as BillingState) : undefined,
        isMember: find(memberKey) !== undefined,
      };
    },

    /**
     * Adds a member the way every membership is written (shared/members joinSteps: membership,
     * email guard, profile), taking a seat on condition that the tenant is active and within its
     * plan's seats (members and pending invitations), with the audit entry, in one transaction.
     */
    async join(member: Member, seats: Limit, event: AuditEvent, onInactive: () => Error): Promise<void> {
      try {
        await transactWrite(db, [
          ...joinSteps(db, member),
          counterStep(
            db,
            member.tenantId,
            { members: 1 },
            {
              conditions: [{ kind: 'active' }, { kind: 'below', counter: 'reservedSeats', max: seats.max }],
              onConditionFailed: () => new SeatOrStatusRefusedError(),
            },
          ),
          audit(event),
        ]);
      } catch (error) {
        if (!(error instanceof SeatOrStatusRefusedError)) throw error;
        // Nothing was written; this read only tells which condition refused, for the message.
        const { Item } = await db.client.send(
          new GetCommand({
            TableName: db.tableName,
            Key: keys.tenant(member.tenantId),
            ConsistentRead: true,
          }),
        );
        throw Item?.status === 'active' ? seats.reached() : onInactive();
      }
    },
  };
}

class SeatOrStatusRefusedError extends Error {
  constructor() {
    super('The tenant refused the join (status or seats).');
    this.name = 'SeatOrStatusRefusedError';
  }
}

export type SsoRepository = ReturnType<typeof createSsoRepository>;
