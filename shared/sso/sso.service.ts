import { randomBytes } from 'node:crypto';
import { assertFeature } from '../billing/entitlements.ts';
import { ConflictError, NotFoundError } from '../http/errors.ts';
import type { Clock } from '../ids.ts';
import { authorize, type TenantContext } from '../tenancy/tenant-context.ts';
import type { ClientSecretStore } from './client-secrets.ts';
import type { DomainVerifier } from './domain-verification.ts';
import type { IdentityProviderDirectory, ProviderSpec } from './identity-providers.ts';
import {
  type DomainClaimRecord,
  domainOfEmail,
  isVerifiedDomainOf,
  providerNameFor,
  type SsoConfigRecord,
  type StoredDomain,
  txtRecordName,
  txtRecordValue,
} from './sso.records.ts';
import type { SsoRepository, SsoSettings } from './sso.repository.ts';
import type { PutSsoInput, SsoConfigView, SsoDomain } from './sso.schema.ts';

/** Where the hosted UI is and which client it signs users in for (discovery's authorize URL). */
export interface HostedUi {
  readonly baseUrl: string;
  readonly clientId: string;
  readonly callbackUrl: string;
}

export interface SsoServiceDeps {
  readonly repo: SsoRepository;
  readonly providers: IdentityProviderDirectory;
  readonly secrets: ClientSecretStore;
  readonly verifier: DomainVerifier;
  readonly hostedUi: HostedUi;
  readonly clock: Clock;
  /** The random part of a TXT record value. */
  readonly newToken?: () => string;
}

function domainView(domain: string, stored: StoredDomain): SsoDomain {
  return {
    domain,
    status: stored.status,
    txtRecord: { name: txtRecordName(domain), value: txtRecordValue(stored.token) },
    claimedAt: stored.claimedAt,
    ...(stored.verifiedAt ? { verifiedAt: stored.verifiedAt } : {}),
    ...(stored.verification ? { verification: stored.verification } : {}),
  };
}

/** The config as the API shows it: never the secret or where it is stored. */
export function configView(config: SsoConfigRecord): SsoConfigView {
  return {
    tenantId: config.tenantId,
    protocol: config.protocol,
    providerName: config.providerName,
    ...(config.metadataUrl ? { metadataUrl: config.metadataUrl } : {}),
    ...(config.issuer ? { issuer: config.issuer } : {}),
    ...(config.clientId ? { clientId: config.clientId } : {}),
    clientSecretStored: config.secretArn !== undefined,
    defaultRole: config.defaultRole,
    requireSso: config.requireSso,
    domains: Object.entries(config.domains)
      .map(([domain, stored]) => domainView(domain, stored))
      .sort((a, b) => a.domain.localeCompare(b.domain)),
    createdAt: config.createdAt,
    updatedAt: config.updatedAt,
  };
}

/** What an audit entry records of a config: its settings, never the secret's location. */
function auditedSettings(config: Omit<SsoSettings, 'updatedAt'> | SsoConfigRecord) {
  return {
    protocol: config.protocol,
    providerName: config.providerName,
    ...(config.metadataUrl ? { metadataUrl: config.metadataUrl } : {}),
    ...(config.issuer ? { issuer: config.issuer } : {}),
    ...(config.clientId ? { clientId: config.clientId } : {}),
    defaultRole: config.defaultRole,
    requireSso: config.requireSso,
  };
}

/**
 * Per-tenant enterprise SSO: the tenant's SAML or OIDC provider in the user pool (attached to the
 * SSO app client), its OIDC client secret in Secrets Manager, the email domains it claims and
 * verifies, and home-realm discovery. Owners only (`sso:manage`); configuring needs the `sso`
 * feature (Business), removing it never does, so a downgraded tenant can still turn it off.
 */
