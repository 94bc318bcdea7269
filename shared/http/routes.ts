import type { FunctionArea, RouteDefinition } from './route.ts';
import { adminRoutes } from './routes/admin.ts';
import { adminBillingRoutes } from './routes/admin-billing.ts';
import { announcementsRoutes } from './routes/announcements.ts';
import { apiClientsRoutes } from './routes/api-clients.ts';
import { auditRoutes } from './routes/audit.ts';
import { billingRoutes } from './routes/billing.ts';
import { erasureRoutes } from './routes/erasure.ts';
import { exportsRoutes } from './routes/exports.ts';
import { healthRoutes } from './routes/health.ts';
import { impersonationRoutes } from './routes/impersonation.ts';
import { invitationsRoutes } from './routes/invitations.ts';
import { magicLinkRoutes } from './routes/magic-link.ts';
import { meRoutes } from './routes/me.ts';
import { membersRoutes } from './routes/members.ts';
import { metricsRoutes } from './routes/metrics.ts';
import { productAnalyticsRoutes } from './routes/product-analytics.ts';
import { projectsRoutes } from './routes/projects.ts';
import { ssoRoutes } from './routes/sso.ts';
import { supportRoutes } from './routes/support.ts';
import { systemRoutes } from './routes/system.ts';
import { tenantsRoutes } from './routes/tenants.ts';

/**
 * Every function area's route table (`shared/http/routes/<area>.ts`), in the order the OpenAPI
 * document lists them. A handler imports its own area's module, never this one: this one holds
 * every area's schemas, code a function's cold start should not read (test/infra/route-bundling.test.ts
 * checks the bundles; importing builds none of them, test/unit/route-schemas.test.ts). The OpenAPI document,
 * the CDK API stack and the local server read the whole table from here.
 */
export const routesByArea = {
  system: systemRoutes,
  me: meRoutes,
  tenants: tenantsRoutes,
  members: membersRoutes,
  invitations: invitationsRoutes,
  projects: projectsRoutes,
  audit: auditRoutes,
  billing: billingRoutes,
  admin: adminRoutes,
  'admin-billing': adminBillingRoutes,
  metrics: metricsRoutes,
  'product-analytics': productAnalyticsRoutes,
  impersonation: impersonationRoutes,
  support: supportRoutes,
  announcements: announcementsRoutes,
  health: healthRoutes,
  'api-clients': apiClientsRoutes,
  erasure: erasureRoutes,
  'magic-link': magicLinkRoutes,
  sso: ssoRoutes,
  exports: exportsRoutes,
} as const satisfies Record<FunctionArea, Record<string, RouteDefinition>>;

/**
 * The route table: API Gateway routes (CDK), the local server, the handlers' dispatch and the
 * OpenAPI document are all built from it. Route names are unique across areas (a test checks that
 * no area's route hides another's here).
 */
export const routes = {
  ...systemRoutes,
  ...meRoutes,
  ...tenantsRoutes,
  ...membersRoutes,
  ...invitationsRoutes,
  ...projectsRoutes,
  ...auditRoutes,
  ...billingRoutes,
  ...adminRoutes,
  ...adminBillingRoutes,
  ...metricsRoutes,
  ...productAnalyticsRoutes,
  ...impersonationRoutes,
  ...supportRoutes,
  ...announcementsRoutes,
  ...healthRoutes,
  ...apiClientsRoutes,
  ...erasureRoutes,
  ...magicLinkRoutes,
  ...ssoRoutes,
  ...exportsRoutes,
} as const;

export type RouteName = keyof typeof routes;

/** Every route of every area, each once. */
export const routeList: readonly RouteDefinition[] = Object.values(routesByArea).flatMap((area) =>
  Object.values(area),
);
