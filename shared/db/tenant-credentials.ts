import type { STSClient } from '@aws-sdk/client-sts';

/**
 * Credentials scoped to one tenant: STS AssumeRole of the tenant-data role (env
 * `TENANT_DATA_ROLE_ARN`, lib/constructs/tenant-data-role.ts) with the session tag
 * `tenantId=<id>`. The role's policy allows DynamoDB only on items whose partition key is
 * `TENANT#${aws:PrincipalTag/tenantId}` (`dynamodb:LeadingKeys`).
 *
 * Cached per tenant in the container until {@link REFRESH_BEFORE_MS} before they expire, so a warm
 * container calls STS once per tenant per session length (15 minutes by default). Concurrent first
 * requests of a tenant share one call; a failed call is not cached. The STS client is loaded on the
 * first call (`await import`): cold starts that serve no tenant request do not pay for it.
 */

/** What the SDK signs with. */
export interface AwsCredentialIdentity {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  readonly expiration?: Date;
}

/** Renew this long before expiry (the SDK also refreshes 5 minutes ahead: the two agree). */
export const REFRESH_BEFORE_MS = 5 * 60_000;
/** STS's minimum session: the shorter, the sooner a role policy change bites. */
export const DEFAULT_SESSION_SECONDS = 900;
/** Tenants whose credentials a container keeps at most; the oldest are dropped first. */
const MAX_CACHED_TENANTS = 1000;

export interface TenantCredentialsOptions {
  readonly roleArn: string;
  readonly region: string;
  /** Set locally: moto's STS answers AssumeRole. */
  readonly endpoint?: string | undefined;
  /** @default DEFAULT_SESSION_SECONDS */
  readonly sessionSeconds?: number;
  /** @default Date.now */
  readonly now?: () => number;
}

export interface TenantCredentials {
  /** The tenant's credentials, from the cache or one AssumeRole. */
  forTenant(tenantId: string): Promise<AwsCredentialIdentity>;
  /** AssumeRole calls made by this container, per tenant (the bench prints them). */
  readonly assumeRoleCalls: ReadonlyMap<string, number>;
}

interface Cached {
  readonly credentials: Promise<AwsCredentialIdentity>;
  /** Epoch ms after which the entry is renewed; `Infinity` while the call is in flight. */
  renewAfter: number;
}

export function createTenantCredentials(options: TenantCredentialsOptions): TenantCredentials {
  const now = options.now ?? Date.now;
  const cache = new Map<string, Cached>();
  const calls = new Map<string, number>();
  let sts: Promise<{ client: STSClient; module: typeof import('@aws-sdk/client-sts') }> | undefined;

  const loadSts = () => {
    sts ??= import('@aws-sdk/client-sts')
      .then((module) => ({
        client: new module.STSClient({ region: options.region, endpoint: options.endpoint }),
        module,
      }))
      .catch((error: unknown) => {
        sts = undefined;
        throw error;
      });
    return sts;
  };

  const assume = async (tenantId: string): Promise<AwsCredentialIdentity> => {
    const { client, module } = await loadSts();
    calls.set(tenantId, (calls.get(tenantId) ?? 0) + 1);
    const answer = await client.send(
      new module.AssumeRoleCommand({
        RoleArn: options.roleArn,
        // Tenant ids are 26 lower-case alphanumerics (shared/ids.ts): a valid session name.
        RoleSessionName: `tenant-${tenantId}`.slice(0, 64),
        DurationSeconds: options.sessionSeconds ?? DEFAULT_SESSION_SECONDS,
        Tags: [{ Key: 'tenantId', Value: tenantId }],
      }),
    );
    const c = answer.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken || !c.Expiration) {
      throw new Error('STS AssumeRole answered without credentials for the tenant-data role.');
    }
    return {
      accessKeyId: c.AccessKeyId,
      secretAccessKey: c.SecretAccessKey,
      sessionToken: c.SessionToken,
      expiration: new Date(c.Expiration),
    };
  };

  return {
    assumeRoleCalls: calls,
    forTenant(tenantId) {
      const hit = cache.get(tenantId);
      if (hit && now() < hit.renewAfter) return hit.credentials;
      if (hit) cache.delete(tenantId);
      if (cache.size >= MAX_CACHED_TENANTS) {
        const oldest = cache.keys().next().value;
        if (oldest !== undefined) cache.delete(oldest);
      }
      const entry: Cached = { credentials: assume(tenantId), renewAfter: Number.POSITIVE_INFINITY };
      cache.set(tenantId, entry);
      entry.credentials.then(
        (credentials) => {
          entry.renewAfter = (credentials.expiration?.getTime() ?? now()) - REFRESH_BEFORE_MS;
        },
        () => {
          if (cache.get(tenantId) === entry) cache.delete(tenantId);
        },
      );
      return entry.credentials;
    },
  };
}
