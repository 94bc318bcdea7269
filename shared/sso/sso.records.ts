import type { SsoRole } from './sso.schema.ts';

/** A claimed domain as the tenant's SSO config stores it (a map entry keyed by the domain). */
export interface StoredDomain {
  readonly status: 'pending' | 'verified';
  /** The TXT record value the tenant publishes (not a secret: anyone can read DNS). */
  readonly token: string;
  readonly claimedAt: string;
  readonly verifiedAt?: string;
  readonly verification?: 'dns' | 'simulated';
}

/** The stored SSO config (`TENANT#<id> SSO`), without its keys. */
export interface SsoConfigRecord {
  readonly tenantId: string;
  readonly protocol: 'saml' | 'oidc';
  readonly providerName: string;
  readonly metadataUrl?: string;
  readonly issuer?: string;
  readonly clientId?: string;
  /** The Secrets Manager secret holding the OIDC client secret; never returned. */
  readonly secretArn?: string;
  readonly defaultRole: SsoRole;
  readonly requireSso: boolean;
  readonly domains: Readonly<Record<string, StoredDomain>>;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** The global claim of a domain (`SSO_DOMAIN#<domain> CLAIM`): one tenant per domain. */
export interface DomainClaimRecord {
  readonly domain: string;
  readonly tenantId: string;
  readonly providerName: string;
  readonly status: 'pending' | 'verified';
  readonly claimedAt: string;
  readonly verifiedAt?: string;
}

/** Where a domain's TXT record is published. */
export const txtRecordName = (domain: string) => `_plinth-sso.${domain}`;
/** The TXT value that proves the claim. */
export const txtRecordValue = (token: string) => `plinth-sso-verification=${token}`;

/**
 * The user pool's name for a tenant's identity provider: `sso-<tenantId>` (30 characters, within
 * Cognito's 32, no underscore, which Cognito uses to join a provider and a federated user's id).
 */
export const providerNameFor = (tenantId: string) => `sso-${tenantId}`;

const PROVIDER_NAME = /^sso-([0-9a-hjkmnp-tv-z]{26})$/;

/** The tenant a provider name belongs to; undefined for providers Plinth did not name. */
export function tenantOfProvider(providerName: string): string | undefined {
  return PROVIDER_NAME.exec(providerName)?.[1];
}

/** The domain of an email address, lower-cased. */
export function domainOfEmail(email: string): string {
  return (email.split('@').pop() ?? '').toLowerCase();
}

/** Whether `email` is in one of the config's verified domains (the ones `requireSso` covers). */
export function isVerifiedDomainOf(config: Pick<SsoConfigRecord, 'domains'>, email: string): boolean {
  return config.domains[domainOfEmail(email)]?.status === 'verified';
}
