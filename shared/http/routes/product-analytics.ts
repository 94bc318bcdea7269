import {
  dayRangeQuery,
  featuresResponse,
  retentionResponse,
  TRACKING_MAX_BODY_BYTES,
  trackBody,
  trackResponse,
  usageResponse,
} from '../../analytics/product/product.schema.ts';
import { tenantParams } from '../common.schema.ts';
import { defineRoute, type RouteDefinition } from '../route.ts';
import { rateLimited } from './response-headers.ts';

/** Product analytics: the tracking API, the tenant's usage and retention, the platform's. */
export const productAnalyticsRoutes = {
  trackEvents: defineRoute({
    method: 'POST',
    path: '/v1/tenants/{tenantId}/events',
    area: 'product-analytics',
    auth: 'jwt',
    operationId: 'trackEvents',
    summary:
      'Track up to 100 product events for yourself (any member); each id counts once. Invalid events are rejected one by one.',
    params: tenantParams,
    body: trackBody,
    maxBodyBytes: TRACKING_MAX_BODY_BYTES,
    response: trackResponse,
    status: 202,
    responseHeaders: rateLimited,
    problems: [403, 404, 429],
  }),

  getTenantUsage: defineRoute({
    method: 'GET',
    path: '/v1/tenants/{tenantId}/analytics/usage',
    area: 'product-analytics',
    auth: 'jwt',
    operationId: 'getTenantUsage',
    summary:
      "Per day: events by name and active users; with the weeks' and months' active users (admins, owners; Team and up).",
    params: tenantParams,
    query: dayRangeQuery,
    response: usageResponse,
    status: 200,
    problems: [402, 403, 404],
  }),

  getTenantRetention: defineRoute({
    method: 'GET',
    path: '/v1/tenants/{tenantId}/analytics/retention',
    area: 'product-analytics',
    auth: 'jwt',
    operationId: 'getTenantRetention',
    summary: 'Weekly retention cohorts of the weeks in the range (admins, owners; Team and up).',
    params: tenantParams,
    query: dayRangeQuery,
    response: retentionResponse,
    status: 200,
    problems: [402, 403, 404],
  }),

  metricsRetention: defineRoute({
    method: 'GET',
    path: '/admin/metrics/retention',
    area: 'product-analytics',
    auth: 'jwt',
    operator: 'metrics:read',
    operationId: 'getPlatformRetention',
    summary: 'Platform-wide weekly user retention cohorts (platform admins).',
    query: dayRangeQuery,
    response: retentionResponse,
    status: 200,
    problems: [403],
  }),

  metricsFeatures: defineRoute({
    method: 'GET',
    path: '/admin/metrics/features',
    area: 'product-analytics',
    auth: 'jwt',
    operator: 'metrics:read',
    operationId: 'getFeatureUsage',
    summary: 'Platform-wide events per name, most used first, with DAU, WAU and MAU (platform admins).',
    query: dayRangeQuery,
    response: featuresResponse,
    status: 200,
    problems: [403],
  }),
} as const satisfies Record<string, RouteDefinition>;
