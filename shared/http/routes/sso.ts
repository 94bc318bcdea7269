import {
  claimDomainBody,
  discoveryQuery,
  discoveryResponse,
  domainParams,
  domainVerificationSchema,
  putSsoBody,
  ssoConfigSchema,
  ssoDomainSchema,
} from '../../sso/sso.schema.ts';
import { tenantParams } from '../common.schema.ts';
import { defineRoute, type RouteDefinition } from '../route.ts';

/**
 * The `sso` function's routes: a tenant's enterprise single sign-on (owners), and home-realm
 * discovery for clients. Identity provider settings are credentials: never under impersonation.
 */
export const ssoRoutes = {
  getSso: defineRoute({
    method: 'GET',
    path: '/v1/tenants/{tenantId}/sso',
    area: 'sso',
    auth: 'jwt',
    operationId: 'getSso',
    summary:
      "The tenant's SSO identity provider and claimed domains (owner; the client secret is never returned).",
    params: tenantParams,
    response: ssoConfigSchema,
    status: 200,
    problems: [403, 404],
  }),
  putSso: defineRoute({
    method: 'PUT',
    path: '/v1/tenants/{tenantId}/sso',
    area: 'sso',
    auth: 'jwt',
    impersonation: 'never',
    operationId: 'putSso',
    summary:
      "Configures the tenant's SAML (metadata URL) or OIDC (issuer, client id and secret) identity provider in the user pool (owner; needs the `sso` feature).",
    params: tenantParams,
    body: putSsoBody,
    response: ssoConfigSchema,
    status: 200,
    problems: [402, 403, 404, 409],
  }),
  deleteSso: defineRoute({
    method: 'DELETE',
    path: '/v1/tenants/{tenantId}/sso',
    area: 'sso',
    auth: 'jwt',
    impersonation: 'never',
    operationId: 'deleteSso',
    summary: "Removes the tenant's identity provider, its client secret and its domain claims (owner).",
    params: tenantParams,
    status: 204,
    problems: [402, 403, 404],
  }),
  claimSsoDomain: defineRoute({
    method: 'POST',
    path: '/v1/tenants/{tenantId}/sso/domains',
    area: 'sso',
    auth: 'jwt',
    impersonation: 'never',
    operationId: 'claimSsoDomain',
    summary:
      'Claims an email domain for the tenant’s SSO; answers the DNS TXT record to publish before verifying it (owner; one tenant per domain: 409).',
    params: tenantParams,
    body: claimDomainBody,
    response: ssoDomainSchema,
    status: 201,
    problems: [402, 403, 404, 409],
  }),
  verifySsoDomain: defineRoute({
    method: 'POST',
    path: '/v1/tenants/{tenantId}/sso/domains/{domain}/verification',
    area: 'sso',
    auth: 'jwt',
    impersonation: 'never',
    operationId: 'verifySsoDomain',
    summary:
      'Checks the claimed domain’s DNS TXT record and marks it verified (409 while it is not published). On a local stack verification is simulated, and the answer says so.',
    params: domainParams,
    response: domainVerificationSchema,
    status: 200,
    problems: [402, 403, 404, 409],
  }),
  discoverSso: defineRoute({
    method: 'GET',
    path: '/v1/auth/sso',
    area: 'sso',
    auth: 'none',
    operationId: 'discoverSso',
    summary:
      'Home-realm discovery (public): for an email in a domain verified for SSO, the hosted UI authorize URL with the tenant’s identity provider; 404 otherwise.',
    query: discoveryQuery,
    response: discoveryResponse,
    status: 200,
    problems: [404],
  }),
} as const satisfies Record<string, RouteDefinition>;
