import type { Caller } from '../auth/caller.ts';
import { ConflictError, UnauthorizedError } from '../http/errors.ts';
import type { Clock } from '../ids.ts';
import type { TenantRepository } from '../tenants/tenants.repository.ts';
import type { TotpAuthenticator } from './cognito-totp.ts';
import type { IdentityDirectory } from './identity-directory.ts';

export interface MfaServiceDeps {
  readonly totp: TotpAuthenticator;
  readonly directory: IdentityDirectory;
  readonly tenants: Pick<TenantRepository, 'listMemberships'>;
  /** Writes the caller's MFA status on their profile (`recordMfa` in user-profile.ts). */
  readonly recordMfa: (userId: string, enabled: boolean, at: string) => Promise<void>;
  readonly clock: Clock;
  /** The name authenticator apps show beside the account. @default 'Plinth' */
  readonly issuer?: string;
}

/** The Key URI an authenticator app scans (Google Authenticator's `otpauth://` format). */
export function otpauthUri(issuer: string, account: string, secret: string): string {
  const label = `${encodeURIComponent(issuer)}:${encodeURIComponent(account)}`;
  const query = new URLSearchParams({ secret, issuer, algorithm: 'SHA1', digits: '6', period: '30' });
  return `otpauth://totp/${label}?${query.toString()}`;
}

/** Calls Cognito as the user: only with the user's own token, never under impersonation. */
function ownToken(accessToken: string | undefined): string {
  if (!accessToken)
    throw new UnauthorizedError('These routes need your own access token as the bearer token.');
  return accessToken;
}

/**
 * The user's own MFA: enrolling an authenticator app (TOTP) through the user pool's calls and
 * recording the outcome on the profile item, where the tenant resolve reads it.
 */
export function createMfaService({
  totp,
  directory,
  tenants,
  recordMfa,
  clock,
  issuer = 'Plinth',
}: MfaServiceDeps) {
  return {
    /** A new secret for the caller's authenticator app; MFA is not on until a code of it is verified. */
    async startTotp(caller: Caller, accessToken: string | undefined) {
      const token = ownToken(accessToken);
      const identity = await directory.getUser(caller.userId);
      if (!identity?.enabled) throw new UnauthorizedError('Your user is disabled or no longer exists.');
      const { secret } = await totp.associate(token);
      return { secret, otpauthUri: otpauthUri(issuer, identity.email, secret) };
    },

    /**
     * Verifies a code of the secret being enrolled, makes TOTP the caller's preferred MFA, then
     * records `mfaEnabled` on the profile. Cognito first: a fault between the two leaves the profile
     * saying off (the stricter answer), and sending a fresh code again completes it.
     */
    async confirmTotp(caller: Caller, accessToken: string | undefined, code: string) {
      const token = ownToken(accessToken);
      await totp.verify(token, code);
      await totp.setEnabled(token, true);
      await recordMfa(caller.userId, true, clock().toISOString());
      return { mfaEnabled: true };
    },

    /**
     * Turns the caller's MFA off: 409 while a tenant they belong to requires it (they would lock
     * themselves out of it; leave it first). The profile is written first, then Cognito: a fault
     * between the two leaves the profile saying off while the pool still asks for a code.
     */
    async disable(caller: Caller, accessToken: string | undefined): Promise<void> {
      const token = ownToken(accessToken);
      const requiring = (await tenants.listMemberships(caller.userId)).filter(
        (m) => m.tenant.requireMfa === true,
      );
      if (requiring.length > 0) {
        throw new ConflictError(
          `MFA cannot be turned off while ${requiring.map((m) => `"${m.tenant.name}"`).join(', ')} require${requiring.length === 1 ? 's' : ''} it: leave ${requiring.length === 1 ? 'that tenant' : 'those tenants'} first, or ask an owner to lift the requirement.`,
        );
      }
      await recordMfa(caller.userId, false, clock().toISOString());
      await totp.setEnabled(token, false);
    },
  };
}

export type MfaService = ReturnType<typeof createMfaService>;
