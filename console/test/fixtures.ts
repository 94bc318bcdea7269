/** Answers shaped as the API's (the generated schema types check them). */
import type { paths } from '../src/api/schema.d.ts';

type Json<P extends keyof paths, M extends 'get' | 'post'> = paths[P][M] extends {
  responses: { 200: { content: { 'application/json': infer T } } };
}
  ? T
  : never;

const movements = {
  new: 9900,
  expansion: 0,
  contraction: 0,
  churn: -2900,
  reactivation: 0,
  comp: 0,
  comp_end: 0,
};
const period = {
  mrrStart: 5800,
  mrrEnd: 12800,
  arrStart: 69600,
  arrEnd: 153600,
  customersStart: 2,
  customersEnd: 2,
  arpa: 6400,
  movements,
  netNewMrr: 7000,
  newCustomers: 1,
  logoChurnRate: 0.5,
  nrr: 0.5,
  grr: 0.5,
  grossMrrChurnRate: 0.5,
  netMrrChurnRate: 0.5,
  quickRatio: 3.41,
  ltv: 12800,
  cac: 5000,
  ltvToCac: 2.56,
  nps: 40,
};

export const summary: Json<'/admin/metrics/summary', 'get'> = {
  date: '2026-12-02',
  currency: 'usd',
  day: { mrr: 12800, arr: 153600, customers: 2, movements, netNewMrr: 7000, newCustomers: 1 },
  monthToDate: { ...period, month: '2026-12' },
};

export const mrrSeries: Json<'/admin/metrics/mrr', 'get'> = {
  currency: 'usd',
  interval: 'month',
  points: [
    { period: '2026-11', mrr: 5800, arr: 69600, customers: 2, movements, netNewMrr: 5800 },
    { period: '2026-12', mrr: 12800, arr: 153600, customers: 2, movements, netNewMrr: 7000 },
  ],
};

export const churn: Json<'/admin/metrics/churn', 'get'> = {
  currency: 'usd',
  months: [{ ...period, month: '2026-12', complete: false, through: '2026-12-02' }],
};

export const nps: Json<'/admin/metrics/nps', 'get'> = {
  windowDays: 90,
  points: [
    {
      day: '2026-12-02',
      answers: { promoters: 1, passives: 0, detractors: 0 },
      window: { promoters: 3, passives: 1, detractors: 1 },
      nps: 40,
    },
  ],
  range: { promoters: 3, passives: 1, detractors: 1, nps: 40 },
};

export const features: Json<'/admin/metrics/features', 'get'> = {
  from: '2026-11-03',
  to: '2026-12-02',
  features: [
    { name: 'project.created', events: 42 },
    { name: 'report.exported', events: 7 },
  ],
  days: [{ date: '2026-12-02', activeUsers: 5, events: { 'project.created': 2 } }],
  weeks: [{ week: '2026-W49', activeUsers: 8 }],
  months: [{ month: '2026-12', activeUsers: 13 }],
};

export const retention: Json<'/admin/metrics/retention', 'get'> = {
  from: '2026-09-03',
  to: '2026-12-02',
  cohorts: [
    {
      cohortWeek: '2026-W48',
      users: 4,
      weeks: [
        { k: 0, week: '2026-W48', activeUsers: 4, rate: 1 },
        { k: 1, week: '2026-W49', activeUsers: 1, rate: 0.25 },
      ],
    },
  ],
};

export const metricsRoutes = {
  'GET /admin/metrics/summary': { body: summary },
  'GET /admin/metrics/mrr': { body: mrrSeries },
  'GET /admin/metrics/churn': { body: churn },
  'GET /admin/metrics/nps': { body: nps },
  'GET /admin/metrics/features': { body: features },
  'GET /admin/metrics/retention': { body: retention },
};

export const tenant: Json<'/admin/tenants/{tenantId}', 'get'> = {
  tenantId: 't-1',
  name: 'Acme',
  slug: 'acme',
  status: 'active',
  createdAt: '2026-01-01T00:00:00.000Z',
  createdBy: 'u-owner',
  suspension: null,
  members: [
    {
      userId: 'u-owner',
      email: 'owner@acme.test',
      role: 'owner',
      status: 'active',
      joinedAt: '2026-01-01T00:00:00.000Z',
    },
  ],
  billing: {
    plan: 'team',
    effectivePlan: 'team',
    status: 'active',
    interval: 'month',
    customerId: 'cus_1',
    subscriptionId: 'sub_1',
    currentPeriodEnd: '2027-01-01T00:00:00.000Z',
    cancelAtPeriodEnd: false,
    pastDueSince: null,
    graceEndsAt: null,
    restricted: false,
    monthlyAmount: { amount: 2900, currency: 'usd' },
  },
  invoices: [],
  entitlements: { seats: 10, projects: 20, features: [] },
  usage: { members: 1, pendingInvitations: 0, reservedSeats: 1, projects: 0 },
  recentAudit: [],
  openTickets: [],
  emailDelivery: [],
} as Json<'/admin/tenants/{tenantId}', 'get'>;
