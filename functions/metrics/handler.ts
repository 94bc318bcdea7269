import { createMetricsApi } from '#shared/analytics/metrics-api.service.ts';
import { createMetricsExtraApi } from '#shared/analytics/metrics-extra.service.ts';
import { createNpsService } from '#shared/analytics/nps.ts';
import { createSpendService } from '#shared/analytics/spend.ts';
import { operatorGuardFor } from '#shared/app/identity.ts';
import { impersonationGateFor } from '#shared/app/impersonation.ts';
import { createRuntime } from '#shared/app/runtime.ts';
import { createApiHandler, implement } from '#shared/http/api-handler.ts';
import { metricsRoutes as routes } from '#shared/http/routes/metrics.ts';

const runtime = createRuntime();
const { env, db, clock, newId, tenancy } = runtime;
const nps = createNpsService({ db, clock, newId });
const metrics = createMetricsApi({ db });
const spend = createSpendService({ db, clock, newId });
const extra = createMetricsExtraApi({ db });

export const handler = createApiHandler(
  'metrics',
  routes,
  [
    implement(routes.metricsSummary, async ({ query, caller }) => metrics.summary(caller, query.date)),
    implement(routes.metricsMrr, async ({ query, caller }) => metrics.mrrSeries(caller, query)),
    implement(routes.metricsMovements, async ({ query, caller }) => metrics.movements(caller, query)),
    implement(routes.metricsChurn, async ({ query, caller }) => metrics.churn(caller, query)),
    implement(routes.metricsNps, async ({ query, caller }) => extra.nps(caller, query)),
    implement(routes.metricsReconciliation, async ({ query, caller }) =>
      extra.reconciliation(caller, query.date),
    ),
    implement(routes.submitNpsAnswer, async ({ params, body, caller, request }) =>
      nps.answer(await tenancy.resolve(caller, params.tenantId, request), body),
    ),
    implement(routes.getMyNpsStatus, async ({ caller }) => nps.status(caller)),
    implement(routes.setMetricsSpend, async ({ params, body, caller, request }) =>
      spend.setSpend(caller, params.month, body, request),
    ),
  ],
  { operators: operatorGuardFor(env, clock), impersonation: impersonationGateFor(runtime) },
);
