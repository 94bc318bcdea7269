import { BatchGetCommand } from '@aws-sdk/lib-dynamodb';
import {
  assertClientCurrent,
  auditClientRead,
  creatorGone,
  recordClientUse,
} from '../api-clients/client-gate.ts';
import { scopePermissions } from '../api-clients/scopes.ts';
import type { Caller } from '../auth/caller.ts';
import type { BillingState } from '../billing/billing.schema.ts';
import { effectivePlan, entitlementsOf } from '../billing/entitlements.ts';
import { freeBillingState } from '../billing/free-billing-state.ts';
import type { Entitlements } from '../billing/plans.ts';
import type { Db } from '../db/client.ts';
import { keys } from '../db/keys.ts';
import { enterTenantScope } from '../db/tenant-scope.ts';
import { addResponseHeaders, type RequestMeta } from '../http/api-handler.ts';
import { ForbiddenError, NotFoundError, PaymentRequiredError } from '../http/errors.ts';
import { type Clock, systemClock } from '../ids.ts';
import { type ApiRateLimits, apiRequestCheck } from '../ratelimit/api-rate-limit.ts';
import { rateLimitHeaders } from '../ratelimit/rate-limit-headers.ts';
import type { RateLimitDecision, RateLimiter } from '../ratelimit/rate-limiter.ts';
import { domainOfEmail, isVerifiedDomainOf, type SsoConfigRecord } from '../sso/sso.records.ts';
import { ENROL_TOTP_ROUTE, VERIFY_TOTP_ROUTE } from '../users/mfa-routes.ts';
import { assertNotSuspended, newerSignIn, profileOf, recordSignIn } from '../users/user-profile.ts';
import {
  attributeRulesFor,
  hasPermission,
  isOpenWhileRestricted,
  isReadOnly,
  type Permission,
  type ResourceAttributes,
  type Role,
  roleRank,
} from './permissions.ts';
import { type MemberRecord, type TenantRecord, withoutKeys } from './records.ts';

const brand: unique symbol = Symbol('TenantContext');

/**
 * Proof that the caller is an active member of an active tenant. Only {@link createTenancy} makes
 * one, and tenant-scoped repositories only accept one, so no code path reaches a tenant's items
 * with an id taken from a request body or an unverified path.
 */
export interface TenantContext {
  readonly [brand]: true;
  readonly tenantId: string;
  readonly tenant: TenantRecord;
  readonly member: MemberRecord;
  readonly role: Role;
  readonly caller: Caller;
  readonly request: RequestMeta;
  /** The tenant's mirrored billing state (free plan when it never subscribed). */
  readonly billing: BillingState;
  /** What the tenant's effective plan allows now. */
  readonly entitlements: Entitlements;
  /** Whether the caller has MFA on (their profile's `mfaEnabled`, read in the resolve's BatchGet). */
  readonly mfaEnabled: boolean;
  /** This request's count against the tenant's API rate limit (absent where none is enforced). */
  readonly rateLimit?: RateLimitDecision;
}

/** The per-tenant API request limit that {@link createTenancy} enforces on every resolve. */
export interface TenantRateLimit {
  readonly limiter: RateLimiter;
  readonly limits: ApiRateLimits;
}

/** Not found and not a member look the same, so tenant ids do not leak. */
const notFound = () => new NotFoundError('Tenant not found.');

/** How a route resolves its tenant. */
export interface ResolveOptions {
  /**
   * A billing route: a suspended tenant's members who may manage billing (`billing:manage`) still
   * get through, as for a tenant restricted after failed payments, so they can pay and cancel.
   */
  readonly billing?: boolean;
  /**
   * A support route: a suspended tenant's active members can still open, read and answer their
   * tickets, since the suspension tells them to contact support.
   */
  readonly support?: boolean;
  /**
   * A route that stays open to members without MFA when the tenant requires it: reading the tenant
   * itself (`GET /v1/tenants/{tenantId}`), so a refused member can see why. Every other route of a
   * tenant that requires MFA answers them 403 ({@link MfaRequiredError}).
   */
  readonly openWithoutMfa?: boolean;
}

