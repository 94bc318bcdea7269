import type { PreSignUpTriggerEvent, PreTokenGenerationTriggerEvent } from 'aws-lambda';
import { effectivePlan, entitlementsOf } from '../billing/entitlements.ts';
import { noSeatToJoin, usageOf } from '../billing/limits.ts';
import { HttpError } from '../http/errors.ts';
import type { Clock } from '../ids.ts';
import type { Member } from '../members/members.schema.ts';
import { logger } from '../observability/logger.ts';
import { domainOfEmail, isVerifiedDomainOf, tenantOfProvider } from './sso.records.ts';
import type { SsoRepository } from './sso.repository.ts';

/** The user pool calls the triggers need (shared/sso/federation-directory.ts in AWS). */
export interface FederationDirectory {
  /** The username of the pool's own (password) user with this email, if any. */
  findPasswordUser(userPoolId: string, email: string): Promise<string | undefined>;
  /** Links a federated identity to a password user (AdminLinkProviderForUser). */
  link(
    userPoolId: string,
    username: string,
    source: { readonly providerName: string; readonly providerUserId: string },
  ): Promise<void>;
}

/** A sign-in refused by a trigger: Cognito shows the message to the user (hosted UI error). */
export class SsoSignInRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SsoSignInRefusedError';
  }
}

/** Cognito names a federated user `<providerName>_<the provider's user id>`; provider names have no `_`. */
export function federatedUserOf(
  userName: string,
): { providerName: string; providerUserId: string } | undefined {
  const at = userName.indexOf('_');
  if (at <= 0 || at === userName.length - 1) return undefined;
  return { providerName: userName.slice(0, at), providerUserId: userName.slice(at + 1) };
}

/** The `identities` attribute of a federated (or linked) user: the providers it signs in with. */
export function providersOf(identities: string | undefined): string[] {
  if (!identities) return [];
  try {
    const parsed: unknown = JSON.parse(identities);
    if (!Array.isArray(parsed)) return [];
    return parsed.flatMap((identity) =>
      typeof identity === 'object' && identity !== null && typeof identity.providerName === 'string'
        ? [identity.providerName as string]
        : [],
    );
  } catch {
    return [];
  }
}

/**
 * PreSignUp: a first federated sign-in through a tenant's provider. The email must be in a domain
 * that tenant verified (else the sign-up is refused: one tenant's provider cannot mint users of
 * another's domain, or take over their password accounts); when the pool already has a password
 * user with that email, the federated identity is linked to it (AdminLinkProviderForUser), so the
 * person keeps one user, one `sub`, and their memberships. Other sign-ups pass untouched.
 */
export async function linkFederatedSignUp(
  event: PreSignUpTriggerEvent,
  deps: { readonly repo: Pick<SsoRepository, 'findClaim'>; readonly directory: FederationDirectory },
): Promise<PreSignUpTriggerEvent> {
  if (event.triggerSource !== 'PreSignUp_ExternalProvider') return event;
  const federated = federatedUserOf(event.userName);
  const tenantId = federated && tenantOfProvider(federated.providerName);
  if (!federated || !tenantId) return event;
  const email = event.request.userAttributes.email?.toLowerCase();
  if (!email) {
    throw new SsoSignInRefusedError(
      'Your identity provider sent no email address: ask your administrator to map the email attribute.',
    );
  }
  const domain = domainOfEmail(email);
  const claim = await deps.repo.findClaim(domain);
  if (!claim || claim.tenantId !== tenantId || claim.status !== 'verified') {
    throw new SsoSignInRefusedError(
      `${domain} is not a verified single sign-on domain of this organisation: sign-in refused.`,
    );
  }
  const username = await deps.directory.findPasswordUser(event.userPoolId, email);
  if (username) {
    await deps.directory.link(event.userPoolId, username, federated);
    logger.info('federated identity linked to the password user', {
      tenantId,
      provider: federated.providerName,
    });
  }
  return event;
}

/** Where an audit entry of a trigger says the change came from (no HTTP request behind it). */
const TRIGGER_SOURCE_IP = 'cognito-trigger';

/**
 * PreTokenGeneration on a hosted-UI sign-in (every federated sign-in is one): just-in-time
 * membership. A user who signs in through a tenant's provider, with an email in a domain that tenant
 * verified, and is not yet its member, joins with the tenant's default SSO role: one transaction
 * takes a seat within the plan (members and pending invitations), writes the membership the way
 * every membership is written, and the audit entry. No seat left refuses the sign-in with a message
 * that says who can make room. Refresh and password sign-ins pass untouched.
 */
export async function joinOnFederatedSignIn(
  event: PreTokenGenerationTriggerEvent,
  deps: {
    readonly repo: Pick<SsoRepository, 'joinTarget' | 'join'>;
    readonly clock: Clock;
    readonly requestId: string;
  },
): Promise<PreTokenGenerationTriggerEvent> {
  if (event.triggerSource !== 'TokenGeneration_HostedAuth') return event;
  const attributes = event.request.userAttributes;
  const userId = attributes.sub;
  const email = attributes.email?.toLowerCase();
  if (!userId || !email) return event;
  for (const providerName of new Set(providersOf(attributes.identities))) {
    const tenantId = tenantOfProvider(providerName);
    if (!tenantId) continue;
    const target = await deps.repo.joinTarget(tenantId, userId);
    if (!target || target.isMember || !isVerifiedDomainOf(target.config, email)) continue;
    if (target.tenant.status !== 'active') continue;
    const now = deps.clock().toISOString();
    const member: Member = {
      tenantId,
      userId,
      email,
      role: target.config.defaultRole,
      status: 'active',
      joinedAt: now,
      updatedAt: now,
    };
    const billing = target.billing ?? { plan: 'free' as const, status: 'none' as const };
    const plan = effectivePlan(billing);
    const seats = {
      max: entitlementsOf(billing).seats,
      reached: () => noSeatToJoin(target.tenant.name, plan, usageOf(target.tenant).members),
    };
    try {
      await deps.repo.join(
        member,
        seats,
        {
          tenantId,
          actor: { userId, email },
          request: { requestId: deps.requestId, sourceIp: TRIGGER_SOURCE_IP },
          action: 'member.joined-via-sso',
          target: { type: 'member', id: userId },
          before: null,
          after: { ...member, provider: providerName },
        },
        () => new TenantInactiveError(),
      );
      logger.info('just-in-time membership', { tenantId, role: member.role });
    } catch (error) {
      if (error instanceof TenantInactiveError) continue;
      // 402 (no seat) refuses the sign-in with its message; a 409 (joined meanwhile, or the email is
      // a member under another account) is no reason to refuse it.
      if (error instanceof HttpError && error.status === 409) {
        logger.info('just-in-time membership skipped', { tenantId, detail: error.message });
        continue;
      }
      if (error instanceof HttpError) throw new SsoSignInRefusedError(error.message);
      throw error;
    }
  }
  return event;
}

class TenantInactiveError extends Error {
  constructor() {
    super('The tenant is not active.');
    this.name = 'TenantInactiveError';
  }
}
