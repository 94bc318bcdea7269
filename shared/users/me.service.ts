import type { Caller } from '../auth/caller.ts';
import { UnauthorizedError } from '../http/errors.ts';
import { visibleMemberships } from '../impersonation/visible-tenants.ts';
import type { TenantRepository } from '../tenants/tenants.repository.ts';
import type { IdentityDirectory } from './identity-directory.ts';
import type { UserProfile } from './user-profile.ts';
import type { MeResponse } from './users.schema.ts';

/** `GET /v1/me`: who the caller is, from the user pool, and where they belong. */
export function createMeService({
  tenants,
  directory,
}: {
  tenants: TenantRepository;
  directory: IdentityDirectory;
}) {
  return {
    /** `profile`: the caller's profile as the user gate read it (MFA status). */
    async get(caller: Caller, profile?: UserProfile): Promise<MeResponse> {
      const [identity, memberships] = await Promise.all([
        directory.getUser(caller.userId),
        tenants.listMemberships(caller.userId).then((all) => visibleMemberships(caller, all)),
      ]);
      if (!identity?.enabled) throw new UnauthorizedError('Your user is disabled or no longer exists.');
      return {
        userId: caller.userId,
        email: identity.email,
        emailVerified: identity.emailVerified,
        platformAdmin: caller.platformAdmin,
        mfaEnabled: profile?.mfaEnabled === true,
        memberships: memberships.map((m) => ({
          tenantId: m.tenant.tenantId,
          tenantName: m.tenant.name,
          tenantSlug: m.tenant.slug,
          role: m.role,
        })),
      };
    },
  };
}
