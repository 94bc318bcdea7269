import { type Permission, permissionsByRole, type Role } from '../tenancy/permissions.ts';

/**
 * What an API client may be granted, each scope a fixed set of the role table's permissions
 * (shared/tenancy/permissions.ts). A client's effective permissions are its scopes' permissions
 * intersected with its creator's current role in the tenant ({@link effectivePermissions}).
 * Credentials, billing, members' roles and the tenant itself are never reachable with a key.
 */
export const apiScopes = {
  'tenant:read': { permissions: ['tenant:read'], description: 'Read the tenant (name, plan, settings).' },
  'projects:read': { permissions: ['projects:read'], description: 'List and read projects.' },
  'projects:write': {
    permissions: ['projects:create', 'projects:update', 'projects:delete'],
    description: 'Create, update and delete projects.',
  },
  'members:read': { permissions: ['members:read'], description: "List the tenant's members." },
  'audit:read': { permissions: ['audit:read'], description: 'Read and verify the audit log.' },
  'analytics:read': {
    permissions: ['analytics:read'],
    description: "Read the tenant's product analytics (usage, retention).",
  },
} as const satisfies Record<string, { permissions: readonly Permission[]; description: string }>;

export type ApiScope = keyof typeof apiScopes;
export const apiScopeNames = Object.keys(apiScopes) as [ApiScope, ...ApiScope[]];

/**
 * The routes an API key may call, each with the scope it needs: the Lambda authorizer sits on
 * exactly these routes (lib/stacks/api-stack.ts, the local server); every other route stays on the
 * Cognito JWT authorizer, which refuses a key. Each of these routes' use cases calls `authorize`
 * with a permission of that scope, so the creator's role bounds the client there too.
 */
export const apiClientRoutes: Readonly<Record<string, ApiScope>> = {
  'GET /v1/tenants/{tenantId}': 'tenant:read',
  'GET /v1/tenants/{tenantId}/projects': 'projects:read',
  'GET /v1/tenants/{tenantId}/projects/{projectId}': 'projects:read',
  'POST /v1/tenants/{tenantId}/projects': 'projects:write',
  'PATCH /v1/tenants/{tenantId}/projects/{projectId}': 'projects:write',
  'DELETE /v1/tenants/{tenantId}/projects/{projectId}': 'projects:write',
  'GET /v1/tenants/{tenantId}/members': 'members:read',
  'GET /v1/tenants/{tenantId}/audit-log': 'audit:read',
  'GET /v1/tenants/{tenantId}/audit-log/verify': 'audit:read',
  'GET /v1/tenants/{tenantId}/analytics/usage': 'analytics:read',
  'GET /v1/tenants/{tenantId}/analytics/retention': 'analytics:read',
};

/**
 * Seconds API Gateway caches an authorizer answer per `Authorization` header value (and the local
 * server as well). A revoked or rotated key still passes the authorizer for that long, but the
 * tenant resolve reads the client on every request and refuses it at once (401).
 */
export const AUTHORIZER_CACHE_SECONDS = 60;

/** Whether API keys are accepted on the route (`GET /v1/...` route key). */
export function acceptsApiClients(routeKey: string): boolean {
  return Object.hasOwn(apiClientRoutes, routeKey);
}

/** The permissions `scopes` grant, before the creator's role narrows them. */
export function scopePermissions(scopes: readonly string[]): ReadonlySet<Permission> {
  const granted = new Set<Permission>();
  for (const scope of scopes) {
    if (!Object.hasOwn(apiScopes, scope)) continue;
    for (const permission of apiScopes[scope as ApiScope].permissions) granted.add(permission);
  }
  return granted;
}

/**
 * What a client may do now: its scopes' permissions that its creator's current role also holds.
 * `undefined` role (the creator left the tenant or was removed): nothing.
 */
export function effectivePermissions(scopes: readonly string[], role: Role | undefined): Permission[] {
  if (role === undefined) return [];
  const held = new Set<string>(permissionsByRole[role]);
  return [...scopePermissions(scopes)].filter((permission) => held.has(permission));
}