export function createSsoService(deps: SsoServiceDeps) {
  const { repo, providers, secrets, verifier, hostedUi, clock } = deps;
  const newToken = deps.newToken ?? (() => randomBytes(18).toString('base64url'));
  const actor = (ctx: TenantContext) => ({ userId: ctx.caller.userId, email: ctx.member.email });

  async function configOf(ctx: TenantContext): Promise<SsoConfigRecord> {
    const config = await repo.get(ctx.tenantId);
    if (!config)
      throw new NotFoundError('This tenant has no SSO configured: PUT its identity provider first.');
    return config;
  }

  return {
    async get(ctx: TenantContext): Promise<SsoConfigView> {
      authorize(ctx, 'sso:read');
      return configView(await configOf(ctx));
    },

    /**
     * Creates or replaces the tenant's provider. Turning `requireSso` on from a password session of
     * an owner whose email is in a verified domain is a 409 (it would shut them out, as with MFA). In order, each step safe to repeat: the secret
     * (OIDC), the provider in the pool, the SSO client's providers, then the config with its audit
     * entry; a failure part-way leaves nothing the tenant's config points to, and a retry converges.
     */
    async put(ctx: TenantContext, input: PutSsoInput): Promise<SsoConfigView> {
      authorize(ctx, 'sso:manage');
      assertFeature(ctx.billing, ctx.entitlements, 'sso');
      const before = await repo.get(ctx.tenantId);
      if (
        input.requireSso &&
        before &&
        !before.requireSso &&
        isVerifiedDomainOf(before, ctx.member.email) &&
        ctx.caller.clientId !== hostedUi.clientId
      ) {
        throw new ConflictError(
          'Sign in through single sign-on before requiring it: your email is in a verified domain, so the requirement would shut this password session out.',
        );
      }
      const name = providerNameFor(ctx.tenantId);
      const now = clock().toISOString();
      let spec: ProviderSpec;
      let secretArn: string | undefined;
      if (input.protocol === 'oidc') {
        secretArn = await secrets.put(ctx.tenantId, input.clientSecret);
        spec = {
          name,
          protocol: 'oidc',
          issuer: input.issuer,
          clientId: input.clientId,
          clientSecret: input.clientSecret,
        };
      } else {
        spec = { name, protocol: 'saml', metadataUrl: input.metadataUrl };
      }
      await providers.upsert(spec);
      await providers.attachAll();
      const settings: SsoSettings = {
        tenantId: ctx.tenantId,
        protocol: input.protocol,
        providerName: name,
        ...(input.protocol === 'saml'
          ? { metadataUrl: input.metadataUrl }
          : { issuer: input.issuer, clientId: input.clientId, secretArn }),
        defaultRole: input.defaultRole,
        requireSso: input.requireSso,
        updatedAt: now,
      };
      await repo.save(settings, now, {
        tenantId: ctx.tenantId,
        actor: actor(ctx),
        request: ctx.request,
        action: before ? 'sso.updated' : 'sso.configured',
        target: { type: 'sso', id: name },
        before: before ? auditedSettings(before) : null,
        after: auditedSettings(settings),
      });
      // A SAML provider needs no secret: one left from an earlier OIDC setup goes.
      if (input.protocol === 'saml' && before?.secretArn) await secrets.remove(ctx.tenantId);
      return configView({ ...settings, domains: before?.domains ?? {}, createdAt: before?.createdAt ?? now });
    },

    /**
     * Removes the tenant's SSO: the config and its domain claims (with the audit entry) first, so
     * no sign-in is routed to the provider any more, then the provider, its attachment and the secret.
     */
    async remove(ctx: TenantContext): Promise<void> {
      authorize(ctx, 'sso:manage');
      const config = await configOf(ctx);
      await repo.remove(config, {
        tenantId: ctx.tenantId,
        actor: actor(ctx),
        request: ctx.request,
        action: 'sso.removed',
        target: { type: 'sso', id: config.providerName },
        before: { ...auditedSettings(config), domains: Object.keys(config.domains) },
        after: null,
      });
      await providers.remove(config.providerName);
      await providers.attachAll();
      if (config.secretArn) await secrets.remove(ctx.tenantId);
    },

    /**
     * Claims an email domain for the tenant's SSO; answers the TXT record to publish. Claiming a
     * domain the tenant already claimed answers the same record again; one another tenant claimed is a 409.
     */
    async claimDomain(ctx: TenantContext, domain: string): Promise<SsoDomain> {
      authorize(ctx, 'sso:manage');
      assertFeature(ctx.billing, ctx.entitlements, 'sso');
      const config = await configOf(ctx);
      const existing = config.domains[domain];
      if (existing) return domainView(domain, existing);
      const claimedAt = clock().toISOString();
      const entry: StoredDomain = { status: 'pending', token: newToken(), claimedAt };
      const claim: DomainClaimRecord = {
        domain,
        tenantId: ctx.tenantId,
        providerName: config.providerName,
        status: 'pending',
        claimedAt,
      };
      const view = domainView(domain, entry);
      await repo.claim(claim, entry, {
        tenantId: ctx.tenantId,
        actor: actor(ctx),
        request: ctx.request,
        action: 'sso.domain-claimed',
        target: { type: 'sso-domain', id: domain },
        before: null,
        after: { domain, status: 'pending', txtRecord: view.txtRecord },
      });
      return view;
    },

    /**
     * Verifies a claimed domain by its TXT record (DNS in AWS; simulated locally, which the answer
     * says). 409 while the record is not published; verifying a verified domain answers it as is.
     */
    async verifyDomain(ctx: TenantContext, domain: string): Promise<SsoDomain & { detail: string }> {
      authorize(ctx, 'sso:manage');
      assertFeature(ctx.billing, ctx.entitlements, 'sso');
      const config = await configOf(ctx);
      const stored = config.domains[domain];
      if (!stored)
        throw new NotFoundError(`This tenant has not claimed ${domain}: POST it to sso/domains first.`);
      if (stored.status === 'verified') {
        return { ...domainView(domain, stored), detail: `${domain} is already verified.` };
      }
      const view = domainView(domain, stored);
      const result = await verifier.check(view.txtRecord.name, view.txtRecord.value);
      if (!result.found) {
        throw new ConflictError(
          `${result.detail} Publish a TXT record at ${view.txtRecord.name} with the value ${view.txtRecord.value}, then retry.`,
        );
      }
      const verified = { verifiedAt: clock().toISOString(), verification: verifier.method };
      await repo.verify(ctx.tenantId, domain, verified, {
        tenantId: ctx.tenantId,
        actor: actor(ctx),
        request: ctx.request,
        action: 'sso.domain-verified',
        target: { type: 'sso-domain', id: domain },
        before: { domain, status: 'pending' },
        after: { domain, status: 'verified', verification: verifier.method },
      });
      return { ...domainView(domain, { ...stored, status: 'verified', ...verified }), detail: result.detail };
    },

    /**
     * Home-realm discovery: the hosted UI's authorize URL with the provider of the tenant that
     * verified the email's domain. 404 for any other email, saying nothing about why.
     */
    async discover(email: string): Promise<{ authorizeUrl: string; identityProvider: string }> {
      const claim = await repo.findClaim(domainOfEmail(email));
      if (claim?.status !== 'verified') {
        throw new NotFoundError(
          'No single sign-on is set up for this email address: sign in with a password.',
        );
      }
      const url = new URL('/oauth2/authorize', hostedUi.baseUrl);
      url.searchParams.set('identity_provider', claim.providerName);
      url.searchParams.set('response_type', 'code');
      url.searchParams.set('client_id', hostedUi.clientId);
      url.searchParams.set('redirect_uri', hostedUi.callbackUrl);
      url.searchParams.set('scope', 'openid email profile');
      // Pre-fills the IdP's sign-in where it supports it (OIDC login_hint; Cognito passes it on).
      url.searchParams.set('login_hint', email);
      return { authorizeUrl: url.toString(), identityProvider: claim.providerName };
    },
  };
}

export type SsoService = ReturnType<typeof createSsoService>;