/** 403 for a member without MFA on a tenant that requires it; says how to enrol. */
export class MfaRequiredError extends ForbiddenError {
  constructor() {
    super(
      `This tenant requires multi-factor authentication. Turn on an authenticator app: ${ENROL_TOTP_ROUTE} returns a secret (and an otpauth:// URI) for the app, then ${VERIFY_TOTP_ROUTE} with {"code": "<6 digits>"} turns MFA on; retry this request after that.`,
    );
    this.name = 'MfaRequiredError';
  }
}

/**
 * 403 for a password (non-SSO) sign-in of an email in the verified domains of a tenant that
 * requires SSO; says where to sign in instead.
 */
export class SsoRequiredError extends ForbiddenError {
  constructor(domain: string) {
    super(
      `This tenant requires single sign-on for ${domain} addresses: sign in through your organisation's identity provider (GET /v1/auth/sso?email=<your email> returns where), then retry with that session's token.`,
    );
    this.name = 'SsoRequiredError';
  }
}

/**
 * `ssoClientId`: the SSO app client; a tenant that requires SSO accepts only its tokens from
 * members whose email is in the tenant's verified domains.
 *
 * `apiRateLimit`: with it, every resolve also counts the request against the tenant's plan limit (one conditional write, after the
 * membership checks, so refused callers count nothing), throws the 429 when it is reached, and adds
 * the RateLimit headers to the response.
 */
