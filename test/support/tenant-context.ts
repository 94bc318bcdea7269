import { type BillingState, freeBillingState } from '#shared/billing/billing.schema.ts';
import { entitlementsOf } from '#shared/billing/entitlements.ts';
import type { Role } from '#shared/tenancy/permissions.ts';
import type { MemberRecord, TenantRecord } from '#shared/tenancy/records.ts';
import type { TenantContext } from '#shared/tenancy/tenant-context.ts';

export interface FakeContextOptions {
  readonly role: Role;
  readonly tenantId?: string;
  readonly userId?: string;
  readonly email?: string;
  readonly tenant?: Partial<TenantRecord>;
  readonly billing?: Partial<BillingState>;
  /** Whether the caller has MFA on (default false). */
  readonly mfaEnabled?: boolean;
}

const AT = '2026-01-01T00:00:00.000Z';

/**
 * A tenant context as `createTenancy().resolve` would make it, for unit tests of services: the
 * real one needs the table, and the brand keeps production code from forging one.
 */
export function fakeTenantContext(options: FakeContextOptions): TenantContext {
  const tenantId = options.tenantId ?? '01jf00000000000000000000tt';
  const userId = options.userId ?? '11111111-1111-4111-8111-111111111111';
  const member: MemberRecord = {
    tenantId,
    userId,
    email: options.email ?? 'boss@example.com',
    role: options.role,
    status: 'active',
    joinedAt: AT,
    updatedAt: AT,
  };
  const tenant: TenantRecord = {
    tenantId,
    name: 'Acme',
    slug: 'acme',
    status: 'active',
    createdAt: AT,
    updatedAt: AT,
    createdBy: userId,
    ownerCount: 1,
    ...options.tenant,
  };
  const billing: BillingState = { ...freeBillingState(tenantId, AT), ...options.billing };
  return {
    tenantId,
    tenant,
    member,
    role: options.role,
    caller: { userId, groups: [], platformAdmin: false },
    request: { requestId: 'req-1', sourceIp: '203.0.113.7' },
    billing,
    entitlements: entitlementsOf(billing),
    mfaEnabled: options.mfaEnabled ?? false,
  } as unknown as TenantContext;
}
