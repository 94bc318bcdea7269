import { lazyIdentityDirectory, operatorGuardFor } from '#shared/app/identity.ts';
import { impersonationGateFor } from '#shared/app/impersonation.ts';
import { createRuntime } from '#shared/app/runtime.ts';
import { createErasureService } from '#shared/erasure/erasure.service.ts';
import { createErasureStore } from '#shared/erasure/erasure.store.ts';
import { pseudonymKeyOf } from '#shared/erasure/pseudonym.ts';
import { createApiHandler, implement } from '#shared/http/api-handler.ts';
import { erasureRoutes as routes } from '#shared/http/routes/erasure.ts';

// Accepts erasures and serves their reports; the erasing runs in functions/erasure-run.
const runtime = createRuntime();
const { env, db, clock, newId, userGate } = runtime;
const directory = lazyIdentityDirectory(env);
const operators = operatorGuardFor(env, clock, directory);
const erasures = createErasureService({
  db,
  store: createErasureStore(db),
  clock,
  newId,
  pseudonymKey: pseudonymKeyOf({
    ERASURE_PSEUDONYM_KEY: process.env.ERASURE_PSEUDONYM_KEY,
    TABLE_NAME: env.TABLE_NAME,
  }),
  directory,
});

export const handler = createApiHandler(
  'erasure',
  routes,
  [
    implement(routes.deleteMe, async ({ caller }) => {
      await userGate.check(caller);
      return erasures.requestUserErasure(caller.userId, { kind: 'self' });
    }),
    implement(routes.eraseUser, async ({ params, body, operator, request }) =>
      erasures.requestUserErasure(params.userId, {
        kind: 'operator',
        operator,
        reason: body.reason,
        request,
      }),
    ),
    implement(routes.purgeTenant, async ({ params, body, operator, request }) =>
      erasures.requestTenantPurge(params.tenantId, {
        kind: 'operator',
        operator,
        reason: body.reason,
        request,
      }),
    ),
    implement(routes.listErasures, async ({ query }) => erasures.list(query)),
    implement(routes.getErasure, async ({ params }) => erasures.get(params.erasureId)),
    implement(routes.retryErasure, async ({ params, body, operator, request }) =>
      erasures.retry(params.erasureId, { kind: 'operator', operator, reason: body.reason, request }),
    ),
  ],
  { operators, impersonation: impersonationGateFor(runtime, operators) },
);