export function createTenancy({
  db,
  apiRateLimit,
  clock = systemClock,
  ssoClientId,
}: {
  db: Db;
  apiRateLimit?: TenantRateLimit | undefined;
  clock?: Clock;
  ssoClientId?: string | undefined;
}) {
  return {
    /**
     * Resolves the caller's membership of `tenantId` with one round trip (tenant, membership,
     * billing and the caller's profile in one BatchGetItem, strongly consistent so a removal, a
     * suspension of the user or tenant, or a payment restriction bites at once). When the token
     * shows a sign-in newer than the profile's, one conditional UpdateItem records it (once per
     * sign-in). A tenant that requires MFA refuses callers whose profile shows none (403 saying how
     * to enrol), except on routes that pass `openWithoutMfa`; no other tenant is affected. A tenant
     * that requires SSO (its SSO config, read in the same BatchGet) refuses members whose email is in
     * its verified domains unless the token comes from the SSO client (403 saying to use SSO).
     */
    async resolve(
      caller: Caller,
      tenantId: string,
      request: RequestMeta,
      options: ResolveOptions = {},
    ): Promise<TenantContext> {
      const tenantKey = keys.tenant(tenantId);
      const { gsi1pk: _g, gsi1sk: _s, ...memberKey } = keys.member(tenantId, caller.userId);
      const billingKey = keys.billing(tenantId);
      const profileKey = keys.userProfile(caller.userId);
      // An API client acts with its creator's membership (caller.userId); its own item is read too.
      const client = caller.apiClient;
      if (client && client.tenantId !== tenantId) throw notFound();
      const clientKey = client ? keys.apiClient(tenantId, client.clientId) : undefined;
      const ssoKey = keys.ssoConfig(tenantId);
      const result = await db.client.send(
        new BatchGetCommand({
          RequestItems: {
            [db.tableName]: {
              Keys: [tenantKey, memberKey, billingKey, profileKey, ssoKey, ...(clientKey ? [clientKey] : [])],
              ConsistentRead: true,
            },
          },
        }),
      );
      if (Object.keys(result.UnprocessedKeys ?? {}).length > 0) {
        throw new Error(
          'DynamoDB left keys unprocessed while resolving a tenant; the request can be retried.',
        );
      }
      const items = result.Responses?.[db.tableName] ?? [];
      const tenantItem = items.find((i) => i.sk === tenantKey.sk);
      const memberItem = items.find((i) => i.sk === memberKey.sk);
      const billingItem = items.find((i) => i.sk === billingKey.sk);
      const ssoItem = items.find((i) => i.pk === ssoKey.pk && i.sk === ssoKey.sk);
      const profile = profileOf(items.find((i) => i.pk === profileKey.pk && i.sk === profileKey.sk));
      const clientItem = clientKey && items.find((i) => i.pk === clientKey.pk && i.sk === clientKey.sk);
      if (client) assertClientCurrent(client, clientItem);
      // A suspended user is refused whatever the tenant: the answer says nothing about the tenant.
      // (For an API client, its creator: the client can do no more than they can.)
      assertNotSuspended(profile);
      const signIn = newerSignIn(caller, profile);
      if (signIn) await recordSignIn(db, caller.userId, signIn);
      if (!tenantItem || tenantItem.status === 'deleted') throw notFound();
      if (!memberItem) throw client ? creatorGone() : notFound();
      const tenant = withoutKeys(tenantItem) as TenantRecord;
      const member = withoutKeys(memberItem) as MemberRecord;
      const openWhileSuspended =
        member.status === 'active' &&
        ((options.billing && hasPermission(member.role, 'billing:manage')) || options.support === true);
      if (tenant.status === 'suspended' && !openWhileSuspended) {
        throw new ForbiddenError(
          options.billing
            ? 'This tenant is suspended by the platform: only its billing admins can reach billing. Contact support.'
            : 'This tenant is suspended by the platform. Contact support (its support tickets stay open).',
        );
      }
      if (member.status !== 'active')
        throw client ? creatorGone() : new ForbiddenError('Your membership of this tenant is suspended.');
      if (client && clientItem) {
        // Two independent writes: one round trip, not two, on every call a key makes.
        await Promise.all([
          recordClientUse(db, client, clientItem, clock),
          auditClientRead(db, tenantId, client, request, clock),
        ]);
      }
      const mfaEnabled = profile?.mfaEnabled === true;
      // Before the rate limit: a refused member counts nothing.
      if (tenant.requireMfa === true && !mfaEnabled && !options.openWithoutMfa) throw new MfaRequiredError();
      if (ssoItem) assertSsoSignIn(ssoItem as unknown as SsoConfigRecord, member, caller, ssoClientId);
      const billing = billingItem
        ? (withoutKeys(billingItem) as BillingState)
        : freeBillingState(tenantId, tenant.createdAt);
      const entitlements = entitlementsOf(billing);
      const rateLimit = apiRateLimit && (await limitRequest(apiRateLimit, billing, tenantId, request));
      // From here on the request's table commands are held to this tenant's partition, and those
      // that touch only it are signed with the tenant's credentials (shared/db/tenant-scope.ts).
      enterTenantScope(tenantId);
      return {
        [brand]: true,
        tenantId,
        tenant,
        member,
        role: member.role,
        caller,
        request,
        billing,
        entitlements,
        mfaEnabled,
        ...(rateLimit ? { rateLimit } : {}),
      };
    },
  };
}

/**
 * Require SSO: a member whose email is in one of the tenant's verified domains must come with a
 * token of the SSO app client, which only federated sign-ins get (it supports no password sign-in).
 * Decided here rather than in a PreAuthentication trigger so that it binds per tenant (the same
 * person may use password sign-in for other tenants) and holds for tokens issued before the switch.
 */
function assertSsoSignIn(
  config: SsoConfigRecord,
  member: MemberRecord,
  caller: Caller,
  ssoClientId: string | undefined,
): void {
  if (config.requireSso !== true || !isVerifiedDomainOf(config, member.email)) return;
  if (ssoClientId !== undefined && caller.clientId === ssoClientId) return;
  throw new SsoRequiredError(domainOfEmail(member.email));
}

/** Counts one request of the tenant; throws the 429 when its plan's limit is reached. */
async function limitRequest(
  { limiter, limits }: TenantRateLimit,
  billing: BillingState,
  tenantId: string,
  request: RequestMeta,
): Promise<RateLimitDecision> {
  const [decision] = await limiter.enforce([apiRequestCheck(limits, effectivePlan(billing), tenantId)]);
  if (!decision) throw new Error('The rate limiter returned no decision.');
  addResponseHeaders(request, rateLimitHeaders([decision]));
  return decision;
}

export type Tenancy = ReturnType<typeof createTenancy>;

/**
 * The one authorization check; it also holds back every change (402) while the tenant is
 * restricted for non-payment, except billing itself. `resource` carries attributes that refine the
 * decision: the role of the member being acted on (`targetRole`) and the role being granted
 * (`grantsRole`): nobody acts on or grants a role above their own, and only owners act on or grant
 * `owner`. A role without the permission may still hold it for some resources through an attribute
 * rule (`attributeRules` in permissions.ts, e.g. a manager deleting a project they created:
 * `createdBy`); the resource's attributes then decide.
 */
export function authorize(
  ctx: TenantContext,
  permission: Permission,
  resource: ResourceAttributes = {},
): void {
  assertClientScope(ctx, permission);
  if (!hasPermission(ctx.role, permission)) {
    const rules = attributeRulesFor(ctx.role, permission);
    if (rules.length === 0) throw new ForbiddenError(`Your role (${ctx.role}) does not allow ${permission}.`);
    if (!rules.some((rule) => rule.applies(ctx.caller, resource))) {
      throw new ForbiddenError(
        `Your role (${ctx.role}) allows ${permission} only on ${rules.map((r) => r.scope).join(' or ')}.`,
      );
    }
  }
  assertChangesAllowed(ctx, permission);
  for (const role of [resource.targetRole, resource.grantsRole]) {
    if (role === undefined) continue;
    if (role === 'owner' && !hasPermission(ctx.role, 'owners:manage')) {
      throw new ForbiddenError('Only owners can make, demote or remove owners.');
    }
    if (roleRank[role] > roleRank[ctx.role]) {
      throw new ForbiddenError(`Your role (${ctx.role}) cannot act on or grant the ${role} role.`);
    }
  }
}

/**
 * The check before the resource is read: passes when the role holds `permission` outright or
 * through an attribute rule (for some resources), so a caller who could never act gets the 403 at
 * once rather than a lookup. `authorize` with the resource's attributes decides afterwards.
 */
export function authorizeSome(ctx: TenantContext, permission: Permission): void {
  assertClientScope(ctx, permission);
  if (!hasPermission(ctx.role, permission) && attributeRulesFor(ctx.role, permission).length === 0) {
    throw new ForbiddenError(`Your role (${ctx.role}) does not allow ${permission}.`);
  }
  assertChangesAllowed(ctx, permission);
}

/**
 * An API client may use only its scopes' permissions; the role checks that follow apply its
 * creator's current role, so what passes is the intersection (shared/api-clients/scopes.ts).
 */
function assertClientScope(ctx: TenantContext, permission: Permission): void {
  const client = ctx.caller.apiClient;
  if (client && !scopePermissions(client.scopes).has(permission)) {
    throw new ForbiddenError(`This API client's scopes do not allow ${permission}.`);
  }
}

/** Billing and support stay open so a restricted customer can pay or ask for help. */
function assertChangesAllowed(ctx: TenantContext, permission: Permission): void {
  if (ctx.billing.restricted && !isReadOnly(permission) && !isOpenWhileRestricted(permission)) {
    throw new PaymentRequiredError(
      'This tenant is restricted after failed payments: data can be read, but changes need a successful payment. Update the payment method in the billing portal.',
    );
  }
}
